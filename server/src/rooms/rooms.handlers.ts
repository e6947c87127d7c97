import type { PrismaClient } from '@prisma/client'
import { ZTyping } from '../contract/rooms'
import { ZId } from '../contract/text'
import type { Limits } from '../limits/limits'
import type { MessagesService } from '../messages/messages.service'
import { roomChannelFor, roomChannels } from '../realtime/channels'
import type { Handlers } from '../realtime/handler'
import type { AppSocket } from '../realtime/io.types'
import type { RoomPresence } from '../realtime/room-presence'
import { requireRoom, toRoomDto } from './rooms.access'

/** `room:join`, `room:leave`, `typing:set`. */
export function registerRoomHandlers(
  socket: AppSocket,
  {
    prisma,
    messages,
    roomPresence,
    limits,
    handlers,
  }: {
    prisma: PrismaClient
    messages: MessagesService
    roomPresence: RoomPresence
    limits: Limits
    handlers: Handlers
  },
) {
  const viewer = socket.data.viewer

  handlers.on(socket, 'room:join', ZId, async (roomId) => {
    await limits.consume('roomJoin', viewer.id)
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
  })

  handlers.on(socket, 'room:leave', ZId, async (roomId) => {
    const channels = roomChannels(roomId).filter((c) => socket.rooms.has(c))
    for (const c of channels) await socket.leave(c)
    if (channels.length > 0) roomPresence.changed(roomId)
  })

  handlers.on(socket, 'typing:set', ZTyping, async ({ roomId, typing }) => {
    await requireRoom(prisma, viewer, roomId, 'post')
    if (viewer.kind !== 'user') return
    await limits.consume('typing', viewer.id)
    socket.to(roomChannels(roomId)).emit('typing:changed', { roomId, username: viewer.username, typing })
  })
}
