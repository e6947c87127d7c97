import type { PrismaClient } from '@prisma/client'
import type pg from 'pg'
import type { EscalationDto } from '../contract/commands'
import type { Viewer } from '../contract/events'
import { BOT_USER_ID } from '../contract/limits'
import type { MessageDto } from '../contract/messages'
import { AppError } from '../lib/app-error'
import type { MessagesService } from '../messages/messages.service'
import type { Push } from '../realtime/push'
import { findAuthored, insertAuthored, lockCommand } from '../commands/commands.repo'
import { canManage, type RoomRecord, requireRoom } from '../rooms/rooms.access'
import { createEscalationsRepo } from './escalations.repo'

export type EscalationsService = ReturnType<typeof createEscalationsService>
type User = Extract<Viewer, { kind: 'user' }>

/** What `/escalate` did: opened one (`created`), found the one this clientMsgId opened, or found one already open. */
export type OpenResult =
  | { outcome: 'opened' | 'retried'; escalation: EscalationDto; message: MessageDto | null }
  | { outcome: 'already_open'; escalation: EscalationDto }

/**
 * Escalations (issue 20): `/escalate` records one and the bot posts a message mentioning the room's
 * creator, in one transaction; `/resolve` closes them (the creator, or the asker). Each change goes
 * to the room's viewers and to the creator's sockets (`escalation:updated`), for the banner, the
 * toast and the creator's list.
 */
export function createEscalationsService({
  prisma,
  pool,
  messages,
  push,
}: {
  prisma: PrismaClient
  pool: pg.Pool
  messages: MessagesService
  push: Push
}) {
  const repo = createEscalationsRepo(pool)

  /** The bot's message of an escalation: its clientMsgId is derived from the escalation, so it exists once. */
  const botMessage = (
    tx: pg.PoolClient,
    room: RoomRecord,
    actorId: string,
    topic: string,
    content: string,
    key: string,
  ) =>
    insertAuthored(tx, {
      roomId: room.id,
      kind: 'bot',
      authorId: BOT_USER_ID,
      actorId,
      topic,
      content,
      notice: null,
      clientMsgId: key,
    })

  return {
    /**
     * Opens an escalation for `viewer` in `room` (access already checked by the caller) with the bot's
     * message. A retry with the same clientMsgId (any instance) returns what the first attempt did.
     */
    async open(
      viewer: User,
      room: RoomRecord,
      input: { reason: string; topic: string; clientMsgId: string },
    ): Promise<OpenResult> {
      const creator = room.creator?.username ?? ''
      const result = await messages.compose(
        room.id,
        viewer,
        async (tx): Promise<OpenResult & { row: null | Awaited<ReturnType<typeof botMessage>>; created?: boolean }> => {
          await lockCommand(tx, viewer.id, input.clientMsgId)
          const opened = await repo.open(tx, {
            roomId: room.id,
            userId: viewer.id,
            reason: input.reason,
            clientMsgId: input.clientMsgId,
          })
          if (!opened) {
            const mine = await repo.byClientMsgId(tx, viewer.id, input.clientMsgId)
            if (mine && mine.roomId !== room.id) {
              throw new AppError('conflict', {
                message: 'This clientMsgId was already used for another command.',
                fields: { clientMsgId: 'is already used' },
              })
            }
            if (mine) {
              const row = await findAuthored(tx, BOT_USER_ID, `escalation-${mine.id}`)
              return { outcome: 'retried', escalation: mine, message: null, row, created: false }
            }
            const [open] = (await repo.openInRoom(room.id)).filter((e) => e.asker === viewer.username)
            // Resolved between the insert and this read: nothing was stored, the client retries.
            if (!open) throw new AppError('unavailable')
            return { outcome: 'already_open', escalation: open, row: null }
          }
          const text = input.reason
            ? `@${creator} ${viewer.username} asked for a person in charge: ${input.reason}`
            : `@${creator} ${viewer.username} asked for a person in charge.`
          const row = await botMessage(tx, room, viewer.id, input.topic, text, `escalation-${opened.id}`)
          if (!row) throw new AppError('not_found') // access lost meanwhile: the escalation rolls back too
          return { outcome: 'opened', escalation: opened, message: null, row }
        },
      )
      if (result.outcome === 'already_open') return { outcome: result.outcome, escalation: result.escalation }
      // A retry tells everyone again (the first attempt's instance may have died before it did).
      if (room.creatorId) push.escalationUpdated(result.escalation, room.creatorId)
      return { outcome: result.outcome, escalation: result.escalation, message: result.message }
    },

    /**
     * Resolves what `viewer` may resolve in the room: their own open escalation, or, as the room's
     * creator, every open one (or `asker`'s). The bot says who resolved it.
     */
    async resolve(
      viewer: User,
      room: RoomRecord,
      input: { asker: string | null; topic: string; clientMsgId: string },
    ): Promise<{ resolved: EscalationDto[]; message: MessageDto | null }> {
      const isCreator = canManage(viewer, room)
      const result = await messages.compose(room.id, viewer, async (tx) => {
        await lockCommand(tx, viewer.id, input.clientMsgId)
        const resolved = await repo.resolve(tx, { roomId: room.id, by: viewer, isCreator, asker: input.asker })
        if (resolved.length === 0) return { resolved, row: null }
        const askers = resolved.map((e) => e.asker).join(', ')
        const text = `${viewer.username} resolved the escalation of ${askers}.`
        return { resolved, row: await botMessage(tx, room, viewer.id, input.topic, text, `resolved-${resolved[0].id}`) }
      })
      if (room.creatorId) for (const e of result.resolved) push.escalationUpdated(e, room.creatorId)
      return { resolved: result.resolved, message: result.message }
    },

    /** Whether `viewer` may run `/resolve` in the room: its creator, or someone with an open escalation there. */
    async mayResolve(viewer: User, room: RoomRecord): Promise<boolean> {
      return canManage(viewer, room) || (await repo.hasOpen(room.id, viewer.id))
    },

    /** `GET /api/rooms/:id/escalations`: the room's open escalations, for whoever may read the room. */
    async openInRoom(viewer: Viewer, roomId: string): Promise<{ escalations: EscalationDto[] }> {
      await requireRoom(prisma, viewer, roomId, 'read')
      return { escalations: await repo.openInRoom(roomId) }
    },

    /** `GET /api/escalations`: the open escalations of the rooms `viewer` created. */
    async openForCreator(viewer: User): Promise<{ escalations: EscalationDto[] }> {
      return { escalations: await repo.openForCreator(viewer.id) }
    },
  }
}
