import { Prisma, type PrismaClient } from '@prisma/client'
import type { z } from 'zod'
import type { PublicUserDto } from '../contract/auth'
import type { Viewer } from '../contract/events'
import type { SystemNotice } from '../contract/messages'
import type { RoomDto, ZCreateRoom } from '../contract/rooms'
import { AppError } from '../lib/app-error'
import type { Push } from '../realtime/push'
import { canManage, readableRooms, requireRoom, toRoomDto } from './rooms.access'

export type RoomsService = ReturnType<typeof createRoomsService>

const roomInclude = {
  creator: { select: { username: true } },
  _count: { select: { participants: true } },
} as const

export function createRoomsService({
  prisma,
  push,
  notice,
  onAdmitted,
}: {
  prisma: PrismaClient
  push: Push
  /** Writes a system notice into the room's timeline ("maya added jonas"); never throws. */
  notice: (roomId: string, notice: SystemNotice) => Promise<void>
  /** Someone was added to a private room, before they hear of it (issue 18: their read pointer). */
  onAdmitted?: (roomId: string, userId: string) => Promise<void>
}) {
  async function reload(roomId: string): Promise<RoomDto> {
    return toRoomDto(await prisma.room.findUniqueOrThrow({ where: { id: roomId }, include: roomInclude }))
  }

  async function participantIds(roomId: string): Promise<string[]> {
    const rows = await prisma.roomParticipant.findMany({ where: { roomId }, select: { userId: true } })
    return rows.map((r) => r.userId)
  }

  return {
    /**
     * The directory: public rooms plus the private rooms the viewer takes part in; the lobby first.
     * Direct conversations are not listed here (`GET /api/dms` lists the viewer's own).
     */
    async list(viewer: Viewer): Promise<RoomDto[]> {
      return (await readableRooms(prisma, viewer, 'room')).map(toRoomDto)
    },

    async get(viewer: Viewer, roomId: string): Promise<RoomDto> {
      return toRoomDto(await requireRoom(prisma, viewer, roomId, 'read'))
    },

    async create(viewer: Viewer, input: z.output<typeof ZCreateRoom>): Promise<RoomDto> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      if (!input.isPrivate && input.participants.length > 0) {
        throw new AppError('invalid_input', {
          message: 'Public rooms are open to everyone; only private rooms have participants.',
          fields: { participants: 'only allowed for private rooms' },
        })
      }
      const wanted = [...new Set(input.participants)].filter((u) => u !== viewer.username)
      const found = await prisma.user.findMany({
        where: { username: { in: wanted } },
        select: { id: true, username: true },
      })
      const unknown = wanted.filter((u) => !found.some((f) => f.username === u))
      if (unknown.length > 0) {
        throw new AppError('invalid_input', {
          message: `Unknown users: ${unknown.join(', ')}.`,
          fields: { participants: `unknown users: ${unknown.join(', ')}` },
        })
      }
      let room: RoomDto
      try {
        const created = await prisma.room.create({
          data: {
            name: input.name,
            description: input.description,
            isPrivate: input.isPrivate,
            publicNameKey: input.isPrivate ? null : input.name.toLowerCase(),
            creatorId: viewer.id,
            participants: { create: [{ userId: viewer.id }, ...found.map((u) => ({ userId: u.id }))] },
          },
          include: roomInclude,
        })
        room = toRoomDto(created)
      } catch (err) {
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
          throw new AppError('conflict', {
            message: 'A public room with that name already exists.',
            fields: { name: 'is already taken' },
          })
        }
        throw err
      }
      push.roomAdded(room, input.isPrivate ? [viewer.id, ...found.map((u) => u.id)] : 'everyone')
      return room
    },

    /** Deleting a room removes its messages; everyone who could see it gets `room:removed`. */
    async remove(viewer: Viewer, roomId: string): Promise<void> {
      const room = await requireRoom(prisma, viewer, roomId, 'manage')
      const audience = room.isPrivate ? await participantIds(roomId) : 'everyone'
      await prisma.room.delete({ where: { id: roomId } })
      push.roomRemoved(roomId, audience)
    },

    async participants(viewer: Viewer, roomId: string): Promise<PublicUserDto[]> {
      await requireRoom(prisma, viewer, roomId, 'read')
      const rows = await prisma.roomParticipant.findMany({
        where: { roomId },
        select: { user: { select: { id: true, username: true } } },
        orderBy: { user: { username: 'asc' } },
      })
      return rows.map((r) => r.user)
    },

    /** Creator only. Adding someone who is already in is a no-op. */
    async addParticipant(viewer: Viewer, roomId: string, username: string): Promise<PublicUserDto[]> {
      const room = await requireRoom(prisma, viewer, roomId, 'read')
      if (room.kind === 'dm') throw directMembersAreFixed()
      if (!canManage(viewer, room)) throw new AppError('forbidden')
      if (!room.isPrivate) throw publicRoomHasNoParticipants()
      const user = await prisma.user.findUnique({ where: { username }, select: { id: true } })
      if (!user)
        throw new AppError('invalid_input', {
          message: `Unknown user: ${username}.`,
          fields: { username: 'unknown user' },
        })
      const { count } = await prisma.roomParticipant.createMany({
        data: [{ roomId, userId: user.id }],
        skipDuplicates: true,
      })
      if (count > 0) {
        await onAdmitted?.(roomId, user.id)
        const room = await reload(roomId)
        push.roomAdded(room, [user.id])
        push.roomUpdated(
          room,
          (await participantIds(roomId)).filter((id) => id !== user.id),
        )
        const actor = viewer.kind === 'user' ? viewer.username : '' // requireRoom('manage') admits users only
        await notice(roomId, { type: 'participant_added', actor, target: username })
      }
      return this.participants(viewer, roomId)
    },

    /**
     * The creator removes anyone but themself; any participant may remove themself (leave).
     * The removed user's sockets leave the room on every instance before this returns.
     */
    async removeParticipant(viewer: Viewer, roomId: string, username: string): Promise<void> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      const room = await requireRoom(prisma, viewer, roomId, 'read')
      if (room.kind === 'dm') throw directMembersAreFixed()
      const leaving = username === viewer.username
      if (!leaving && room.creatorId !== viewer.id) throw new AppError('forbidden')
      if (!room.isPrivate) throw publicRoomHasNoParticipants()
      const user = await prisma.user.findUnique({ where: { username }, select: { id: true } })
      if (user && user.id === room.creatorId) {
        throw new AppError('forbidden', { message: 'The creator cannot leave or be removed; delete the room instead.' })
      }
      const { count } = user
        ? await prisma.roomParticipant.deleteMany({ where: { roomId, userId: user.id } })
        : { count: 0 }
      if (!user || count === 0) throw new AppError('not_found', { message: `${username} is not a participant.` })
      push.roomRemoved(roomId, [user.id])
      push.roomUpdated(await reload(roomId), await participantIds(roomId))
      // After the removed person's sockets left the room: the notice never reaches them live.
      await notice(
        roomId,
        leaving
          ? { type: 'participant_left', actor: viewer.username }
          : { type: 'participant_removed', actor: viewer.username, target: username },
      )
    },
  }
}

/** Adding or removing people (leaving included) is refused: another set of people is another conversation. */
function directMembersAreFixed() {
  return new AppError('forbidden', {
    message:
      'The people in a direct conversation are fixed: start a new conversation with the people you want, or close this one.',
  })
}

function publicRoomHasNoParticipants() {
  return new AppError('invalid_input', {
    message: 'Public rooms are open to everyone and have no participant list.',
    fields: { id: 'is a public room' },
  })
}
