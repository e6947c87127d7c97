import type { PrismaClient, Room } from '@prisma/client'
import type { Viewer } from '../contract/events'
import type { RoomDto } from '../contract/rooms'
import { AppError } from '../lib/app-error'

/**
 * The one place that decides who may do what with a room, in three faces that must agree
 * (rooms.access.test.ts checks them for every kind of viewer and room):
 * - `canRead` / `canPost` / `canManage` over a loaded room, behind `requireRoom`, used by every REST
 *   route and socket event;
 * - `readableRoomsWhere`, the Prisma filter for listings, and `readableRooms`, the directory itself;
 * - `canReadSql`, the SQL fragment for statements that check access themselves (the message writer).
 * Nothing else checks access.
 */

export type RoomRecord = Room & {
  creator: { username: string } | null
  _count: { participants: number }
  /** Whether the viewer is a participant (always false for guests). */
  isParticipant: boolean
}

/**
 * Private rooms are readable by their participants only; public rooms by everyone, guests included.
 * A direct conversation is a private room (kind `dm`) whose participants are its members, so this one
 * rule covers it on every path.
 */
export const canRead = (viewer: Viewer, room: RoomRecord): boolean =>
  !room.isPrivate || (viewer.kind === 'user' && room.isParticipant)

/** Posting needs an account and read access. */
export const canPost = (viewer: Viewer, room: RoomRecord): boolean => viewer.kind === 'user' && canRead(viewer, room)

/**
 * Only the creator manages a room (participants, deletion). System rooms have no creator, and nobody
 * manages a direct conversation (its members are fixed; it has no creator either).
 */
export const canManage = (viewer: Viewer, room: RoomRecord): boolean =>
  viewer.kind === 'user' && room.kind === 'room' && room.creatorId !== null && room.creatorId === viewer.id

export type RoomNeed = 'read' | 'post' | 'manage'

/**
 * Loads a room for a viewer and checks access. A room the viewer may not read is reported exactly
 * like a missing one (`not_found`, same query, same message), so private rooms cannot be discovered.
 * Guests asking to post or manage get `unauthenticated` before anything is looked up.
 */
export async function requireRoom(
  prisma: PrismaClient,
  viewer: Viewer,
  roomId: string,
  need: RoomNeed,
): Promise<RoomRecord> {
  if (need !== 'read' && viewer.kind !== 'user') throw new AppError('unauthenticated')
  const room = await loadRoom(prisma, viewer, roomId)
  if (!room || !canRead(viewer, room)) throw new AppError('not_found')
  if (need === 'post' && !canPost(viewer, room)) throw new AppError('forbidden')
  if (need === 'manage' && !canManage(viewer, room)) throw new AppError('forbidden')
  return room
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

type RoomRow = Room & { creatorUsername: string | null; participantCount: number }

/** A RoomRecord's columns over `"Room" r` and its creator `u` (ROOM_FROM). */
const ROOM_COLUMNS = `r."id", r."name", r."publicNameKey", r."description", r."isPrivate", r."creatorId", r."lastSeq",
  r."rev", r."createdAt", r."kind"::text AS "kind", r."dmKey", u."username" AS "creatorUsername",
  (SELECT count(*)::int FROM "RoomParticipant" c WHERE c."roomId" = r."id") AS "participantCount"`
const ROOM_FROM = `"Room" r LEFT JOIN "User" u ON u."id" = r."creatorId"`

function toRecord({ creatorUsername, participantCount, ...room }: RoomRow): Omit<RoomRecord, 'isParticipant'> {
  return {
    ...room,
    creator: creatorUsername === null ? null : { username: creatorUsername },
    _count: { participants: participantCount },
  }
}

/**
 * One statement: the room, its creator's name, its participant count and whether the viewer takes
 * part. Every REST route and socket event about a room starts here, so it is raw SQL: Prisma's
 * findUnique with these includes ran three statements and its query compiler cost more CPU than
 * PostgreSQL did (issue 23: profiles of the join and reconnect storms). Guests look up a NULL user
 * id, so every viewer runs the same statement.
 */
async function loadRoom(prisma: PrismaClient, viewer: Viewer, roomId: string): Promise<RoomRecord | null> {
  if (!UUID.test(roomId)) return null
  const userId = viewer.kind === 'user' ? viewer.id : null
  const [row] = await prisma.$queryRawUnsafe<(RoomRow & { isParticipant: boolean })[]>(
    `SELECT ${ROOM_COLUMNS},
       EXISTS (SELECT 1 FROM "RoomParticipant" p WHERE p."roomId" = r."id" AND p."userId" = $2::uuid) AS "isParticipant"
     FROM ${ROOM_FROM} WHERE r."id" = $1::uuid`,
    roomId,
    userId,
  )
  if (!row) return null
  const { isParticipant, ...rest } = row
  return { ...toRecord(rest), isParticipant }
}

/**
 * The rooms of a kind the viewer may read (`canReadSql`), oldest first: the directory. One raw
 * statement for the same reason as loadRoom: every client that opens the app or reconnects lists
 * every public room, and in the reconnect storm Prisma's findMany of them was a quarter of the CPU.
 */
export async function readableRooms(
  prisma: PrismaClient,
  viewer: Viewer,
  kind: 'room' | 'dm',
): Promise<Omit<RoomRecord, 'isParticipant'>[]> {
  const userId = viewer.kind === 'user' ? viewer.id : null
  const rows = await prisma.$queryRawUnsafe<RoomRow[]>(
    `SELECT ${ROOM_COLUMNS} FROM ${ROOM_FROM}
     WHERE r."kind"::text = $1 AND ${canReadSql('r', '$2::uuid')}
     ORDER BY r."createdAt", r."id"`,
    kind,
    userId,
  )
  return rows.map(toRecord)
}

/**
 * The SQL face of `canRead`, for statements that check access themselves (the message writer, the
 * notices): a boolean expression over the room row `room` (an alias) and `userId`, an SQL expression
 * giving the viewer's user id (NULL for guests). Posting is this plus being a user.
 */
export const canReadSql = (room: string, userId: string) =>
  `(NOT ${room}."isPrivate" OR EXISTS (SELECT 1 FROM "RoomParticipant" p WHERE p."roomId" = ${room}."id" AND p."userId" = ${userId}))`

/** Prisma filter for the rooms a viewer may read: public ones plus private ones they take part in. */
export function readableRoomsWhere(viewer: Viewer) {
  return viewer.kind === 'user'
    ? { OR: [{ isPrivate: false }, { participants: { some: { userId: viewer.id } } }] }
    : { isPrivate: false }
}

export function toRoomDto(room: Omit<RoomRecord, 'isParticipant'>): RoomDto {
  return {
    id: room.id,
    kind: room.kind,
    name: room.name,
    description: room.description,
    isPrivate: room.isPrivate,
    createdBy: room.creator?.username ?? null,
    participantCount: room._count.participants,
    lastSeq: room.lastSeq,
    rev: room.rev,
    createdAt: room.createdAt.toISOString(),
  }
}
