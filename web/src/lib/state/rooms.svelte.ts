import { LOBBY_ID } from '@contract/limits'
import type { RoomDto, TCreateRoom } from '@contract/rooms'
import { send } from '../api'

/** The rooms this viewer can see (public ones plus their private ones) and which one is open. */
class Rooms {
  list = $state<RoomDto[]>([])
  selectedId = $state(LOBBY_ID)
  loaded = $state(false)
  /** Bumped by reset(), so a list requested by the previous identity is thrown away. */
  #generation = 0

  get selected(): RoomDto | null {
    return this.list.find((r) => r.id === this.selectedId) ?? null
  }

  get publicRooms(): RoomDto[] {
    return this.list.filter((r) => !r.isPrivate)
  }

  /** Private rooms, not direct conversations (those are in `directs`, their own sidebar section). */
  get privateRooms(): RoomDto[] {
    return this.list.filter((r) => r.isPrivate && r.kind !== 'dm')
  }

  has(roomId: string): boolean {
    return this.list.some((r) => r.id === roomId)
  }

  async load(): Promise<void> {
    const generation = this.#generation
    const { rooms } = await send<{ rooms: RoomDto[] }>('/api/rooms')
    if (generation !== this.#generation) return
    // The directory has no direct conversations; keep the ones opened here (their headers use them).
    this.list = [...rooms, ...this.list.filter((r) => r.kind === 'dm')]
    this.loaded = true
  }

  /** Creates a room; it is added here right away (the `room:added` broadcast then only updates it). */
  async create(input: TCreateRoom): Promise<RoomDto> {
    const { room } = await send<{ room: RoomDto }>('/api/rooms', { method: 'POST', body: input })
    this.upsert(room)
    return room
  }

  /** Creator only. Everyone who could see it hears `room:removed`. */
  async delete(roomId: string): Promise<void> {
    await send(`/api/rooms/${roomId}`, { method: 'DELETE' })
  }

  upsert(room: RoomDto): void {
    const i = this.list.findIndex((r) => r.id === room.id)
    if (i >= 0) this.list[i] = room
    else this.list.push(room)
  }

  remove(roomId: string): void {
    this.list = this.list.filter((r) => r.id !== roomId)
  }

  reset(): void {
    this.#generation += 1
    this.list = []
    this.loaded = false
  }
}

export const rooms = new Rooms()
