import type { CommandResultDto } from '../contract/commands'
import type { Viewer } from '../contract/events'
import { CONTENT_MAX, ESCALATION_REASON_MAX } from '../contract/limits'
import { ZTopic } from '../contract/messages'
import { AppError } from '../lib/app-error'
import type { EphemeralService } from '../ephemeral/ephemeral.service'
import type { EscalationsService } from '../escalations/escalations.service'
import type { MessagesService } from '../messages/messages.service'
import type { RoomPresence } from '../realtime/room-presence'
import type { RoomRecord } from '../rooms/rooms.access'
import { findAuthored, insertAuthored, lockCommand } from './commands.repo'

type User = Extract<Viewer, { kind: 'user' }>

/** What a command runs with: who, where (access checked: the viewer may post there), and its arguments. */
export type CommandContext = {
  viewer: User
  room: RoomRecord
  args: string
  topic: string
  clientMsgId: string
}

export type CommandDeps = {
  messages: MessagesService
  ephemeral: EphemeralService
  escalations: EscalationsService
  roomPresence: RoomPresence
}

/**
 * Who may run a command, besides being allowed to post in the room (checked for every command):
 * `poster` — anyone who may post; `resolver` — the room's creator, or someone with an open escalation.
 */
export type CommandAudience = 'poster' | 'resolver'

export type Command = {
  name: string
  /** How to type it, as `/help` and the composer's list show it. */
  usage: string
  description: string
  who: CommandAudience
  run(ctx: CommandContext, deps: CommandDeps, all: Command[]): Promise<CommandResultDto>
}

const reply = (command: string, text: string): CommandResultDto => ({ command, reply: text })
const usageOf = (c: { usage: string }) => `Usage: ${c.usage}`

/** Posts `content` as a system message of who ran the command (`/me`, `/shrug`); a retry finds it. */
async function postAction(ctx: CommandContext, deps: CommandDeps, command: 'me' | 'shrug', content: string) {
  const { message } = await deps.messages.compose(ctx.room.id, ctx.viewer, async (tx) => {
    await lockCommand(tx, ctx.viewer.id, ctx.clientMsgId)
    const existing = await findAuthored(tx, ctx.viewer.id, ctx.clientMsgId)
    if (existing) {
      if (existing.roomId !== ctx.room.id) {
        throw new AppError('conflict', {
          message: 'This clientMsgId was already used for another message.',
          fields: { clientMsgId: 'is already used' },
        })
      }
      return { row: existing, created: false }
    }
    const row = await insertAuthored(tx, {
      roomId: ctx.room.id,
      kind: 'system',
      authorId: ctx.viewer.id,
      actorId: ctx.viewer.id,
      topic: ctx.topic,
      content,
      notice: { type: 'command', command, actor: ctx.viewer.username },
      clientMsgId: ctx.clientMsgId,
    })
    if (!row) throw new AppError('not_found') // access lost since the check
    return { row }
  })
  return { command, reply: null, message: message ?? undefined }
}

const SHRUG = '¯\\_(ツ)_/¯'

/** Every slash command, in the order `/help` lists them. */
export const COMMANDS: Command[] = [
  {
    name: 'help',
    usage: '/help',
    description: 'List the commands you can use here.',
    who: 'poster',
    async run(_ctx, _deps, all) {
      const lines = all.map((c) => `${c.usage} — ${c.description}`)
      return reply(
        'help',
        ['Commands you can use here:', ...lines, 'Start a message with // to post it with one /.'].join('\n'),
      )
    },
  },
  {
    name: 'me',
    usage: '/me <action>',
    description: 'Say what you are doing, in the third person.',
    who: 'poster',
    async run(ctx, deps) {
      if (!ctx.args) return reply('me', usageOf(this))
      return postAction(ctx, deps, 'me', ctx.args)
    },
  },
  {
    name: 'shrug',
    usage: '/shrug [message]',
    description: `Post your message with ${SHRUG} after it.`,
    who: 'poster',
    async run(ctx, deps) {
      const content = ctx.args ? `${ctx.args} ${SHRUG}` : SHRUG
      if ([...content].length > CONTENT_MAX) {
        return reply(
          'shrug',
          `That message is too long to shrug at: at most ${CONTENT_MAX - SHRUG.length - 1} characters.`,
        )
      }
      return postAction(ctx, deps, 'shrug', content)
    },
  },
  {
    name: 'who',
    usage: '/who',
    description: 'Who is viewing this room right now.',
    who: 'poster',
    async run(ctx, deps) {
      const { users, guests } = await deps.roomPresence.viewers(ctx.room.id)
      const people = users.length === 0 ? 'nobody signed in' : `${users.join(', ')} (${users.length} signed in)`
      const others = guests === 0 ? '' : ` and ${guests} ${guests === 1 ? 'guest' : 'guests'}`
      return reply('who', `Viewing ${ctx.room.name} now: ${people}${others}.`)
    },
  },
  {
    name: 'topic',
    usage: '/topic <topic>',
    description: 'Set your default topic for this room.',
    who: 'poster',
    async run(ctx) {
      if (!ctx.args) return reply('topic', usageOf(this))
      const parsed = ZTopic.safeParse(ctx.args)
      if (!parsed.success) return reply('topic', `That topic ${parsed.error.issues[0]?.message ?? 'is not valid'}.`)
      return {
        command: 'topic',
        reply: `Your default topic in ${ctx.room.name} is now “${parsed.data}”.`,
        topic: parsed.data,
      }
    },
  },
  {
    name: 'ephemeral',
    usage: '/ephemeral <message>',
    description: 'Send a message that is not saved: only people viewing the room now see it.',
    who: 'poster',
    async run(ctx, deps) {
      if (!ctx.args) return reply('ephemeral', usageOf(this))
      const ephemeral = deps.ephemeral.broadcast(ctx.viewer, {
        roomId: ctx.room.id,
        topic: ctx.topic,
        content: ctx.args,
        clientMsgId: ctx.clientMsgId,
      })
      return { command: 'ephemeral', reply: null, ephemeral }
    },
  },
  {
    name: 'escalate',
    usage: '/escalate [reason]',
    description: "Ask for the room's owner to step in.",
    who: 'poster',
    async run(ctx, deps) {
      if (!ctx.room.creatorId) return reply('escalate', `${ctx.room.name} has no owner to escalate to.`)
      if (ctx.room.creatorId === ctx.viewer.id) return reply('escalate', 'You created this room: you are its owner.')
      if ([...ctx.args].length > ESCALATION_REASON_MAX) {
        return reply('escalate', `The reason can be at most ${ESCALATION_REASON_MAX} characters.`)
      }
      const owner = ctx.room.creator?.username ?? 'the owner'
      const result = await deps.escalations.open(ctx.viewer, ctx.room, {
        reason: ctx.args,
        topic: ctx.topic,
        clientMsgId: ctx.clientMsgId,
      })
      if (result.outcome === 'already_open') {
        return {
          command: 'escalate',
          reply: `You already asked ${owner} to step in here. Type /resolve once you no longer need them.`,
          escalation: result.escalation,
        }
      }
      return {
        command: 'escalate',
        reply: `Escalated: ${owner} has been notified.`,
        escalation: result.escalation,
        ...(result.message ? { message: result.message } : {}),
      }
    },
  },
  {
    name: 'resolve',
    usage: '/resolve [username]',
    description: 'Close an escalation: your own, or (room owner) everyone’s or one person’s.',
    who: 'resolver',
    async run(ctx, deps) {
      const asker = ctx.args.replace(/^@/, '').toLowerCase() || null
      const isCreator = ctx.room.creatorId === ctx.viewer.id
      if (asker && !isCreator && asker !== ctx.viewer.username) {
        return reply('resolve', "Only the room's owner can resolve someone else's escalation.")
      }
      const { resolved, message } = await deps.escalations.resolve(ctx.viewer, ctx.room, {
        asker,
        topic: ctx.topic,
        clientMsgId: ctx.clientMsgId,
      })
      if (resolved.length === 0) return reply('resolve', 'There is no open escalation here that you can resolve.')
      return {
        command: 'resolve',
        reply: `Resolved: ${resolved.map((e) => e.asker).join(', ')}.`,
        ...(message ? { message } : {}),
      }
    },
  },
]
