import { z } from 'zod'
import { userText, ZId } from './text'

export const TOPIC_MAX = 64
export const CONTENT_MAX = 4000
export const HISTORY_PAGE_MAX = 100

export const ZTopic = userText({ max: TOPIC_MAX })
export const ZContent = userText({ max: CONTENT_MAX, multiline: true })
export const ZClientMsgId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 characters: letters, digits, _ or -')

/**
 * `message:send` payload (socket) and `POST /api/rooms/:id/messages` body (REST, roomId from the path).
 * Only these fields are read: author, email, seq and time come from the server.
 *
 * @example { roomId: '…', topic: 'homework', content: 'Is the deadline Friday?', clientMsgId: 'a1b2c3' }
 */
export const ZSendMessage = z.object({
  roomId: ZId,
  topic: ZTopic.default('general'),
  content: ZContent,
  clientMsgId: ZClientMsgId,
})
export type TSendMessage = z.input<typeof ZSendMessage>

const seqParam = z.coerce.number().int().min(0).max(2_147_483_647)

/** `GET /api/rooms/:id/messages?before=SEQ|after=SEQ&limit=N`. No cursor = the newest page. */
export const ZHistoryQuery = z
  .object({
    before: seqParam.optional(),
    after: seqParam.optional(),
    // Clamped rather than refused: asking for too many gives the maximum.
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .default(50)
      .transform((n) => Math.min(n, HISTORY_PAGE_MAX)),
  })
  .refine((q) => q.before === undefined || q.after === undefined, {
    message: 'use either before or after, not both',
    path: ['before'],
  })
export type THistoryQuery = z.input<typeof ZHistoryQuery>

/**
 * A stored message. `email` is the author's address, masked (`j***@example.com`) for guests.
 * `seq` increases by exactly 1 per message in a room.
 */
export type MessageDto = {
  id: string
  roomId: string
  seq: number
  author: { id: string; username: string }
  email: string
  topic: string
  content: string
  createdAt: string
  /** The id the sending client chose; lets the sender's tabs match the broadcast to their pending copy. */
  clientMsgId: string
}

/** A page of history in ascending seq order. `hasMore`: older (before) or newer (after) messages exist. */
export type HistoryDto = { messages: MessageDto[]; hasMore: boolean }
