import type pg from 'pg'
import type { EscalationDto } from '../contract/commands'

/** An escalation row joined to its room's name and its asker's username. */
type EscalationRow = {
  id: string
  roomId: string
  roomName: string
  asker: string
  reason: string
  status: 'open' | 'resolved'
  createdAt: Date
  resolvedAt: Date | null
  resolvedBy: string | null
}

const columns = `e."id", e."roomId", r."name" AS "roomName", u."username" AS "asker", e."reason", e."status",
  e."createdAt", e."resolvedAt", e."resolvedBy"`
const from = (relation = '"Escalation"') =>
  `${relation} e JOIN "Room" r ON r."id" = e."roomId" JOIN "User" u ON u."id" = e."userId"`

export function toEscalationDto(row: EscalationRow): EscalationDto {
  return {
    ...row,
    createdAt: row.createdAt.toISOString(),
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
  }
}

/** The escalation statements; those taking `tx` run inside the command's transaction. */
export function createEscalationsRepo(pool: pg.Pool) {
  return {
    /**
     * Opens one, unless this clientMsgId already opened one or the person has one open in the room
     * (the unique indexes decide, so concurrent attempts on several instances open at most one).
     */
    async open(
      tx: pg.PoolClient,
      e: { roomId: string; userId: string; reason: string; clientMsgId: string },
    ): Promise<EscalationDto | null> {
      const { rows } = await tx.query<EscalationRow>(
        `WITH inserted AS (
           INSERT INTO "Escalation" ("roomId", "userId", "reason", "clientMsgId") VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING RETURNING *)
         SELECT ${columns} FROM ${from('inserted')}`,
        [e.roomId, e.userId, e.reason, e.clientMsgId],
      )
      return rows[0] ? toEscalationDto(rows[0]) : null
    },

    async byClientMsgId(tx: pg.PoolClient, userId: string, clientMsgId: string): Promise<EscalationDto | null> {
      const { rows } = await tx.query<EscalationRow>(
        `SELECT ${columns} FROM ${from()} WHERE e."userId" = $1 AND e."clientMsgId" = $2`,
        [userId, clientMsgId],
      )
      return rows[0] ? toEscalationDto(rows[0]) : null
    },

    /**
     * Resolves the open escalations of a room that `by` may resolve: their own, or, for the room's
     * creator, everyone's (or only `asker`'s when given).
     */
    async resolve(
      tx: pg.PoolClient,
      r: { roomId: string; by: { id: string; username: string }; isCreator: boolean; asker: string | null },
    ): Promise<EscalationDto[]> {
      const { rows } = await tx.query<EscalationRow>(
        `WITH changed AS (
           UPDATE "Escalation" x SET "status" = 'resolved', "resolvedAt" = now(), "resolvedBy" = $3
           FROM "User" a
           WHERE a."id" = x."userId" AND x."roomId" = $1 AND x."status" = 'open'
             AND ($4::boolean OR x."userId" = $2::uuid) AND ($5::text IS NULL OR a."username" = $5)
           RETURNING x.*)
         SELECT ${columns} FROM ${from('changed')} ORDER BY e."createdAt"`,
        [r.roomId, r.by.id, r.by.username, r.isCreator, r.asker],
      )
      return rows.map(toEscalationDto)
    },

    /** The open escalations of one room, oldest first. */
    async openInRoom(roomId: string): Promise<EscalationDto[]> {
      const { rows } = await pool.query<EscalationRow>(
        `SELECT ${columns} FROM ${from()} WHERE e."roomId" = $1 AND e."status" = 'open' ORDER BY e."createdAt"`,
        [roomId],
      )
      return rows.map(toEscalationDto)
    },

    /** The open escalations of every room `creatorId` created, oldest first. */
    async openForCreator(creatorId: string): Promise<EscalationDto[]> {
      const { rows } = await pool.query<EscalationRow>(
        `SELECT ${columns} FROM ${from()} WHERE r."creatorId" = $1 AND e."status" = 'open' ORDER BY e."createdAt"`,
        [creatorId],
      )
      return rows.map(toEscalationDto)
    },

    /** Whether `userId` has an open escalation in the room (who may run `/resolve`). */
    async hasOpen(roomId: string, userId: string): Promise<boolean> {
      const { rows } = await pool.query(
        `SELECT 1 FROM "Escalation" WHERE "roomId" = $1 AND "userId" = $2 AND "status" = 'open'`,
        [roomId, userId],
      )
      return rows.length > 0
    },
  }
}

export type EscalationsRepo = ReturnType<typeof createEscalationsRepo>
