import type { PrismaClient } from '@prisma/client'
import type pg from 'pg'
import type { z } from 'zod'
import type { Viewer } from '../contract/events'
import type { HistoryDto, MessageDto, ZHistoryQuery, ZSendMessage } from '../contract/messages'
import { AppError } from '../lib/app-error'
import type { Limits } from '../limits/limits'
import type { Fanout } from '../realtime/fanout'
import { requireRoom } from '../rooms/rooms.access'
import { createMessageWriter } from './message-writer'
import { messageRowSelect, toMessageDto } from './messages.dto'
import { createRoomSequencer } from './room-sequencer'

export type MessagesService = ReturnType<typeof createMessagesService>
type User = Extract<Viewer, { kind: 'user' }>

export function createMessagesService({
  prisma,
  pool,
  fanout,
  limits,
  onStored,
}: {
  prisma: PrismaClient
  /** The pg pool under `prisma`, for the batched insert (see message-writer.ts). */
  pool: pg.Pool
  fanout: Fanout
  limits: Limits
  /** Called once per newly stored message (metrics). */
  onStored?: (message: MessageDto) => void
}) {
  const writer = createMessageWriter(pool)
  const sequencer = createRoomSequencer<MessageDto>({ emit: (_roomId, message) => fanout.messageCreated(message) })

  async function findByClientMsgId(author: User, clientMsgId: string) {
    return prisma.message.findUnique({
      where: { authorId_clientMsgId: { authorId: author.id, clientMsgId } },
      select: messageRowSelect,
    })
  }

  /** Stores the message (its seq assigned in the same statement), or finds the one already stored under the clientMsgId. */
  async function insert(
    viewer: User,
    input: z.output<typeof ZSendMessage>,
  ): Promise<{ message: MessageDto; created: boolean }> {
    const result = await writer.write({
      roomId: input.roomId,
      authorId: viewer.id,
      topic: input.topic,
      content: input.content,
      clientMsgId: input.clientMsgId,
    })
    if (result.stored) {
      const message = toMessageDto(
        {
          id: result.id,
          seq: result.seq,
          createdAt: result.createdAt,
          roomId: input.roomId,
          topic: input.topic,
          content: input.content,
          clientMsgId: input.clientMsgId,
          author: viewer,
        },
        viewer,
      )
      return { message, created: true }
    }
    // Nothing stored: the clientMsgId was used before, or the room is gone, or the viewer may not post.
    const existing = await findByClientMsgId(viewer, input.clientMsgId)
    if (existing) {
      if (existing.roomId !== input.roomId) {
        throw new AppError('conflict', {
          message: 'This clientMsgId was already used for another message.',
          fields: { clientMsgId: 'is already used' },
        })
      }
      return { message: toMessageDto(existing, viewer), created: false }
    }
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
        const result = await insert(viewer, input)
        // A retry that finds its message already stored broadcasts it again: the instance that stored
        // it may have died before its own broadcast. Clients drop the copies by seq.
        broadcast(result.message)
        if (result.created) onStored?.(result.message)
        return result
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
      await requireRoom(prisma, viewer, roomId, 'read')
      return this.page(viewer, roomId, query)
    },

    /** History without the access check, for callers that already hold the room (room:join). */
    async page(viewer: Viewer, roomId: string, query: z.output<typeof ZHistoryQuery>): Promise<HistoryDto> {
      const take = query.limit + 1
      const rows =
        query.after !== undefined
          ? await prisma.message.findMany({
              where: { roomId, seq: { gt: query.after } },
              orderBy: { seq: 'asc' },
              take,
              select: messageRowSelect,
            })
          : (
              await prisma.message.findMany({
                where: { roomId, ...(query.before !== undefined ? { seq: { lt: query.before } } : {}) },
                orderBy: { seq: 'desc' },
                take,
                select: messageRowSelect,
              })
            ).reverse()
      const hasMore = rows.length > query.limit
      const page = hasMore ? (query.after !== undefined ? rows.slice(0, -1) : rows.slice(1)) : rows
      return { messages: page.map((row) => toMessageDto(row, viewer)), hasMore }
    },
  }
}
