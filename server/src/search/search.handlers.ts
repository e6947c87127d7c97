import type { PrismaClient } from '@prisma/client'
import { ZWatchRooms } from '../contract/search'
import type { Limits } from '../limits/limits'
import { isWatchChannel, roomWatchChannelFor } from '../realtime/channels'
import type { Handlers } from '../realtime/handler'
import { requireRoom } from '../rooms/rooms.access'

/**
 * `rooms:watch`: the socket receives the messages of these rooms for its live filters. Each room goes
 * through the access rule; one the viewer may not read is left out exactly like a missing one. A
 * removal racing with the watch wins: private rooms are checked again once the socket is in (as
 * `room:join` does), and `push.roomRemoved` takes the socket out of the watch channels too.
 */
export function registerSearchHandlers({
  prisma,
  limits,
  handlers,
}: {
  prisma: PrismaClient
  limits: Limits
  handlers: Handlers
}) {
  handlers.route('rooms:watch', ZWatchRooms, async (socket, { roomIds }) => {
    const { viewer } = socket.data
    await limits.consume('roomWatch', viewer.id)
    const wanted = new Set(roomIds)
    const readable: string[] = []
    const privateOnes: string[] = []
    for (const roomId of wanted) {
      const room = await requireRoom(prisma, viewer, roomId, 'read').catch(() => null)
      if (!room) continue
      readable.push(roomId)
      if (room.isPrivate) privateOnes.push(roomId)
    }
    const keep = new Set(readable.map((id) => roomWatchChannelFor(id, viewer)))
    for (const channel of [...socket.rooms])
      if (isWatchChannel(channel) && !keep.has(channel)) await socket.leave(channel)
    for (const channel of keep) await socket.join(channel)
    for (const roomId of privateOnes) {
      const still = await requireRoom(prisma, viewer, roomId, 'read').catch(() => null)
      if (!still) {
        await socket.leave(roomWatchChannelFor(roomId, viewer))
        readable.splice(readable.indexOf(roomId), 1)
      }
    }
    return { roomIds: readable }
  })
}
