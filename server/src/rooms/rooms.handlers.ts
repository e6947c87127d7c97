import type { PrismaClient } from '@prisma/client'
import type { Viewer } from '../contract/events'
import { ZTyping } from '../contract/rooms'
import { ZId } from '../contract/text'
import type { Limits } from '../limits/limits'
import type { MessagesService } from '../messages/messages.service'
import { roomChannelFor, roomChannels } from '../realtime/channels'
import type { Handlers } from '../realtime/handler'
import type { Push } from '../realtime/push'
import type { RoomPresence } from '../realtime/room-presence'
import { requireRoom, toRoomDto } from './rooms.access'

/** `room:join`, `room:leave`, `typing:set`. Called once per server; `handlers.attach` gives them to each socket. */
export function registerRoomHandlers({
  prisma,
  messages,
  roomPresence,
  push,
  limits,
  handlers,
  onOpened,
}: {
  prisma: PrismaClient
  messages: MessagesService
  roomPresence: RoomPresence
  push: Push
  limits: Limits
  handlers: Handlers
  /** A room was joined (issue 18: a signed-in viewer follows it from then on). */
  onOpened?: (viewer: Viewer, roomId: string) => Promise<void>
}) {
  handlers.route('room:join', ZId, async (socket, roomId) => {
    const { viewer } = socket.data
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
    await onOpened?.(viewer, roomId)
    const { messages: recent } = await messages.page(viewer, room, { limit: 50 })
    return { room: toRoomDto(room), messages: recent }
  })

  handlers.route('room:leave', ZId, async (socket, roomId) => {
    const channels = roomChannels(roomId).filter((c) => socket.rooms.has(c))
    for (const c of channels) await socket.leave(c)
    if (channels.length > 0) roomPresence.changed(roomId)
  })

  handlers.route('typing:set', ZTyping, async (socket, { roomId, typing }) => {
    const { viewer } = socket.data
    await requireRoom(prisma, viewer, roomId, 'post')
    if (viewer.kind !== 'user') return
    await limits.consume('typing', viewer.id)
    push.typingChanged(socket, { roomId, username: viewer.username, typing })
  })
}
