import type { PublicUserDto } from '@contract/auth'
import { send } from '../api'

const path = (roomId: string) => `/api/rooms/${roomId}/participants`

/**
 * The participant list of the private room on screen. The server sends no event when someone else
 * changes it, so it is (re)loaded when the panel opens or the room's participant count changes.
 */
class Participants {
  roomId = $state<string | null>(null)
  list = $state<PublicUserDto[]>([])
  loading = $state(false)

  async load(roomId: string): Promise<void> {
    if (this.roomId !== roomId) this.list = []
    this.roomId = roomId
    this.loading = true
    try {
      const { participants } = await send<{ participants: PublicUserDto[] }>(path(roomId))
      if (this.roomId === roomId) this.list = participants
    } finally {
      if (this.roomId === roomId) this.loading = false
    }
  }

  /** Creator only; adding someone already in is a no-op. */
  async add(roomId: string, username: string): Promise<void> {
    const { participants } = await send<{ participants: PublicUserDto[] }>(path(roomId), {
      method: 'POST',
      body: { username },
    })
    if (this.roomId === roomId) this.list = participants
  }

  /** The creator removes someone, or a participant removes themself (leaves). */
  async remove(roomId: string, username: string): Promise<void> {
    await send(`${path(roomId)}/${encodeURIComponent(username)}`, { method: 'DELETE' })
    if (this.roomId === roomId) this.list = this.list.filter((p) => p.username !== username)
  }
}

export const participants = new Participants()

/** Username suggestions for the "add people" fields (signed-in users only). */
export async function searchUsers(prefix: string): Promise<PublicUserDto[]> {
  const { users } = await send<{ users: PublicUserDto[] }>(`/api/users?query=${encodeURIComponent(prefix)}`)
  return users
}
