import type { PrismaClient } from '@prisma/client'
import { z } from 'zod'
import { ZId } from '../contract/text'
import type { Logger } from '../lib/logger'
import type { MessagesService } from '../messages/messages.service'
import { roomChannelFor, roomChannels } from '../realtime/channels'
import { handle } from '../realtime/handler'
import type { AppSocket } from '../realtime/io.types'
import type { RoomPresence } from '../realtime/room-presence'
import { requireRoom, toRoomDto } from './rooms.access'

const ZTyping = z.object({ roomId: ZId, typing: z.boolean() })

/** `room:join`, `room:leave`, `typing:set`. */
export function registerRoomHandlers(
  socket: AppSocket,
  {
    prisma,
    messages,
    roomPresence,
    log,
  }: { prisma: PrismaClient; messages: MessagesService; roomPresence: RoomPresence; log: Logger },
) {
  const viewer = socket.data.viewer

  socket.on(
    'room:join',
    handle(socket, log, ZId, async (roomId) => {
      const room = await requireRoom(prisma, viewer, roomId, 'read')
      await socket.join(roomChannelFor(roomId, viewer))
      if (room.isPrivate) {
        // A removal that raced with this join must win: check again now that the socket is in.
        try {
          await requireRoom(prisma, viewer, roomId, 'read')
        } catch (err) {
          await socket.leave(roomChannelFor(roomId, viewer))
          throw err
        }
      }
      roomPresence.changed(roomId)
      const { messages: recent } = await messages.page(viewer, roomId, { limit: 50 })
      return { room: toRoomDto(room), messages: recent }
    }),
  )

  socket.on(
    'room:leave',
    handle(socket, log, ZId, async (roomId) => {
      const channels = roomChannels(roomId).filter((c) => socket.rooms.has(c))
      for (const c of channels) await socket.leave(c)
      if (channels.length > 0) roomPresence.changed(roomId)
    }),
  )

  socket.on(
    'typing:set',
    handle(socket, log, ZTyping, async ({ roomId, typing }) => {
      await requireRoom(prisma, viewer, roomId, 'post')
      if (viewer.kind !== 'user') return
      socket.to(roomChannels(roomId)).emit('typing:changed', { roomId, username: viewer.username, typing })
    }),
  )
}
