import type { RoomPresenceDto } from '../contract/rooms'
import type { Logger } from '../lib/logger'
import { roomChannels, roomIdOfChannel } from './channels'
import type { AppServer } from './io.types'
import type { Push } from './push'

const DELAY_MS = 150
/**
 * Each publish sends the room's list of viewers to each of its viewers: n² bytes for n viewers. In a
 * room of 1 000 that opened at once (a class, a town hall: issue 23's join storm), publishing every
 * 150 ms wrote gigabytes and took most of the instance's CPU. So after a publish the room waits
 * this long per viewer it had (2 s for 1 000) before the next; small rooms still update within 150 ms.
 */
export const MS_PER_VIEWER = 2

/** How long a room's next publish waits: the coalescing delay, or longer after a publish to many viewers. */
export function publishDelay(now: number, quietUntil: number | undefined): number {
  return Math.max(DELAY_MS, (quietUntil ?? 0) - now)
}

/**
 * Per-room presence: who is viewing a room right now, sent as `room:presence` to the room's own
 * channels only (so only people who may read the room ever see it). Computed from the sockets in the
 * room's channels on every instance, coalesced per room.
 */
export function createRoomPresence({ io, push, log }: { io: AppServer; push: Push; log: Logger }) {
  const pending = new Map<string, NodeJS.Timeout>()
  /** Rooms whose last publish went to many viewers: no publish before this time (epoch ms). */
  const quietUntil = new Map<string, number>()
  /** Bumped when people lose access to a room, so a list computed before that is never sent after it. */
  const generations = new Map<string, number>()

  function changed(roomId: string) {
    if (!pending.has(roomId))
      pending.set(
        roomId,
        setTimeout(() => void publish(roomId), publishDelay(Date.now(), quietUntil.get(roomId))),
      )
  }

  /** Who is in the room's channels now, on every instance: usernames, and guests counted apart. */
  async function viewers(roomId: string): Promise<RoomPresenceDto> {
    const sockets = await io.in(roomChannels(roomId)).fetchSockets()
    const users = new Set<string>()
    const guests = new Set<string>()
    for (const s of sockets) {
      const viewer = s.data.viewer
      if (viewer.kind === 'user') users.add(viewer.username)
      else guests.add(viewer.id)
    }
    return { roomId, users: [...users].sort(), guests: guests.size }
  }

  async function publish(roomId: string) {
    pending.delete(roomId)
    const generation = generations.get(roomId)
    try {
      const presence = await viewers(roomId)
      if (generations.get(roomId) !== generation) return changed(roomId)
      push.roomPresence(presence)
      const audience = presence.users.length + presence.guests
      if (audience * MS_PER_VIEWER > DELAY_MS) quietUntil.set(roomId, Date.now() + audience * MS_PER_VIEWER)
      else quietUntil.delete(roomId)
    } catch (err) {
      log.warn({ err, roomId }, 'room presence failed')
    }
  }

  return {
    /** Someone joined or left `roomId`: recompute its presence shortly. */
    changed,
    /** Who is viewing `roomId` right now (`/who`); the caller has checked access. */
    viewers,
    /** People lost access to `roomId` (removal, deletion): drop lists computed before, then recompute. */
    accessRevoked(roomId: string) {
      generations.set(roomId, (generations.get(roomId) ?? 0) + 1)
      changed(roomId)
    },
    /**
     * Another instance died: its sockets left their rooms without a disconnect event anyone heard.
     * Recompute every room this instance has viewers in (every instance does this for its own).
     */
    refreshLocalRooms() {
      for (const channel of io.of('/').adapter.rooms.keys()) {
        const roomId = roomIdOfChannel(channel)
        if (roomId) changed(roomId)
      }
    },
    stop() {
      for (const t of pending.values()) clearTimeout(t)
      pending.clear()
      generations.clear()
      quietUntil.clear()
    },
  }
}

export type RoomPresence = ReturnType<typeof createRoomPresence>
