import { randomUUID } from 'node:crypto'
import type { PrismaClient } from '@prisma/client'
import type { z } from 'zod'
import type { EphemeralMessageDto } from '../contract/commands'
import type { Viewer } from '../contract/events'
import type { ZSendEphemeral } from '../contract/commands'
import { AppError } from '../lib/app-error'
import type { Limits } from '../limits/limits'
import type { Push } from '../realtime/push'
import { requireRoom } from '../rooms/rooms.access'

export type EphemeralService = ReturnType<typeof createEphemeralService>
type User = Extract<Viewer, { kind: 'user' }>

/**
 * Ephemeral messages: checked like a message (the room's access rule with post rights, the same
 * length limits through the same schema, the same rate limits), then handed to the push gateway and
 * forgotten. Nothing here touches the message writer, PostgreSQL (besides the access query) or Redis
 * (besides the adapter's publish and the rate-limit counters).
 */
export function createEphemeralService({ prisma, push, limits }: { prisma: PrismaClient; push: Push; limits: Limits }) {
  /** Builds and broadcasts one; the caller has checked access and spent the limits. */
  function broadcast(viewer: User, input: z.output<typeof ZSendEphemeral>): EphemeralMessageDto {
    const message: EphemeralMessageDto = {
      id: randomUUID(),
      roomId: input.roomId,
      author: { id: viewer.id, username: viewer.username },
      email: viewer.email,
      topic: input.topic,
      content: input.content,
      createdAt: new Date().toISOString(),
      clientMsgId: input.clientMsgId,
    }
    push.ephemeralCreated(message)
    return message
  }

  return {
    broadcast,

    /** `ephemeral:send`: to the sockets viewing the room now, on every instance; acked with the message. */
    async send(viewer: Viewer, input: z.output<typeof ZSendEphemeral>): Promise<{ message: EphemeralMessageDto }> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      await limits.spendLocal('messageBurst', viewer.id)
      await limits.spendLocal('messageSustained', viewer.id)
      try {
        await requireRoom(prisma, viewer, input.roomId, 'post')
        return { message: broadcast(viewer, input) }
      } finally {
        limits.share('messageBurst', viewer.id)
        limits.share('messageSustained', viewer.id)
      }
    },
  }
}
