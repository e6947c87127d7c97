import type { PresenceCounts } from '@contract/presence'
import type { RoomPresenceDto } from '@contract/rooms'
import { SvelteMap } from 'svelte/reactivity'

/** A typing notice expires if the "stopped" event never comes (tab closed, connection lost). */
const TYPING_TTL_MS = 6000

/** Who is online: global counts, who is viewing each room, and who is typing where. */
class Presence {
  counts = $state<PresenceCounts | null>(null)
  #rooms = new SvelteMap<string, RoomPresenceDto>()
  #typing = new SvelteMap<string, string[]>()
  #typingTimers = new Map<string, ReturnType<typeof setTimeout>>()

  room(roomId: string): RoomPresenceDto | null {
    return this.#rooms.get(roomId) ?? null
  }

  setRoom(presence: RoomPresenceDto): void {
    this.#rooms.set(presence.roomId, presence)
  }

  typingIn(roomId: string): string[] {
    return this.#typing.get(roomId) ?? []
  }

  setTyping(roomId: string, username: string, typing: boolean): void {
    const key = `${roomId}\n${username}`
    clearTimeout(this.#typingTimers.get(key))
    this.#typingTimers.delete(key)
    const others = this.typingIn(roomId).filter((u) => u !== username)
    this.#typing.set(roomId, typing ? [...others, username] : others)
    if (typing)
      this.#typingTimers.set(
        key,
        setTimeout(() => this.setTyping(roomId, username, false), TYPING_TTL_MS),
      )
  }

  /** After a disconnect or an identity change nothing we knew about rooms is current. */
  resetRooms(): void {
    for (const t of this.#typingTimers.values()) clearTimeout(t)
    this.#typingTimers.clear()
    this.#typing.clear()
    this.#rooms.clear()
  }
}

export const presence = new Presence()

/** "3 guests · 5 members online" */
export function formatCounts({ guests, users }: PresenceCounts): string {
  return `${guests} ${guests === 1 ? 'guest' : 'guests'} · ${users} ${users === 1 ? 'member' : 'members'} online`
}
