import { Prisma, type PrismaClient } from '@prisma/client'
import type { z } from 'zod'
import type { Viewer } from '../contract/events'
import type { HistoryDto, MessageDto, ZHistoryQuery, ZSendMessage } from '../contract/messages'
import { AppError } from '../lib/app-error'
import type { Limits } from '../limits/limits'
import type { Fanout } from '../realtime/fanout'
import { requireRoom } from '../rooms/rooms.access'
import { messageRowSelect, toMessageDto } from './messages.dto'
import { createRoomSequencer } from './room-sequencer'

export type MessagesService = ReturnType<typeof createMessagesService>
type User = Extract<Viewer, { kind: 'user' }>

export function createMessagesService({
  prisma,
  fanout,
  limits,
  onStored,
}: {
  prisma: PrismaClient
  fanout: Fanout
  limits: Limits
  /** Called once per newly stored message (metrics). */
  onStored?: (message: MessageDto) => void
}) {
  const sequencer = createRoomSequencer<MessageDto>({ emit: (_roomId, message) => fanout.messageCreated(message) })

  async function findByClientMsgId(author: User, clientMsgId: string) {
    return prisma.message.findUnique({
      where: { authorId_clientMsgId: { authorId: author.id, clientMsgId } },
      select: messageRowSelect,
    })
  }

  /** Inserts the message, assigning its seq, or finds the one already stored under the clientMsgId. */
  async function insert(
    viewer: User,
    input: z.output<typeof ZSendMessage>,
  ): Promise<{ message: MessageDto; created: boolean }> {
    let inserted: { id: string; seq: number; createdAt: Date }[]
    try {
      inserted = await prisma.$queryRaw`
          WITH room AS (
            UPDATE "Room" SET "lastSeq" = "lastSeq" + 1
            WHERE "id" = ${input.roomId}::uuid
              AND (NOT "isPrivate" OR EXISTS (
                SELECT 1 FROM "RoomParticipant" p WHERE p."roomId" = ${input.roomId}::uuid AND p."userId" = ${viewer.id}::uuid))
            RETURNING "id", "lastSeq"
          )
          INSERT INTO "Message" ("roomId", "seq", "authorId", "topic", "content", "clientMsgId")
          SELECT room."id", room."lastSeq", ${viewer.id}::uuid, ${input.topic}, ${input.content}, ${input.clientMsgId} FROM room
          RETURNING "id", "seq", "createdAt"`
    } catch (err) {
      if (!isDuplicateClientMsgId(err)) throw err
      const existing = await findByClientMsgId(viewer, input.clientMsgId)
      if (!existing) throw err
      if (existing.roomId !== input.roomId) {
        throw new AppError('conflict', {
          message: 'This clientMsgId was already used for another message.',
          fields: { clientMsgId: 'is already used' },
        })
      }
      return { message: toMessageDto(existing, viewer), created: false }
    }
    if (inserted.length === 0) {
      // Nothing inserted: the room is gone or the viewer may not post. Say which, the usual way.
      await requireRoom(prisma, viewer, input.roomId, 'post')
      throw new AppError('not_found')
    }
    const [row] = inserted
    const message = toMessageDto(
      {
        ...row,
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

  return {
    /**
     * Stores a message and only then returns it; the caller acks with it. The seq is assigned in the
     * same statement that inserts the row (the room row is locked by the UPDATE until commit), so per
     * room seqs are 1, 2, 3… and commit in order. The room's access rule is re-checked inside that
     * statement, so a participant removed a moment ago cannot slip a message in.
     * Re-sending a clientMsgId returns the stored message with `created: false` and stores nothing.
     */
    async send(
      viewer: Viewer,
      input: z.output<typeof ZSendMessage>,
    ): Promise<{ message: MessageDto; created: boolean }> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      await limits.consume('messageBurst', viewer.id)
      await limits.consume('messageSustained', viewer.id)
      const broadcast = sequencer.begin(input.roomId)
      try {
        const result = await insert(viewer, input)
        broadcast(result.created ? result.message : null)
        if (result.created) onStored?.(result.message)
        return result
      } catch (err) {
        broadcast(null)
        throw err
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

function isDuplicateClientMsgId(err: unknown): boolean {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return false
  const text = `${err.message} ${JSON.stringify(err.meta ?? {})}`
  return (err.code === 'P2002' || err.code === 'P2010') && /clientMsgId|23505/.test(text)
}
