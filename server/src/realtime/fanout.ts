import type { MessageDeletedDto, MessageDto } from '../contract/messages'
import type { RoomDto } from '../contract/rooms'
import { maskEmail } from '../messages/messages.dto'
import { roomChannels, roomGuestChannel, roomUserChannel, userChannel } from './channels'
import type { AppServer } from './io.types'
import type { RoomPresence } from './room-presence'

/** Guests see who wrote, not how to reach them. */
const forGuests = (message: MessageDto): MessageDto =>
  message.email === '' ? message : { ...message, email: maskEmail(message.email) }

/** Who learns about a room change: everyone connected (public rooms) or these users' sockets. */
export type Audience = 'everyone' | string[]

export type Fanout = ReturnType<typeof createFanout>

/**
 * Everything the server pushes to clients goes through here. Services call it after their data is
 * committed; with the Redis adapter each call reaches the sockets of every instance.
 */
export function createFanout(io: AppServer, roomPresence: RoomPresence) {
  return {
    messageCreated(message: MessageDto) {
      io.to(roomUserChannel(message.roomId)).emit('message:created', message)
      io.to(roomGuestChannel(message.roomId)).emit('message:created', forGuests(message))
    },

    /** An edit: the message's new state, to exactly the audience of `message:created`. */
    messageUpdated(message: MessageDto) {
      io.to(roomUserChannel(message.roomId)).emit('message:updated', message)
      io.to(roomGuestChannel(message.roomId)).emit('message:updated', forGuests(message))
    },

    /** A deletion: ids and rev only, never content (the same payload for every viewer). */
    messageDeleted(deleted: MessageDeletedDto) {
      io.to(roomChannels(deleted.roomId)).emit('message:deleted', {
        roomId: deleted.roomId,
        id: deleted.id,
        seq: deleted.seq,
        rev: deleted.rev,
      })
    },

    roomAdded(room: RoomDto, audience: Audience) {
      if (audience === 'everyone') io.emit('room:added', room)
      else if (audience.length > 0) io.to(audience.map(userChannel)).emit('room:added', room)
    },

    roomUpdated(room: RoomDto, audience: string[]) {
      if (audience.length > 0) io.to(audience.map(userChannel)).emit('room:updated', room)
    },

    /**
     * The audience's sockets leave the room's channels first, then hear `room:removed`. Both go out on
     * the adapter's single ordered channel, so nothing broadcast to the room afterwards reaches them.
     */
    roomRemoved(roomId: string, audience: Audience) {
      if (audience === 'everyone') {
        io.in(roomChannels(roomId)).socketsLeave(roomChannels(roomId))
        io.emit('room:removed', { roomId })
      } else if (audience.length > 0) {
        const targets = audience.map(userChannel)
        io.in(targets).socketsLeave(roomChannels(roomId))
        io.to(targets).emit('room:removed', { roomId })
      }
      roomPresence.accessRevoked(roomId)
    },

    /** The user's tokens were revoked: tell their sockets and cut them, on every instance. */
    sessionsRevoked(userId: string) {
      io.to(userChannel(userId)).emit('session:ended', { reason: 'revoked' })
      io.in(userChannel(userId)).disconnectSockets(true)
    },
  }
}
