import type { EphemeralMessageDto, EscalationDto } from '../contract/commands'
import type { DirectDto } from '../contract/directs'
import type { MessageDeletedDto, MessageDto } from '../contract/messages'
import type { PresenceCounts } from '../contract/presence'
import type { ProfileDto } from '../contract/profiles'
import type { OwnStateChangedDto } from '../contract/reactions'
import type { RoomDto, RoomPresenceDto } from '../contract/rooms'
import { maskEmail } from '../messages/messages.dto'
import type { FilterDto } from '../contract/search'
import type { ReceiptDto, RoomActivityDto, UnreadDto } from '../contract/unread'
import {
  roomChannels,
  roomGuestChannel,
  roomUserChannel,
  roomWatchChannels,
  roomWatchGuestChannel,
  roomWatchUserChannel,
  userChannel,
} from './channels'
import type { AppServer, AppSocket } from './io.types'

/** Who learns about a room change: everyone connected (public rooms) or these users' sockets. */
export type Audience = 'everyone' | string[]

export type Push = ReturnType<typeof createPush>

/** What a guest may see of a message: the author's email masked (`j***@example.com`). */
const forGuests = (message: MessageDto): MessageDto =>
  message.email === '' ? message : { ...message, email: maskEmail(message.email) }

/**
 * The push gateway: every event the server sends to clients leaves through here, and nothing else
 * calls `emit`. Each method names its audience —
 * - a room: the sockets that joined it (`room:join` checked access) on every instance;
 * - users: every socket of those accounts (their `user:<id>` channel) on every instance;
 * - everyone, or this instance's own sockets, or one socket —
 * and projects the payload per viewer where viewers differ. A room has two channels only for that
 * projection: signed-in viewers (`:u`) get authors' emails, guests (`:g`) get them masked.
 * Services call it after their data is committed; with the Redis adapter each call reaches the
 * sockets of every instance.
 */
export function createPush(io: AppServer, { accessRevoked }: { accessRevoked: (roomId: string) => void }) {
  /** Sends a message-shaped event to a room, projected for users and for guests. */
  const toRoom = (event: 'message:created' | 'message:updated', message: MessageDto) => {
    // The watch channels (live filters) ride in the same broadcast: one publish, each socket gets one copy.
    io.to([roomUserChannel(message.roomId), roomWatchUserChannel(message.roomId)]).emit(event, message)
    io.to([roomGuestChannel(message.roomId), roomWatchGuestChannel(message.roomId)]).emit(event, forGuests(message))
  }

  return {
    messageCreated: (message: MessageDto) => toRoom('message:created', message),

    /** An edit: the message's new state, to exactly the audience of `message:created`. */
    messageUpdated: (message: MessageDto) => toRoom('message:updated', message),

    /** A deletion: ids and rev only, never content (the same payload for every viewer). */
    messageDeleted({ roomId, id, seq, rev }: MessageDeletedDto) {
      io.to([...roomChannels(roomId), ...roomWatchChannels(roomId)]).emit('message:deleted', { roomId, id, seq, rev })
    },

    /** Your own vote and reactions on a message (issue 16): to every socket of yours, nobody else's. */
    ownStateChanged(userId: string, payload: OwnStateChangedDto) {
      io.to(userChannel(userId)).emit('mine:changed', payload)
    },

    /** Someone in the room (not `from` itself) started or stopped typing. */
    typingChanged(from: AppSocket, payload: { roomId: string; username: string; typing: boolean }) {
      from.to(roomChannels(payload.roomId)).emit('typing:changed', payload)
    },

    /** Who views a room, to the room's own channels only. */
    roomPresence(presence: RoomPresenceDto) {
      io.to(roomChannels(presence.roomId)).emit('room:presence', presence)
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
      const channels = [...roomChannels(roomId), ...roomWatchChannels(roomId)]
      if (audience === 'everyone') {
        io.in(channels).socketsLeave(channels)
        io.emit('room:removed', { roomId })
      } else if (audience.length > 0) {
        const targets = audience.map(userChannel)
        io.in(targets).socketsLeave(channels)
        io.to(targets).emit('room:removed', { roomId })
      }
      accessRevoked(roomId)
    },

    /** Global online counts: to this instance's sockets (every instance sends its own), or to one. */
    presenceChanged(counts: PresenceCounts, to?: AppSocket) {
      if (to) to.emit('presence:changed', counts)
      else io.local.emit('presence:changed', counts)
    },

    /**
     * Live delivery may have missed something: the clients catch up from the change stream. `local`:
     * this instance's sockets (its own subscription was down, or an instance was reaped — every
     * instance then tells its own); `cluster`: every socket of every instance, through Redis.
     */
    syncRequired(scope: 'local' | 'cluster') {
      if (scope === 'local') io.local.emit('sync:required')
      else io.emit('sync:required')
    },

    // Search (issue 17)
    /** A saved filter was created or changed: to its owner's sockets (every device and tab). */
    filterSaved(userId: string, filter: FilterDto) {
      io.to(userChannel(userId)).emit('filter:saved', filter)
    },

    /** A saved filter was deleted: to its owner's sockets. */
    filterRemoved(userId: string, id: string) {
      io.to(userChannel(userId)).emit('filter:removed', { id })
    },

    /**
     * This instance's sockets of the user whose token is older than `minTokenVersion` (every one of
     * them when it is infinite: the account is gone). The other instances do the same on the change
     * they receive (auth/viewer-cache.ts), which also catches a handshake that passed on their side
     * between the commit and the receipt, before `sessionsRevoked`'s broadcast could see it.
     */
    sessionsRevokedLocally(userId: string, minTokenVersion: number) {
      const reason = minTokenVersion === Number.POSITIVE_INFINITY ? 'deleted' : 'revoked'
      const namespace = io.of('/')
      for (const id of [...(namespace.adapter.rooms.get(userChannel(userId)) ?? [])]) {
        const socket = namespace.sockets.get(id)
        if (!socket || (socket.data.tokenVersion ?? -1) >= minTokenVersion) continue
        socket.emit('session:ended', { reason })
        socket.disconnect(true)
      }
    },

    /** The user's tokens were revoked (or the account deleted): tell their sockets and cut them, on every instance. */
    sessionsRevoked(userId: string, reason: 'revoked' | 'deleted' = 'revoked') {
      io.to(userChannel(userId)).emit('session:ended', { reason })
      io.in(userChannel(userId)).disconnectSockets(true)
    },

    // --- Ephemeral messages and escalations (issue 20).

    /**
     * An ephemeral message: to the sockets in the room's channels right now (those viewing it, on
     * every instance through the adapter's publish), emails masked for guests. Nothing keeps it: a
     * socket that joins later, or reconnects, never receives it.
     */
    ephemeralCreated(message: EphemeralMessageDto) {
      io.to(roomUserChannel(message.roomId)).emit('ephemeral:created', message)
      io.to(roomGuestChannel(message.roomId)).emit('ephemeral:created', { ...message, email: maskEmail(message.email) })
    },

    /** An escalation opened or resolved: to the room's viewers and to every socket of its creator. */
    escalationUpdated(escalation: EscalationDto, creatorId: string) {
      io.to([...roomChannels(escalation.roomId), userChannel(creatorId)]).emit('escalation:updated', escalation)
    },

    // Issue 19: direct conversations and profiles.

    /** A direct conversation (re)appears in these members' lists: their sockets, every instance. */
    directOpened(conversation: DirectDto, userIds: string[]) {
      if (userIds.length > 0) io.to(userIds.map(userChannel)).emit('direct:opened', conversation)
    },

    /** The member closed the conversation: their other tabs hide it too. */
    directClosed(roomId: string, userId: string) {
      io.to(userChannel(userId)).emit('direct:closed', { roomId })
    },

    /**
     * A profile or presence changed: to the people who share a direct conversation or a private room
     * with them (and their own sockets); see profiles.service.ts for why not everyone online.
     */
    userUpdated(profile: ProfileDto, audience: string[]) {
      if (audience.length > 0) io.to(audience.map(userChannel)).emit('user:updated', profile)
    },

    // --- Unread counts, mentions and receipts (issue 18).

    /** A person's badge in one room: to every socket of theirs (every device and tab), nobody else. */
    readChanged(userId: string, unread: UnreadDto) {
      io.to(userChannel(userId)).emit('read:changed', unread)
    },

    /**
     * A room's activity, to the user channels of the people who follow it (checked readers only, see
     * unread.service.ts), except for new messages and deletions the sockets viewing the room; the
     * `mentioned` get their copy with `mentioned: true`. One publish per copy, whatever the audience's
     * size, and only the followers' sockets receive it.
     */
    roomActivity(activity: RoomActivityDto, audience: string[], mentioned: string[]) {
      const flagged = new Set(mentioned)
      const plain = audience.filter((id) => !flagged.has(id))
      // A new message or a deletion skips the sockets viewing the room: they got the message event
      // itself (the web counts from it), so a busy room's viewers get one event per message, not two.
      const viewing =
        activity.kind === 'created' || activity.kind === 'deleted' ? [roomUserChannel(activity.roomId)] : []
      if (plain.length > 0) {
        io.to(plain.map(userChannel))
          .except(viewing)
          .emit('room:activity', { ...activity, mentioned: false })
      }
      if (flagged.size > 0) {
        io.to([...flagged].map(userChannel))
          .except(viewing)
          .emit('room:activity', { ...activity, mentioned: true })
      }
    },

    /** A participant's read receipt, to the signed-in viewers of a private room (its participants). */
    receiptChanged(receipt: ReceiptDto) {
      io.to(roomUserChannel(receipt.roomId)).emit('receipt:changed', receipt)
    },

    /** One socket's token expired: tell it and cut it. */
    sessionExpired(socket: AppSocket) {
      socket.emit('session:ended', { reason: 'expired' })
      socket.disconnect(true)
    },
  }
}
