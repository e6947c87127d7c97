import type { PrismaClient } from '@prisma/client'
import type pg from 'pg'
import type { z } from 'zod'
import type { Viewer } from '../contract/events'
import { extractMentions } from '../contract/mentions'
import type { MessageDto } from '../contract/messages'
import type { AuthorPointer } from '../messages/message-writer'
import {
  RECEIPTS_MAX_PARTICIPANTS,
  type ReadSettingsDto,
  type ReceiptsDto,
  type RoomActivityDto,
  type UnreadDto,
  type ZMarkRead,
  type ZNotifySetting,
} from '../contract/unread'
import { AppError } from '../lib/app-error'
import type { Limits } from '../limits/limits'
import type { Logger } from '../lib/logger'
import type { Push } from '../realtime/push'
import { requireRoom } from '../rooms/rooms.access'
import { createBatcher } from './batch'
import { createUnreadRepo, type Moved } from './unread.repo'

export type UnreadService = ReturnType<typeof createUnreadService>
type Activity = Omit<RoomActivityDto, 'mentioned'>
type Pending = { activity: Activity; mentioned: string[] }

const PREVIEW_MAX = 140

/** Whether a message counts as unread for others (the same rule as the SUMMARY statement). */
const counts = (m: MessageDto) => m.kind !== 'system' && (m.threadRootId === null || m.alsoInRoom)

/**
 * Unread counts, read pointers, mentions and receipts (issue 18).
 *
 * The signal for rooms a person does not view goes to their `user:<id>` channel, which every socket of
 * theirs joins on connect: no socket joins the channels of rooms it does not show. Who gets it is
 * read from the database after the message is committed (participants, pointer holders, under the
 * access rule); messages that arrive while that read is in flight share the next one, whatever their
 * rooms, so the signal costs one audience query at a time per instance, and a read started after a
 * message's commit never includes someone removed before it. Authors' pointer moves are batched alike.
 */
export function createUnreadService({
  prisma,
  pool,
  push,
  limits,
  log,
}: {
  prisma: PrismaClient
  pool: pg.Pool
  push: Push
  limits: Limits
  log: Logger
}) {
  const repo = createUnreadRepo(pool)

  async function badge(userId: string, roomId: string): Promise<UnreadDto | null> {
    return (await repo.summary(userId, roomId))[0] ?? null
  }

  /**
   * Tells every socket of `userId` its new badge in the room after its pointer moved, and the room its
   * receipt if shared. A pointer at the newest message has nothing unread: no count to run.
   */
  async function announce(userId: string, roomId: string, moved: Moved): Promise<UnreadDto | null> {
    const unread: UnreadDto | null =
      moved.lastReadSeq >= moved.lastSeq
        ? {
            roomId,
            lastReadSeq: moved.lastReadSeq,
            lastSeq: moved.lastSeq,
            unread: 0,
            mentions: 0,
            notify: moved.notify,
          }
        : await badge(userId, roomId)
    if (!unread) return null
    push.readChanged(userId, unread)
    if (moved.receiptAs) push.receiptChanged({ roomId, username: moved.receiptAs, lastReadSeq: moved.lastReadSeq })
    return unread
  }

  // Followers are read after the messages committed, for every room with news since the previous
  // read, in one statement; the authors' pointers move the same way (see the service's comment).
  const audienceOf = createBatcher(async (roomIds: string[]) => {
    const audiences = await repo.audiences([...new Set(roomIds)])
    return roomIds.map((id) => audiences.get(id) ?? [])
  })
  const moveAuthor = createBatcher(async (moves: { roomId: string; userId: string; seq: number }[]) => {
    const moved = await repo.moveMany(moves)
    return moves.map((m) =>
      moved.find((r) => r.roomId === m.roomId && r.userId === m.userId && r.lastReadSeq === m.seq),
    )
  })
  async function moveAuthorPast(authorId: string, message: MessageDto) {
    const moved = await moveAuthor({ roomId: message.roomId, userId: authorId, seq: message.seq })
    // Only when it skipped messages of others: then the author's badge changed on their other devices.
    if (moved && (moved.previous === null || moved.previous < message.seq - 1))
      await announce(authorId, message.roomId, moved)
  }
  /**
   * The message's own statement moved the author's pointer (the writer): it is at the message now, so
   * nothing after it is unread yet (later messages reach the author's devices as activity after this).
   */
  function movedWithMessage(authorId: string, message: MessageDto, before: AuthorPointer) {
    if (before.before !== null && before.before >= message.seq - 1) return
    const { roomId, seq } = message
    push.readChanged(authorId, {
      roomId,
      lastReadSeq: seq,
      lastSeq: seq,
      unread: 0,
      mentions: 0,
      notify: before.notify,
    })
  }
  async function deliver(roomId: string, { activity, mentioned }: Pending) {
    const followers = await audienceOf(roomId)
    const audience = followers.filter((id) => id !== activity.authorId)
    push.roomActivity({ ...activity, mentioned: false }, audience, mentioned)
  }

  const activityOf = (m: MessageDto, kind: Activity['kind']): Activity => ({
    roomId: m.roomId,
    kind,
    seq: m.seq,
    messageId: m.id,
    authorId: m.author?.id ?? null,
    author: m.author?.username ?? null,
    preview: kind === 'deleted' ? '' : m.content.slice(0, PREVIEW_MAX),
    counts: counts(m),
  })

  const never = (what: string, roomId: string) => (err: unknown) => log.warn({ err, roomId }, what)

  return {
    /** Every followed room's badge (GET /api/unread): users only, guests have none. */
    async summary(viewer: Viewer): Promise<UnreadDto[]> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      return repo.summary(viewer.id)
    },

    /** Moves the viewer's pointer (read:mark, POST /api/rooms/:id/read) and tells their other sockets. */
    async mark(viewer: Viewer, input: z.output<typeof ZMarkRead>): Promise<{ unread: UnreadDto }> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      await limits.consume('readMark', viewer.id)
      await requireRoom(prisma, viewer, input.roomId, 'read')
      const moved = await repo.move(input.roomId, viewer.id, input.seq ?? null, input.unread)
      const unread = moved ? await announce(viewer.id, input.roomId, moved) : await badge(viewer.id, input.roomId)
      if (!unread) throw new AppError('not_found') // access lost between the check and the move
      return { unread }
    },

    /** A signed-in person opened a room (room:join): they follow it from its newest message on. */
    async opened(viewer: Viewer, roomId: string): Promise<void> {
      if (viewer.kind !== 'user') return
      if (await repo.follow(roomId, viewer.id, false)) {
        const unread = await badge(viewer.id, roomId)
        if (unread) push.readChanged(viewer.id, unread)
      }
    },

    /** Someone was added to a private room: they start at its newest message (old history is not unread). */
    async admitted(roomId: string, userId: string): Promise<void> {
      await repo.follow(roomId, userId, true).catch(never('pointer of a new participant not set', roomId))
    },

    /** Your choice of notifications in a room (PATCH /api/rooms/:id/notify). */
    async setNotify(
      viewer: Viewer,
      roomId: string,
      input: z.output<typeof ZNotifySetting>,
    ): Promise<{ unread: UnreadDto }> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      await requireRoom(prisma, viewer, roomId, 'read')
      await repo.setNotify(roomId, viewer.id, input.level === 'default' ? null : input.level)
      const unread = await badge(viewer.id, roomId)
      if (!unread) throw new AppError('not_found')
      push.readChanged(viewer.id, unread)
      return { unread }
    },

    /** "Seen by" of a room: other participants' pointers, for small private rooms only. */
    async receipts(viewer: Viewer, roomId: string): Promise<ReceiptsDto> {
      const room = await requireRoom(prisma, viewer, roomId, 'read')
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      const rows = await repo.receipts(roomId, viewer.id)
      const enabled = room.isPrivate && room._count.participants <= RECEIPTS_MAX_PARTICIPANTS
      return { receipts: rows.map((r) => ({ roomId, ...r })), enabled }
    },

    async settings(viewer: Viewer): Promise<ReadSettingsDto> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      const user = await prisma.user.findUniqueOrThrow({ where: { id: viewer.id }, select: { readReceipts: true } })
      return { readReceipts: user.readReceipts }
    },

    async updateSettings(viewer: Viewer, input: ReadSettingsDto): Promise<ReadSettingsDto> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      const user = await prisma.user.update({
        where: { id: viewer.id },
        data: { readReceipts: input.readReceipts },
        select: { readReceipts: true },
      })
      return { readReceipts: user.readReceipts }
    },

    /**
     * A message was stored: its mentions are recorded, its author's pointer moves past it, and the
     * room's followers hear of it. Runs after the ack; never throws.
     */
    messageStored(message: MessageDto, authorPointer?: AuthorPointer): void {
      void (async () => {
        if (message.kind === 'system') return
        const { usernames, room } = extractMentions(message.content)
        const mentioned = await repo.mention(
          { id: message.id, roomId: message.roomId, seq: message.seq, authorId: message.author?.id ?? null },
          usernames,
          room,
        )
        const authorId = message.author?.id
        await Promise.all([
          deliver(message.roomId, { activity: activityOf(message, 'created'), mentioned }),
          authorId && message.kind === 'user'
            ? authorPointer
              ? movedWithMessage(authorId, message, authorPointer)
              : moveAuthorPast(authorId, message)
            : null,
        ])
      })().catch(never('mentions or room activity of a new message lost', message.roomId))
    },

    /**
     * A message was edited: people it now mentions for the first time hear of it once (a re-save
     * mentions nobody new); people it no longer mentions lose the mention.
     */
    messageEdited(message: MessageDto): void {
      void (async () => {
        const { usernames, room } = extractMentions(message.content)
        const authorId = message.author?.id ?? null
        const target = { id: message.id, roomId: message.roomId, seq: message.seq, authorId }
        const added = await repo.mention(target, usernames, room)
        const dropped = await repo.unmentionExcept(target, usernames, room)
        if (added.length > 0) push.roomActivity({ ...activityOf(message, 'mentioned'), mentioned: true }, [], added)
        if (dropped.length > 0)
          push.roomActivity({ ...activityOf(message, 'unmentioned'), mentioned: false }, dropped, [])
      })().catch(never('mentions of an edited message not updated', message.roomId))
    },

    /** A message was deleted: its room's followers take it off their counts. */
    messageDeleted(message: MessageDto): void {
      void (async () => {
        const mentioned = await repo.mentionedBy(message.id)
        await deliver(message.roomId, { activity: activityOf(message, 'deleted'), mentioned })
      })().catch(never('room activity of a deletion lost', message.roomId))
    },
  }
}
