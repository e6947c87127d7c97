import type { DirectDto } from '@contract/directs'
import type { ProfileDto, TUpdateProfile } from '@contract/profiles'
import { send } from '../api'
import { KEYS, writeText } from '../storage'

/** How a person is named on screen: the display name beside the username, or the username alone. */
export const nameOf = (p: Pick<ProfileDto, 'username' | 'displayName'>) => p.displayName || p.username

/**
 * Direct conversations (issue 19) and the profiles of the people in them. Each conversation is also a
 * room (kind `dm`): its messages live in the room's Timeline like any other.
 * Unread counts come with the unread issue (18): they belong beside `list`, keyed by room id.
 */
class Directs {
  list = $state<DirectDto[]>([])
  /** Profiles by user id: the members of the conversations, plus anyone whose card was opened. */
  profiles = $state<Record<string, ProfileDto>>({})
  #generation = 0
  /** Counts live profile updates; `#updatedAt` holds the count at each person's latest one. */
  #updates = 0
  #updatedAt = new Map<string, number>()

  has(roomId: string): boolean {
    return this.list.some((c) => c.room.id === roomId)
  }

  find(roomId: string): DirectDto | undefined {
    return this.list.find((c) => c.room.id === roomId)
  }

  /** The other members, as fresh as the last `user:updated` (you alone if everyone else is gone). */
  others(conversation: DirectDto, myId: string | undefined): ProfileDto[] {
    const people = conversation.members.filter((m) => m.id !== myId).map((m) => this.profiles[m.id] ?? m)
    return people
  }

  /** The conversation's title: the other people's names. */
  title(conversation: DirectDto, myId: string | undefined): string {
    const others = this.others(conversation, myId)
    return others.length === 0 ? 'Deleted user' : others.map(nameOf).join(', ')
  }

  async load(): Promise<void> {
    const generation = this.#generation
    const since = this.#updates
    const { conversations } = await send<{ conversations: DirectDto[] }>('/api/dms')
    if (generation !== this.#generation) return
    // A `user:updated` that arrived while this list was on its way is newer than the list's copy.
    for (const c of conversations) this.#remember(c, since)
    this.list = conversations
  }

  /** Opens (or creates) the conversation with these people; it appears here right away. */
  async open(usernames: string[]): Promise<DirectDto> {
    const { conversation } = await send<{ conversation: DirectDto }>('/api/dms', {
      method: 'POST',
      body: { usernames },
    })
    this.upsert(conversation)
    return conversation
  }

  /** Hides it until its next message (the server tells our other tabs). */
  async close(roomId: string): Promise<void> {
    await send(`/api/dms/${roomId}/close`, { method: 'POST' })
    this.remove(roomId)
  }

  upsert(conversation: DirectDto): void {
    this.#remember(conversation)
    const i = this.list.findIndex((c) => c.room.id === conversation.room.id)
    if (i >= 0) this.list[i] = conversation
    else this.list.push(conversation)
  }

  remove(roomId: string): void {
    this.list = this.list.filter((c) => c.room.id !== roomId)
  }

  /** A `user:updated`, or a profile fetched for a card. */
  setProfile(profile: ProfileDto): void {
    this.#updatedAt.set(profile.id, ++this.#updates)
    this.profiles[profile.id] = profile
  }

  /** Someone's card: the fresh profile from the server. */
  async fetchProfile(username: string): Promise<ProfileDto> {
    const { profile } = await send<{ profile: ProfileDto }>(`/api/profiles/${encodeURIComponent(username)}`)
    this.setProfile(profile)
    return profile
  }

  /** Changes your own profile; everyone who shows it hears `user:updated`. */
  async updateProfile(input: TUpdateProfile, { chosen = true } = {}): Promise<ProfileDto> {
    // A presence you pick yourself is not the idle tracker's to undo.
    if (chosen && input.presence !== undefined) writeText(KEYS.autoAway, null)
    const { profile } = await send<{ profile: ProfileDto }>('/api/profile', { method: 'PATCH', body: input })
    this.setProfile(profile)
    return profile
  }

  reset(): void {
    this.#generation += 1
    this.list = []
    this.profiles = {}
    this.#updatedAt.clear()
  }

  /** Takes the members' profiles from a conversation, except those updated live after `since`. */
  #remember(conversation: DirectDto, since = Infinity): void {
    for (const m of conversation.members) if ((this.#updatedAt.get(m.id) ?? 0) <= since) this.profiles[m.id] = m
  }
}

export const directs = new Directs()
