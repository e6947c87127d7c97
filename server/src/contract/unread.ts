import { z } from 'zod'
import { ZId } from './text'

/** Counts are exact up to this many; the web shows `99+` from here (the server counts no further). */
export const UNREAD_CAP = 100
/** "Seen by" is shown in private rooms and direct conversations of at most this many people. */
export const RECEIPTS_MAX_PARTICIPANTS = 20

const ZSeq = z.number().int().min(0).max(2_147_483_647)

/**
 * `read:mark` and `POST /api/rooms/:id/read`: move your read pointer to `seq` (default: the room's
 * newest message). Only forward, unless `unread` is true ("mark unread from here": the pointer is set
 * to exactly `seq`, the message before the first one to show as unread).
 *
 * @example socket.emit('read:mark', { roomId, seq: 42 }, (res) => res.ok && badges.apply(res.unread))
 */
export const ZMarkRead = z.object({ roomId: ZId, seq: ZSeq.optional(), unread: z.boolean().default(false) })
export type TMarkRead = z.input<typeof ZMarkRead>

export const NOTIFY_LEVELS = ['all', 'mentions', 'nothing'] as const
export type NotifyLevel = (typeof NOTIFY_LEVELS)[number]
/** `PATCH /api/rooms/:id/notify`: what you are notified of in this room; `default` forgets your choice. */
export const ZNotifySetting = z.object({ level: z.enum([...NOTIFY_LEVELS, 'default']) })
export type TNotifySetting = z.input<typeof ZNotifySetting>

/** `PATCH /api/read-settings`: whether others see how far you have read. */
export const ZReadSettings = z.object({ readReceipts: z.boolean() })
export type TReadSettings = z.input<typeof ZReadSettings>
export type ReadSettingsDto = { readReceipts: boolean }

/**
 * One followed room's badge as the server counts it: messages after your pointer that are not yours,
 * not deleted, not system notices and shown in the room (replies only when also sent to it), and those
 * that mention you. Both capped at UNREAD_CAP. `lastSeq` is the room's newest seq when counted, so a
 * `room:activity` at or below it is already included.
 */
export type UnreadDto = {
  roomId: string
  lastReadSeq: number
  lastSeq: number
  unread: number
  mentions: number
  /** Your choice for this room; null: the default (all in private rooms and DMs, mentions elsewhere). */
  notify: NotifyLevel | null
}

/**
 * A change in a room you follow, sent to your `user:<id>` channel whether or not you view the room:
 * a message was `created` (or `deleted`), or an edit `mentioned` you (or `unmentioned` you). `counts`:
 * whether the message counts as unread (see UnreadDto). Never sent to guests or to people who cannot
 * read the room.
 */
export type RoomActivityDto = {
  roomId: string
  kind: 'created' | 'deleted' | 'mentioned' | 'unmentioned'
  seq: number
  messageId: string
  authorId: string | null
  /** The author's username, and the start of the text, for a notification (empty once deleted). */
  author: string | null
  preview: string
  counts: boolean
  mentioned: boolean
}

/** How far one participant has read a small private room ("Seen by"), when they share it. */
export type ReceiptDto = { roomId: string; username: string; lastReadSeq: number }
export type ReceiptsDto = { receipts: ReceiptDto[]; enabled: boolean }
