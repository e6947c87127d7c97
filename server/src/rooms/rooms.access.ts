import type { PrismaClient, Room } from '@prisma/client'
import type { Viewer } from '../contract/events'
import type { RoomDto } from '../contract/rooms'
import { AppError } from '../lib/app-error'

/**
 * The one place that decides who may do what with a room, in three faces that must agree
 * (rooms.access.test.ts checks them for every kind of viewer and room):
 * - `canRead` / `canPost` / `canManage` over a loaded room, behind `requireRoom`, used by every REST
 *   route and socket event;
 * - `readableRoomsWhere`, the Prisma filter for listings;
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

async function loadRoom(prisma: PrismaClient, viewer: Viewer, roomId: string): Promise<RoomRecord | null> {
  // The participant lookup uses a never-matching id for guests so every viewer runs the same query.
  const userId = viewer.kind === 'user' ? viewer.id : '00000000-0000-0000-0000-000000000000'
  const room = await prisma.room.findUnique({
    where: { id: roomId },
    include: {
      creator: { select: { username: true } },
      _count: { select: { participants: true } },
      participants: { where: { userId }, select: { userId: true } },
    },
  })
  if (!room) return null
  const { participants, ...rest } = room
  return { ...rest, isParticipant: participants.length > 0 }
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
