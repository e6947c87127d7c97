import { randomUUID } from 'node:crypto'
import type { PrismaClient } from '@prisma/client'
import type pg from 'pg'
import type { z } from 'zod'
import type { Viewer } from '../contract/events'
import type {
  ChangesDto,
  HistoryDto,
  MessageDto,
  SystemNotice,
  ZChangesQuery,
  ZDeleteMessage,
  ZEditMessage,
  ZHistoryQuery,
  ZSendMessage,
} from '../contract/messages'
import { AppError } from '../lib/app-error'
import type { Limits } from '../limits/limits'
import type { Push } from '../realtime/push'
import { canManage, requireRoom } from '../rooms/rooms.access'
import { claimUploads } from '../uploads/uploads.repo'
import { type AuthorPointer, createMessageWriter, INSERT_ONE, type StoredRow } from './message-writer'
import { type MessageRow, toMessageDto } from './messages.dto'
import { extractHashtags } from '../contract/search-query'
import { createPageCache, type PageCache } from './page-cache'
import { createMessagesRepo } from './messages.repo'
import { createRoomSequencer } from './room-sequencer'
import { createThreadsRepo } from './threads.repo'
import type { OwnStateDto, ThreadDto, ZThreadQuery } from '../contract/reactions'
import { createReactionsRepo } from '../reactions/reactions.repo'

export type MessagesService = ReturnType<typeof createMessagesService>
/** What the sequencer releases: a message, and for a reply its thread root's new state (issue 16). */
type Outgoing = { seq: number; message: MessageDto; root?: MessageDto }
const NOTHING_OWN: OwnStateDto = { vote: null, reactions: [] }
type User = Extract<Viewer, { kind: 'user' }>
const NOTICE_VIEWER: Viewer = { kind: 'guest', id: 'notice' }

export function createMessagesService({
  prisma,
  pool,
  push,
  limits,
  editWindowSeconds,
  maxAttachments = 5,
  onStored,
  onEdited,
  onDeleted,
  pageCache = createPageCache(),
}: {
  prisma: PrismaClient
  /** The pg pool under `prisma`, for the batched insert (see message-writer.ts). */
  pool: pg.Pool
  push: Push
  limits: Limits
  /** MESSAGE_EDIT_WINDOW_SECONDS: how long after sending its author may edit a message; 0 = no limit. */
  editWindowSeconds: number
  /** UPLOAD_MAX_PER_MESSAGE (issue 21). */
  maxAttachments?: number
  /**
   * Called once per newly stored message (metrics). `authorPointer`: the statement also moved the
   * author's read pointer past it (issue 18), and this is how it was before; absent for replies.
   */
  onStored?: (message: MessageDto, authorPointer?: AuthorPointer) => void
  /** Called after an edit changed a message, and after a deletion (issue 18: mentions, unread counts; issue 21: its files go). */
  onEdited?: (message: MessageDto) => void
  onDeleted?: (message: MessageDto) => void
  /** The newest page of busy rooms (issue 23); the composition root empties it when an author's profile changes. */
  pageCache?: PageCache
}) {
  const writer = createMessageWriter(pool)
  const repo = createMessagesRepo(pool)
  // A reply's broadcast carries its thread root's new state, sent right after the reply (issue 16).
  const sequencer = createRoomSequencer<Outgoing>({
    emit: (_roomId, { message, root }) => {
      push.messageCreated(message)
      if (root) push.messageUpdated(root)
    },
  })
  const threads = createThreadsRepo(pool)
  const reactions = createReactionsRepo(pool)

  /** Rows to DTOs for one viewer, with a signed-in viewer's own votes and reactions (one query, if any). */
  async function forViewer(viewer: Viewer, rows: MessageRow[]): Promise<MessageDto[]> {
    if (viewer.kind !== 'user') return rows.map((row) => toMessageDto(row, viewer))
    const touched = rows.filter((r) => r.upvotes + r.downvotes > 0 || r.reactions.length > 0).map((r) => r.id)
    const own = touched.length > 0 ? await reactions.ownStates(viewer.id, touched) : new Map<string, OwnStateDto>()
    return rows.map((row) => toMessageDto(row, viewer, own.get(row.id) ?? NOTHING_OWN))
  }

  /**
   * The message this clientMsgId already stored (a retry: answered with it, nothing stored again), or
   * null; a clientMsgId used in another room is a conflict.
   */
  async function storedBefore(
    viewer: User,
    input: { roomId: string; clientMsgId: string },
  ): Promise<MessageDto | null> {
    const existing = await repo.byClientMsgId(viewer.id, input.clientMsgId)
    if (!existing) return null
    if (existing.roomId !== input.roomId) {
      throw new AppError('conflict', {
        message: 'This clientMsgId was already used for another message.',
        fields: { clientMsgId: 'is already used' },
      })
    }
    return toMessageDto(existing, viewer)
  }

  /** Stores a reply and recomputes its thread's root in the same transaction (threads.repo.ts). */
  async function insertReply(
    viewer: User,
    input: z.output<typeof ZSendMessage> & { replyTo: string },
  ): Promise<{ message: MessageDto; root?: MessageDto; created: boolean }> {
    const existing = await storedBefore(viewer, input)
    if (existing) return { message: existing, created: false }
    await requireRoom(prisma, viewer, input.roomId, 'post')
    checkAttachmentCount(input)
    const result = await threads.insertReply({
      roomId: input.roomId,
      authorId: viewer.id,
      topic: input.topic,
      content: input.content,
      clientMsgId: input.clientMsgId,
      replyTo: input.replyTo,
      alsoInRoom: input.alsoInRoom,
      attach: input.attachments.length > 0 ? (tx, reply) => attachUploads(tx, viewer, input, reply) : undefined,
    })
    if (result.stored) {
      return { message: toMessageDto(result.reply, viewer), root: toMessageDto(result.root, viewer), created: true }
    }
    if (result.reason === 'missing') {
      throw new AppError('not_found', { message: 'The message you replied to does not exist (any more).' })
    }
    // Skipped: the same clientMsgId committed meanwhile (a retry racing itself), or access was lost.
    const stored = await repo.byClientMsgId(viewer.id, input.clientMsgId)
    if (stored && stored.roomId === input.roomId) return { message: toMessageDto(stored, viewer), created: false }
    throw new AppError('not_found')
  }

  function checkAttachmentCount(input: z.output<typeof ZSendMessage>): void {
    if (input.attachments.length > maxAttachments) {
      throw new AppError('invalid_input', {
        message: `A message can carry at most ${maxAttachments} files.`,
        fields: { attachments: `must be at most ${maxAttachments}` },
      })
    }
  }

  /**
   * Claims the message's uploads in its transaction (each the author's, of this room, not attached yet,
   * locked) and stores them on it; throws (the caller rolls back) when one is not claimable.
   */
  async function attachUploads(
    tx: pg.PoolClient,
    viewer: User,
    input: z.output<typeof ZSendMessage>,
    row: MessageRow,
  ): Promise<MessageRow> {
    const attachments = await claimUploads(tx, {
      roomId: input.roomId,
      authorId: viewer.id,
      messageId: row.id,
      ids: input.attachments,
    })
    if (!attachments) {
      throw new AppError('invalid_input', {
        message: 'An attachment is unknown, of another room, or already sent.',
        fields: { attachments: 'must be your own unsent uploads to this room' },
      })
    }
    await tx.query(`UPDATE "Message" SET "attachments" = $2::jsonb WHERE "id" = $1`, [
      row.id,
      JSON.stringify(attachments),
    ])
    return { ...row, attachments }
  }

  /**
   * A message with attachments (issue 21), outside the group commit: one transaction stores it (the
   * writer's statement, access checked in it) and claims its uploads (each the author's, of this room,
   * not attached yet, locked), or stores nothing.
   */
  async function insertWithAttachments(
    viewer: User,
    input: z.output<typeof ZSendMessage>,
  ): Promise<{ message: MessageDto; created: boolean; authorPointer?: AuthorPointer }> {
    const existing = await storedBefore(viewer, input)
    if (existing) return { message: existing, created: false }
    checkAttachmentCount(input)
    const tx = await pool.connect()
    try {
      await tx.query('BEGIN')
      const { rows } = await tx.query<StoredRow>(INSERT_ONE, [
        input.roomId,
        viewer.id,
        input.topic,
        input.content,
        input.clientMsgId,
        extractHashtags(input.content),
      ])
      if (!rows[0]) {
        await tx.query('ROLLBACK')
        await requireRoom(prisma, viewer, input.roomId, 'post')
        throw new AppError('not_found')
      }
      // The statement moved the author's read pointer too (issue 18): pass on how it was before.
      const { pointerBefore, pointerNotify, ...row } = rows[0]
      const attached = await attachUploads(tx, viewer, input, row)
      await tx.query('COMMIT')
      const authorPointer = { before: pointerBefore, notify: pointerNotify }
      return { message: toMessageDto(attached, viewer), created: true, authorPointer }
    } catch (err) {
      await tx.query('ROLLBACK').catch(() => {})
      if ((err as { code?: unknown })?.code === '23505') {
        // The same clientMsgId committed meanwhile (a retry racing itself).
        const stored = await repo.byClientMsgId(viewer.id, input.clientMsgId)
        if (stored && stored.roomId === input.roomId) return { message: toMessageDto(stored, viewer), created: false }
      }
      throw err
    } finally {
      tx.release()
    }
  }

  /** Stores the message (its seq assigned in the same statement), or finds the one already stored under the clientMsgId. */
  async function insert(
    viewer: User,
    input: z.output<typeof ZSendMessage>,
  ): Promise<{ message: MessageDto; created: boolean; authorPointer?: AuthorPointer }> {
    const result = await writer.write({
      roomId: input.roomId,
      authorId: viewer.id,
      topic: input.topic,
      content: input.content,
      clientMsgId: input.clientMsgId,
    })
    if (result.stored) {
      return { message: toMessageDto(result.row, viewer), created: true, authorPointer: result.authorPointer }
    }
    // Nothing stored: the clientMsgId was used before, or the room is gone, or the viewer may not post.
    const existing = await storedBefore(viewer, input)
    if (existing) return { message: existing, created: false }
    await requireRoom(prisma, viewer, input.roomId, 'post') // says which: not found, or may not post
    throw new AppError('not_found')
  }

  return {
    /**
     * Stores a message and only then returns it; the caller acks with it. The seq is assigned in the
     * same statement that inserts the row (the room row is locked by the UPDATE until commit), so per
     * room seqs are 1, 2, 3… and commit in order. The room's access rule is re-checked inside that
     * statement, so a participant removed a moment ago cannot slip a message in.
     * Re-sending a clientMsgId returns the stored message with `created: false`, stores nothing, and
     * broadcasts that message again (idempotent for clients, which keep one message per seq).
     */
    async send(
      viewer: Viewer,
      input: z.output<typeof ZSendMessage>,
    ): Promise<{ message: MessageDto; created: boolean }> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      // Decided from this instance's counts; the cluster-wide counts follow with the broadcast.
      await limits.spendLocal('messageBurst', viewer.id)
      await limits.spendLocal('messageSustained', viewer.id)
      const broadcast = sequencer.begin(input.roomId)
      try {
        const { replyTo } = input
        const result: { message: MessageDto; root?: MessageDto; created: boolean; authorPointer?: AuthorPointer } =
          replyTo
            ? await insertReply(viewer, { ...input, replyTo })
            : input.attachments.length > 0
              ? await insertWithAttachments(viewer, input)
              : await insert(viewer, input)
        // A retry that finds its message already stored broadcasts it again: the instance that stored
        // it may have died before its own broadcast. Clients drop the copies by seq.
        broadcast({ seq: result.message.seq, message: result.message, root: result.root })
        if (result.created) onStored?.(result.message, result.authorPointer)
        return { message: result.message, created: result.created }
      } catch (err) {
        broadcast(null)
        throw err
      } finally {
        limits.share('messageBurst', viewer.id)
        limits.share('messageSustained', viewer.id)
      }
    },

    /** A page of history in ascending seq order; by seq cursor so concurrent sends never shift it. */
    async history(viewer: Viewer, roomId: string, query: z.output<typeof ZHistoryQuery>): Promise<HistoryDto> {
      const room = await requireRoom(prisma, viewer, roomId, 'read')
      if (query.order === 'top') {
        // The top view (issue 16): by score, then newest first; a page by offset.
        const rows = await threads.top(roomId, query.offset ?? 0, query.limit + 1)
        const hasMore = rows.length > query.limit
        return { messages: await forViewer(viewer, hasMore ? rows.slice(0, -1) : rows), hasMore }
      }
      return this.page(viewer, room, query)
    },

    /**
     * History without the access check, for callers that already hold the room (room:join): `room`
     * as their access check returned it. The newest page comes from the page cache, by the room's rev.
     */
    async page(
      viewer: Viewer,
      room: { id: string; rev: number },
      query: { before?: number; after?: number; limit: number },
    ): Promise<HistoryDto> {
      const take = query.limit + 1
      const rows =
        query.before === undefined && query.after === undefined
          ? await pageCache.newest(room.id, room.rev, take, () => repo.bySeq(room.id, {}, take))
          : await repo.bySeq(room.id, query, take)
      const hasMore = rows.length > query.limit
      const page = hasMore ? (query.after !== undefined ? rows.slice(0, -1) : rows.slice(1)) : rows
      return { messages: await forViewer(viewer, page), hasMore }
    },

    /**
     * A thread (issue 16): its root as it is now (a tombstone if deleted) and its replies after a seq,
     * ascending. Any message of the thread names it.
     */
    async thread(
      viewer: Viewer,
      roomId: string,
      messageId: string,
      query: z.output<typeof ZThreadQuery>,
    ): Promise<ThreadDto> {
      await requireRoom(prisma, viewer, roomId, 'read')
      const target = await threads.byId(roomId, messageId)
      if (!target) throw new AppError('not_found')
      const root = target.threadRootId ? await threads.byId(roomId, target.threadRootId) : target
      if (!root) throw new AppError('not_found')
      const rows = await threads.replies(root.id, query.after, query.limit + 1)
      const hasMore = rows.length > query.limit
      const [rootDto, ...replies] = await forViewer(viewer, [root, ...(hasMore ? rows.slice(0, -1) : rows)])
      return { root: rootDto, replies, hasMore }
    },

    /**
     * The change stream: the current state of every message changed after `after`, in rev order.
     * The room's rev is read before the rows, so it never claims a change the page does not hold.
     */
    async changes(viewer: Viewer, roomId: string, query: z.output<typeof ZChangesQuery>): Promise<ChangesDto> {
      const room = await requireRoom(prisma, viewer, roomId, 'read')
      const rows = await repo.byRev(roomId, query.after, query.limit + 1)
      const hasMore = rows.length > query.limit
      const page = hasMore ? rows.slice(0, -1) : rows
      return { changes: await forViewer(viewer, page), rev: room.rev, hasMore }
    },

    /** Edits your own message within the edit window; broadcasts its new state as `message:updated`. */
    async edit(viewer: Viewer, input: z.output<typeof ZEditMessage>): Promise<{ message: MessageDto }> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      await requireRoom(prisma, viewer, input.roomId, 'post')
      const { row, changed } = await repo.change(input.roomId, input.messageId, (current) => {
        if (!current || current.deletedAt || current.kind !== 'user') throw new AppError('not_found')
        if (current.authorId !== viewer.id) {
          throw new AppError('forbidden', { message: 'You can only edit your own messages.' })
        }
        if (editWindowSeconds > 0 && Date.now() - current.createdAt.getTime() > editWindowSeconds * 1000) {
          throw new AppError('forbidden', { message: editWindowText(editWindowSeconds) })
        }
        const topic = input.topic ?? current.topic
        const content = input.content ?? current.content
        if (topic === current.topic && content === current.content) return null // nothing to change
        return { topic, content, deleted: false }
      })
      const message = toMessageDto(row, viewer)
      if (changed) {
        push.messageUpdated(message)
        onEdited?.(message)
      }
      return { message }
    },

    /**
     * Deletes a message: its author, or the creator of its room. The row keeps its seq as a tombstone,
     * its content and topic scrubbed in the same statement; `message:deleted` carries ids only.
     * Deleting a deleted message changes nothing and succeeds.
     */
    async remove(viewer: Viewer, input: z.output<typeof ZDeleteMessage>): Promise<{ message: MessageDto }> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      const room = await requireRoom(prisma, viewer, input.roomId, 'read')
      const { row, changed, root } = await repo.change(input.roomId, input.messageId, (current) => {
        if (!current) throw new AppError('not_found')
        if (current.authorId !== viewer.id && !canManage(viewer, room)) {
          throw new AppError('forbidden', { message: 'You can only delete your own messages.' })
        }
        if (current.deletedAt) return null
        return { topic: '', content: '', deleted: true }
      })
      if (changed) {
        push.messageDeleted({ roomId: row.roomId, id: row.id, seq: row.seq, rev: row.rev })
        onDeleted?.(toMessageDto(row, viewer))
      }
      // A deleted reply: its thread's root, recomputed in the same transaction (issue 16).
      if (root) push.messageUpdated(toMessageDto(root, viewer))
      return { message: toMessageDto(row, viewer) }
    },

    /** Writes a system notice as the room's next message and broadcasts it like any message. */
    async notice(roomId: string, notice: SystemNotice): Promise<void> {
      const broadcast = sequencer.begin(roomId)
      try {
        const row = await repo.insertNotice(roomId, notice, `notice-${randomUUID()}`)
        // notices carry no email to mask
        broadcast(row ? { seq: row.seq, message: toMessageDto(row, NOTICE_VIEWER) } : null)
      } catch (err) {
        broadcast(null)
        throw err
      }
    },

    /**
     * Stores a message of another kind (a command's system message, a bot message) in one
     * transaction that `work` fills (it may store other rows with it, or find the message already
     * stored), then broadcasts it in seq order like any message. `row` null: nothing to broadcast.
     * A new message (`created` not false) goes through `onStored` like a sent one: a bot message
     * mentioning someone (an escalation) counts as unread and as a mention for them (issue 18).
     */
    async compose<T extends { row: MessageRow | null; created?: boolean }>(
      roomId: string,
      viewer: Viewer,
      work: (tx: pg.PoolClient) => Promise<T>,
    ): Promise<T & { message: MessageDto | null }> {
      const broadcast = sequencer.begin(roomId)
      let message: MessageDto | null = null
      const tx = await pool.connect()
      try {
        await tx.query('BEGIN')
        const result = await work(tx)
        await tx.query('COMMIT')
        message = result.row ? toMessageDto(result.row, viewer) : null
        if (message && result.created !== false) onStored?.(message)
        return { ...result, message }
      } catch (err) {
        await tx.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        tx.release()
        broadcast(message ? { seq: message.seq, message } : null)
      }
    },
  }
}

function editWindowText(seconds: number): string {
  const minutes = Math.round(seconds / 60)
  const span =
    seconds < 120 ? `${seconds} seconds` : minutes < 120 ? `${minutes} minutes` : `${Math.round(minutes / 60)} hours`
  return `Messages can be edited for ${span} after they are sent.`
}
