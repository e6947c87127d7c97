import type { PrismaClient } from '@prisma/client'
import type pg from 'pg'
import type { DirectDto } from '../contract/directs'
import type { Viewer } from '../contract/events'
import type { MessageDto } from '../contract/messages'
import { AppError } from '../lib/app-error'
import type { Logger } from '../lib/logger'
import type { Profiles } from '../profiles/profiles.service'
import type { Push } from '../realtime/push'
import { readableRoomsWhere, requireRoom, toRoomDto } from '../rooms/rooms.access'

export type Directs = ReturnType<typeof createDirects>

/**
 * Creates the conversation of a set of people, or does nothing if it exists (the unique dmKey decides,
 * also between instances): the room and all its members in one statement. The opener sees it at once;
 * the others only once a message arrives (closedAt set), as in Slack.
 * $1 = dmKey, $2 = member ids, $3 = the opener's id.
 */
const CREATE = `
WITH room AS (
  INSERT INTO "Room" ("name", "isPrivate", "kind", "dmKey") VALUES ('', true, 'dm', $1)
  ON CONFLICT ("dmKey") DO NOTHING
  RETURNING "id"
), members AS (
  INSERT INTO "RoomParticipant" ("roomId", "userId", "closedAt")
  SELECT room."id", m, CASE WHEN m = $3::uuid THEN NULL ELSE now() END
  FROM room, unnest($2::uuid[]) AS m
)
SELECT "id" FROM room`

/**
 * The existing conversation, reopened for the opener. A separate statement on purpose: when CREATE
 * lost the race it waited for the winner's commit, and only a new statement's snapshot sees that row.
 */
const REOPEN = `
UPDATE "RoomParticipant" p SET "closedAt" = NULL
FROM "Room" r
WHERE r."dmKey" = $1 AND p."roomId" = r."id" AND p."userId" = $2::uuid
RETURNING r."id"`

/** A message arrived: it reappears for every member who had closed it (or never opened it). */
const UNHIDE = `
UPDATE "RoomParticipant" SET "closedAt" = NULL
WHERE "roomId" = $1::uuid AND "closedAt" IS NOT NULL
RETURNING "userId"`

const roomInclude = {
  creator: { select: { username: true } },
  _count: { select: { participants: true } },
  participants: { select: { userId: true }, orderBy: { addedAt: 'asc' } },
} as const

/**
 * Direct conversations (issue 19): private rooms of kind `dm` with fixed members, so the room access
 * rule (rooms.access.ts) covers every path — messages, history, changes, room:join, typing — with no
 * check of their own. This service only creates, lists and closes them.
 */
export function createDirects({
  prisma,
  pool,
  push,
  profiles,
  log,
}: {
  prisma: PrismaClient
  pool: pg.Pool
  push: Push
  profiles: Profiles
  log: Logger
}) {
  /** Room kinds never change, so what we learnt once stays true (bounded; a miss costs one query). */
  const isDirect = new Map<string, boolean>()

  async function isDirectRoom(roomId: string): Promise<boolean> {
    const known = isDirect.get(roomId)
    if (known !== undefined) return known
    const room = await prisma.room.findUnique({ where: { id: roomId }, select: { kind: true } })
    if (isDirect.size >= 10_000) isDirect.clear()
    const direct = room?.kind === 'dm'
    isDirect.set(roomId, direct)
    return direct
  }

  /** The conversations' DTOs, members' profiles loaded together. */
  async function dtos(where: object): Promise<DirectDto[]> {
    const rooms = await prisma.room.findMany({ where, include: roomInclude, orderBy: { createdAt: 'asc' } })
    const members = await profiles.byIds([...new Set(rooms.flatMap((r) => r.participants.map((p) => p.userId)))])
    const byId = new Map(members.map((m) => [m.id, m]))
    return rooms.map(({ participants, ...room }) => ({
      room: toRoomDto(room),
      members: participants.flatMap((p) => byId.get(p.userId) ?? []),
    }))
  }

  async function one(roomId: string): Promise<DirectDto> {
    const [dto] = await dtos({ id: roomId })
    if (!dto) throw new AppError('not_found')
    return dto
  }

  return {
    /**
     * Opens the conversation of the viewer and these people: the existing one, or a new one. Exactly
     * one per set, whatever the order and however many instances open it at once.
     */
    async open(viewer: Viewer, usernames: string[]): Promise<{ conversation: DirectDto; created: boolean }> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      const wanted = [...new Set(usernames)].filter((u) => u !== viewer.username)
      if (wanted.length === 0) {
        throw new AppError('invalid_input', {
          message: 'Name at least one other person.',
          fields: { usernames: 'name at least one other person' },
        })
      }
      const found = await prisma.user.findMany({
        where: { username: { in: wanted } },
        select: { id: true, username: true },
      })
      const unknown = wanted.filter((u) => !found.some((f) => f.username === u))
      if (unknown.length > 0) {
        throw new AppError('invalid_input', {
          message: `Unknown users: ${unknown.join(', ')}.`,
          fields: { usernames: `unknown users: ${unknown.join(', ')}` },
        })
      }
      const ids = [viewer.id, ...found.map((u) => u.id)].sort()
      const key = ids.join(',')
      let roomId: string | undefined
      let created = false
      // Two rounds at most: CREATE inserts, or the row exists (committed) and REOPEN finds it.
      for (let round = 0; round < 3 && !roomId; round++) {
        const inserted = await pool.query<{ id: string }>(CREATE, [key, ids, viewer.id])
        if (inserted.rows[0]) {
          roomId = inserted.rows[0].id
          created = true
        } else roomId = (await pool.query<{ id: string }>(REOPEN, [key, viewer.id])).rows[0]?.id
      }
      if (!roomId) throw new AppError('unavailable')
      isDirect.set(roomId, true)
      const conversation = await one(roomId)
      push.directOpened(conversation, [viewer.id]) // the opener's other tabs
      return { conversation, created }
    },

    /** The viewer's open conversations (closed ones come back with their next message). */
    async list(viewer: Viewer): Promise<DirectDto[]> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      return dtos({
        AND: [
          readableRoomsWhere(viewer),
          { kind: 'dm' },
          { participants: { some: { userId: viewer.id, closedAt: null } } },
        ],
      })
    },

    /** Hides the conversation from the viewer's list until its next message. Not a DM: not_found. */
    async close(viewer: Viewer, roomId: string): Promise<void> {
      const room = await requireRoom(prisma, viewer, roomId, 'post')
      if (room.kind !== 'dm' || viewer.kind !== 'user') throw new AppError('not_found')
      await prisma.roomParticipant.updateMany({ where: { roomId, userId: viewer.id }, data: { closedAt: new Date() } })
      push.directClosed(roomId, viewer.id)
    },

    /** Called for every newly stored message: a direct conversation reappears where it was closed. Never throws. */
    messageStored(message: MessageDto): void {
      void (async () => {
        if (!(await isDirectRoom(message.roomId))) return
        const { rows } = await pool.query<{ userId: string }>(UNHIDE, [message.roomId])
        if (rows.length === 0) return
        push.directOpened(
          await one(message.roomId),
          rows.map((r) => r.userId),
        )
      })().catch((err: unknown) => log.warn({ err, roomId: message.roomId }, 'direct conversation not reopened'))
    },
  }
}
