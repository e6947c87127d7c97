import type { PrismaClient } from '@prisma/client'
import type { z } from 'zod'
import type { CommandInfoDto, CommandResultDto, ZRunCommand } from '../contract/commands'
import type { Viewer } from '../contract/events'
import { BOT_USER_ID } from '../contract/limits'
import { AppError } from '../lib/app-error'
import type { Limits } from '../limits/limits'
import { type RoomRecord, requireRoom } from '../rooms/rooms.access'
import { parseLine, quote } from './commands.parse'
import { type Command, type CommandDeps, COMMANDS } from './commands.table'

export type CommandsService = ReturnType<typeof createCommandsService>
type User = Extract<Viewer, { kind: 'user' }>

/**
 * Slash commands, parsed here on the server (issue 20). Every command, known or not, first passes
 * the same checks in the same order — an account, the message rate limits, and `requireRoom` with
 * post rights — so a missing room and a room you may not use answer identically whatever the
 * command. Only then is the line parsed. Unknown commands and bad arguments get a private answer in
 * the ack, which quotes the input as plain text and stores nothing.
 */
export function createCommandsService({
  prisma,
  limits,
  ...deps
}: CommandDeps & { prisma: PrismaClient; limits: Limits }) {
  async function mayRun(command: Command, viewer: User, room: RoomRecord): Promise<boolean> {
    return command.who === 'poster' || (await deps.escalations.mayResolve(viewer, room))
  }

  async function allowed(viewer: User, room: RoomRecord): Promise<Command[]> {
    const flags = await Promise.all(COMMANDS.map((c) => mayRun(c, viewer, room)))
    return COMMANDS.filter((_, i) => flags[i])
  }

  return {
    /** `command:run`. */
    async run(viewer: Viewer, input: z.output<typeof ZRunCommand>): Promise<{ result: CommandResultDto }> {
      // The bot has no session; refusing it here too means no message of its can ever run a command.
      if (viewer.kind !== 'user' || viewer.id === BOT_USER_ID) throw new AppError('unauthenticated')
      const line = parseLine(input.text)
      if (line.kind === 'literal') {
        // `//text`: an ordinary message, through the message path (its own limits and access check).
        const send = {
          roomId: input.roomId,
          topic: input.topic,
          content: line.text,
          clientMsgId: input.clientMsgId,
          alsoInRoom: false,
          attachments: [],
        }
        const { message } = await deps.messages.send(viewer, send)
        return { result: { command: '', reply: null, message } }
      }
      await limits.spendLocal('messageBurst', viewer.id)
      await limits.spendLocal('messageSustained', viewer.id)
      try {
        const room = await requireRoom(prisma, viewer, input.roomId, 'post')
        const command = COMMANDS.find((c) => c.name === line.name)
        if (!command) {
          const text = `No such command: ${quote(line.input)}. Type /help to see the commands you can use here.`
          return { result: { command: '', reply: text } }
        }
        if (!(await mayRun(command, viewer, room))) {
          const text = `You cannot use /${command.name} here: only the room's owner, or someone with an open escalation, can.`
          return { result: { command: command.name, reply: text } }
        }
        const ctx = { viewer, room, args: line.args, topic: input.topic, clientMsgId: input.clientMsgId }
        return { result: await command.run(ctx, deps, await allowed(viewer, room)) }
      } finally {
        limits.share('messageBurst', viewer.id)
        limits.share('messageSustained', viewer.id)
      }
    },

    /** `GET /api/rooms/:id/commands`: what the composer lists when you type `/`, only what you may run. */
    async list(viewer: Viewer, roomId: string): Promise<{ commands: CommandInfoDto[] }> {
      const room = await requireRoom(prisma, viewer, roomId, 'post')
      if (viewer.kind !== 'user') throw new AppError('unauthenticated') // requireRoom('post') admits users only
      const commands = await allowed(viewer, room)
      return { commands: commands.map(({ name, usage, description }) => ({ name, usage, description })) }
    },
  }
}
