import { z } from 'zod'
import { CONTENT_MAX, HISTORY_PAGE_MAX, TOPIC_MAX } from './limits'
import type { OwnStateDto, ReactionDto } from './reactions'
import { userText, ZId } from './text'
import { ATTACHMENTS_CEILING, type AttachmentDto } from './uploads'

// Re-exported for the server's own imports; the web takes them from ./limits (no zod).
export { CONTENT_MAX, HISTORY_PAGE_MAX, TOPIC_MAX }

// Characters that print nothing (as in text.ts): a message of only these is empty.
const INVISIBLE = /[\s\u00AD\u180E\u200B-\u200F\u2060-\u2064\uFEFF]/g

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
export const ZSendMessage = z
  .object({
    roomId: ZId,
    topic: ZTopic.default('general'),
    // Uploads (issue 21): a message with attachments may have no text.
    content: userText({ min: 0, max: CONTENT_MAX, multiline: true }),
    clientMsgId: ZClientMsgId,
    // Replies (issue 16): the message replied to (a reply to a reply joins its thread) and whether the
    // reply also shows in the room's timeline.
    replyTo: ZId.optional(),
    alsoInRoom: z.boolean().default(false),
    /** Uploads (issue 21): ids from `POST /api/rooms/:id/uploads`, each the sender's, of this room, unattached. */
    attachments: z
      .array(ZId)
      .max(ATTACHMENTS_CEILING)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an upload')
      .default([]),
  })
  .refine((m) => m.attachments.length > 0 || m.content.replace(INVISIBLE, '') !== '', {
    message: 'must not be empty',
    path: ['content'],
  })
export type TSendMessage = z.input<typeof ZSendMessage>

const seqParam = z.coerce.number().int().min(0).max(2_147_483_647)

/** `GET /api/rooms/:id/messages?before=SEQ|after=SEQ&limit=N`. No cursor = the newest page. */
export const ZHistoryQuery = z
  .object({
    before: seqParam.optional(),
    after: seqParam.optional(),
    // The top view (issue 16): messages of the room's timeline by score (up minus down), then newest
    // first, paged by offset; `before`/`after` are for the time order only.
    order: z.enum(['time', 'top']).default('time'),
    offset: z.coerce.number().int().min(0).max(100_000).optional(),
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
  .refine((q) => q.order === 'top' || q.offset === undefined, { message: 'only with order=top', path: ['offset'] })
  .refine((q) => q.order === 'time' || (q.before === undefined && q.after === undefined), {
    message: 'the top view pages by offset',
    path: ['order'],
  })
export type THistoryQuery = z.input<typeof ZHistoryQuery>

/** What a stored message is: a person's message, a notice the server writes, or a bot's message. */
export const MESSAGE_KINDS = ['user', 'system', 'bot'] as const
export type MessageKind = (typeof MESSAGE_KINDS)[number]

/**
 * What a system notice says, as data (the client words it). Usernames, not ids: a notice stays
 * readable after an account is gone.
 */
export type SystemNotice =
  | { type: 'participant_added'; actor: string; target: string }
  | { type: 'participant_removed'; actor: string; target: string }
  | { type: 'participant_left'; actor: string }
  /** `/me <action>` or `/shrug [text]` (issue 20): `actor` did what the message's content says. */
  | { type: 'command'; command: 'me' | 'shrug'; actor: string }

/**
 * A stored message, as it is now. `email` is the author's address, masked (`j***@example.com`) for
 * guests. `seq` increases by exactly 1 per message in a room (its place in the timeline); `rev` is the
 * room's change number of the message's last change (created, edited, deleted), so `rev` also
 * increases by exactly 1 per change in a room.
 *
 * A deleted message keeps its place as a tombstone: `deletedAt` is set, `content` and `topic` are
 * empty. System notices have `kind: 'system'`, no author (`author: null`, `email: ''`) and a `notice`.
 */
export type MessageDto = {
  id: string
  roomId: string
  seq: number
  rev: number
  kind: MessageKind
  /** Null for notices and bots, and for a user message whose account was deleted ("Deleted user"). */
  author: { id: string; username: string; displayName?: string | null; avatarUrl?: string | null } | null
  email: string
  topic: string
  content: string
  createdAt: string
  /** When the content or topic was last edited; null if never. */
  editedAt: string | null
  /** When it was deleted; null while it exists. */
  deletedAt: string | null
  notice: SystemNotice | null
  /** The id the sending client chose; lets the sender's tabs match the broadcast to their pending copy. */
  clientMsgId: string
  // Replies, votes and reactions (issue 16). Counts are absolute (recomputed with every change).
  /** The thread this reply belongs to (its first message); null for a message that is no reply. */
  threadRootId: string | null
  /** A reply also shown in the room's timeline. */
  alsoInRoom: boolean
  /** A thread's first message: its replies that are not deleted, the newest one's time, its latest repliers. */
  replyCount: number
  lastReplyAt: string | null
  repliers: string[]
  upvotes: number
  downvotes: number
  reactions: ReactionDto[]
  /** Uploads (issue 21): the files the message carries (empty once deleted). */
  attachments: AttachmentDto[]
  /** The viewer's own vote and reactions: in what a signed-in viewer fetches, never in room broadcasts. */
  mine?: OwnStateDto
}

/**
 * `message:edit` payload (socket) and `PATCH /api/rooms/:id/messages/:messageId` body (REST, ids from
 * the path): the new content and/or topic of your own message.
 *
 * @example { roomId: '…', messageId: '…', content: 'Is the deadline Monday?' }
 */
export const ZEditMessage = z
  .object({ roomId: ZId, messageId: ZId, topic: ZTopic.optional(), content: ZContent.optional() })
  .refine((e) => e.topic !== undefined || e.content !== undefined, {
    message: 'give content, topic, or both',
    path: ['content'],
  })
export type TEditMessage = z.input<typeof ZEditMessage>

/** `message:delete` payload (socket); `DELETE /api/rooms/:id/messages/:messageId` (REST). */
export const ZDeleteMessage = z.object({ roomId: ZId, messageId: ZId })
export type TDeleteMessage = z.input<typeof ZDeleteMessage>

/** What `message:deleted` carries: ids and the change number, never content. */
export type MessageDeletedDto = { roomId: string; id: string; seq: number; rev: number }

/** `GET /api/rooms/:id/changes?after=REV&limit=N`. */
export const ZChangesQuery = z.object({
  after: z.coerce.number().int().min(0).max(2_147_483_647),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .default(100)
    .transform((n) => Math.min(n, HISTORY_PAGE_MAX)),
})
export type TChangesQuery = z.input<typeof ZChangesQuery>

/**
 * The current state of every message changed after `after`, in rev order. `rev` is the room's latest
 * change number when the page was read; with `hasMore` false the client holds everything up to it.
 */
export type ChangesDto = { changes: MessageDto[]; rev: number; hasMore: boolean }

/** A page of history in ascending seq order. `hasMore`: older (before) or newer (after) messages exist. */
export type HistoryDto = { messages: MessageDto[]; hasMore: boolean }
