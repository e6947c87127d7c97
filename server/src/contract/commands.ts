import { z } from 'zod'
import type { MessageDto } from './messages'
import { ZClientMsgId, ZContent, ZTopic } from './messages'
import { ZId } from './text'

/**
 * `command:run` payload: a line the composer sent that starts with `/`. The server parses it
 * (`//text` posts `/text` literally); `topic` is the composer's, for commands that post.
 *
 * @example { roomId: '…', topic: 'general', text: '/me waves', clientMsgId: 'a1b2c3' }
 */
/** `ephemeral:send`: a message's fields without replies (an ephemeral message is never in a thread). */
export const ZSendEphemeral = z.object({
  roomId: ZId,
  topic: ZTopic.default('general'),
  content: ZContent,
  clientMsgId: ZClientMsgId,
})
export type TSendEphemeral = z.input<typeof ZSendEphemeral>

export const ZRunCommand = z.object({
  roomId: ZId,
  topic: ZTopic.default('general'),
  text: ZContent,
  clientMsgId: ZClientMsgId,
})
export type TRunCommand = z.input<typeof ZRunCommand>

/**
 * A message that is never stored: broadcast once to the sockets viewing the room at that moment
 * (`ephemeral:created`), then gone. No seq and no rev, so it never shows up as a gap, in history or
 * in the change stream. `email` is masked for guests, as for stored messages.
 */
export type EphemeralMessageDto = {
  id: string
  roomId: string
  author: { id: string; username: string }
  email: string
  topic: string
  content: string
  createdAt: string
  clientMsgId: string
}

/** A command as the composer lists it when you type `/`: only those you may run in that room. */
export type CommandInfoDto = { name: string; usage: string; description: string }

/** `GET /api/rooms/:id/commands`. */
export type CommandListDto = { commands: CommandInfoDto[] }

/**
 * What running a command did. `reply` is a private answer, only for the sender (the ack), never
 * stored, and always shown as text. `message`: what it stored (`/me`, `/shrug`, `//text`, the bot's
 * message of `/escalate` and `/resolve`); `ephemeral`: what `/ephemeral` broadcast; `topic`: your new
 * default topic for the room (`/topic`); `escalation`: the escalation `/escalate` opened or found.
 */
export type CommandResultDto = {
  /** The command's name (`me`, `help`…); `''` for `//text` and for an unknown command. */
  command: string
  reply: string | null
  message?: MessageDto
  ephemeral?: EphemeralMessageDto
  topic?: string
  escalation?: EscalationDto
}

/** A request for the room's creator, opened by `/escalate` and closed by `/resolve`. */
export type EscalationDto = {
  id: string
  roomId: string
  roomName: string
  /** Username of who asked. */
  asker: string
  reason: string
  status: 'open' | 'resolved'
  createdAt: string
  resolvedAt: string | null
  resolvedBy: string | null
}

/** `GET /api/escalations` (open escalations of rooms you created) and `GET /api/rooms/:id/escalations`. */
export type EscalationListDto = { escalations: EscalationDto[] }
