// Issue 18: who the composer offers after `@` — only people who can read the room: in a private room
// or a direct conversation its participants, in a public room anyone (the user search); `@room` only
// for the room's creator. The server decides again when the message is stored.
import type { PublicUserDto } from '@contract/auth'
import { ROOM_MENTION } from '@contract/mentions'
import { send } from '../../lib/api'
import { rooms, searchUsers, session } from '../../lib/state'

const MAX = 8
const members = new Map<string, Promise<PublicUserDto[]>>()

function participantsOf(roomId: string): Promise<PublicUserDto[]> {
  let list = members.get(roomId)
  if (!list) {
    list = send<{ participants: PublicUserDto[] }>(`/api/rooms/${roomId}/participants`).then((r) => r.participants)
    list.catch(() => members.delete(roomId))
    members.set(roomId, list)
    setTimeout(() => members.delete(roomId), 60_000) // people come and go
  }
  return list
}

/** Usernames starting with `prefix` that may be mentioned in the room (yours left out). */
export async function mentionCandidates(roomId: string, prefix: string): Promise<string[]> {
  const room = rooms.list.find((r) => r.id === roomId)
  const me = session.user?.username
  const people = room?.isPrivate ? await participantsOf(roomId) : prefix.length > 0 ? await searchUsers(prefix) : []
  const names = people.map((p) => p.username).filter((u) => u !== me && u.startsWith(prefix))
  if (room && room.createdBy === me && ROOM_MENTION.startsWith(prefix)) names.unshift(ROOM_MENTION)
  return names.slice(0, MAX)
}

/** The `@prefix` being typed at the end of the text, or null. */
export const typedMention = (text: string): string | null =>
  /(?:^|[^A-Za-z0-9_@.`-])@([A-Za-z0-9_-]{0,32})$/.exec(text)?.[1]?.toLowerCase() ?? null
