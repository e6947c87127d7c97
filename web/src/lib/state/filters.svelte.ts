import type { MessageDeletedDto, MessageDto } from '@contract/messages'
import type { FilterDto } from '@contract/search'
import { matchesQuery, type ParsedQuery, parseQuery } from '@contract/search-query'
import { send } from '../api'
import { rooms } from './rooms.svelte'
import { searchPage, timeZone } from './search.svelte'
import { session } from './session.svelte'

const GUEST_KEY = 'parlor.filters'

/** A filter with what the client keeps for it: its parsed query and unread count. */
export type FilterView = FilterDto & { parsed: ParsedQuery | null; unread: number }

/**
 * Live filters: saved queries (on the server for users, so the same on every device; in this tab's
 * session for guests). The open one shows its matching history from the server, then every new
 * message that matches, evaluated here with the contract's `matchesQuery` (the same language the
 * server's SQL speaks). Filters that are not open count their new matches as unread.
 */
class Filters {
  list = $state<FilterView[]>([])
  /** The open filter's id (its view replaces the room's conversation). */
  openId = $state<string | null>(null)
  /** The open filter's messages, oldest first. */
  items = $state<MessageDto[]>([])
  nextCursor = $state<string | null>(null)
  loading = $state(false)
  error = $state<string | null>(null)
  /** The room list the server last confirmed watching for us (`rooms:watch`), as `watchKey`. */
  watchedKey = $state<string | null>(null)
  #generation = 0

  /** Whether new messages of every room the filters need arrive live (the server has the current list). */
  get live(): boolean {
    return this.watchedKey === watchKey(this.watchedRooms)
  }

  get open(): FilterView | null {
    return this.list.find((f) => f.id === this.openId) ?? null
  }

  /** The rooms whose messages some filter needs live (sent as `rooms:watch`). */
  get watchedRooms(): string[] {
    if (this.list.length === 0) return []
    if (this.list.some((f) => f.roomId === null)) return rooms.list.map((r) => r.id)
    return [...new Set(this.list.map((f) => f.roomId as string))].filter((id) => rooms.has(id))
  }

  async load(): Promise<void> {
    const generation = ++this.#generation
    if (!session.isUser) {
      this.#set(readGuestFilters())
      return
    }
    const { filters } = await send<{ filters: FilterDto[] }>('/api/filters')
    if (generation === this.#generation) this.#set(filters)
  }

  async save(input: { name: string; query: string; roomId: string | null }): Promise<FilterDto> {
    if (!session.isUser) {
      const parsed = parseQuery(input.query)
      if (!parsed.ok) throw new Error(parsed.error)
      if (parsed.query.terms.length === 0) throw new Error('Type something to search for.')
      const now = new Date().toISOString()
      const filter: FilterDto = { id: `local-${crypto.randomUUID()}`, ...input, createdAt: now, updatedAt: now }
      this.upsert(filter)
      writeGuestFilters(this.list)
      return filter
    }
    const { filter } = await send<{ filter: FilterDto }>('/api/filters', { method: 'POST', body: input })
    this.upsert(filter)
    return filter
  }

  async remove(id: string): Promise<void> {
    if (session.isUser) await send(`/api/filters/${id}`, { method: 'DELETE' })
    this.removed(id)
    if (!session.isUser) writeGuestFilters(this.list)
  }

  /** `filter:saved` (from any of the user's devices) or our own save. */
  upsert(filter: FilterDto): void {
    const i = this.list.findIndex((f) => f.id === filter.id)
    const view = toView(filter, i >= 0 ? this.list[i].unread : 0)
    if (i >= 0) this.list[i] = view
    else this.list.push(view)
    if (this.openId === filter.id) void this.show(filter.id)
  }

  /** `filter:removed`. */
  removed(id: string): void {
    this.list = this.list.filter((f) => f.id !== id)
    if (this.openId === id) this.close()
  }

  /** Opens a filter: its history from the server, then live matches. */
  async show(id: string): Promise<void> {
    const filter = this.list.find((f) => f.id === id)
    if (!filter) return
    const generation = ++this.#generation
    this.openId = id
    filter.unread = 0
    this.items = []
    this.nextCursor = null
    this.error = null
    this.loading = true
    try {
      const page = await searchPage(filter.query, { roomId: filter.roomId })
      if (generation !== this.#generation) return
      this.items = page.results.map((h) => h.message).reverse()
      this.nextCursor = page.nextCursor
    } catch (err) {
      if (generation === this.#generation) this.error = err instanceof Error ? err.message : String(err)
    } finally {
      if (generation === this.#generation) this.loading = false
    }
  }

  /** Re-reads the open filter's newest page and merges it in (nothing is cleared on screen). */
  async refresh(): Promise<void> {
    const filter = this.open
    if (!filter || this.loading) return
    const page = await searchPage(filter.query, { roomId: filter.roomId }).catch(() => null)
    if (!page || this.openId !== filter.id) return
    const known = new Set(this.items.map((m) => m.id))
    const fresh = page.results.map((h) => h.message).filter((m) => !known.has(m.id))
    if (fresh.length === 0) return
    this.items = [...this.items, ...fresh].sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  }

  async older(): Promise<void> {
    const filter = this.open
    if (!filter || !this.nextCursor) return
    const page = await searchPage(filter.query, { roomId: filter.roomId, cursor: this.nextCursor })
    if (this.openId !== filter.id) return
    this.items = [...page.results.map((h) => h.message).reverse(), ...this.items]
    this.nextCursor = page.nextCursor
  }

  close(): void {
    this.#generation++
    this.openId = null
    this.items = []
    this.nextCursor = null
    this.loading = false
  }

  /** A live `message:created` or `message:updated`: evaluated against every filter. */
  receive(message: MessageDto, { isNew }: { isNew: boolean }): void {
    const ctx = { roomName: (id: string) => rooms.list.find((r) => r.id === id)?.name, timeZone }
    for (const filter of this.list) {
      if (!filter.parsed || (filter.roomId !== null && filter.roomId !== message.roomId)) continue
      const matches = matchesQuery(filter.parsed, message, ctx)
      if (filter.id === this.openId) {
        const i = this.items.findIndex((m) => m.id === message.id)
        if (i >= 0 && !matches) this.items.splice(i, 1)
        else if (i >= 0) this.items[i] = message
        else if (matches && isNew) this.items.push(message)
      } else if (matches && isNew && message.author?.id !== session.user?.id) {
        filter.unread += 1
      }
    }
  }

  /** `message:deleted`: gone from the open filter. */
  deleted(d: MessageDeletedDto): void {
    this.items = this.items.filter((m) => m.id !== d.id)
  }

  reset(): void {
    this.#generation++
    this.list = []
    this.watchedKey = null
    this.close()
  }

  #set(filters: FilterDto[]): void {
    const unread = new Map(this.list.map((f) => [f.id, f.unread]))
    this.list = filters.map((f) => toView(f, unread.get(f.id) ?? 0))
    if (this.openId && !this.list.some((f) => f.id === this.openId)) this.close()
  }
}

/** A room list as one comparable string. */
export const watchKey = (roomIds: string[]) => [...roomIds].sort().join(',')

function toView(filter: FilterDto, unread: number): FilterView {
  const parsed = parseQuery(filter.query)
  return { ...filter, parsed: parsed.ok ? parsed.query : null, unread }
}

function readGuestFilters(): FilterDto[] {
  try {
    return JSON.parse(sessionStorage.getItem(GUEST_KEY) ?? '[]') as FilterDto[]
  } catch {
    return []
  }
}

function writeGuestFilters(list: FilterView[]): void {
  try {
    sessionStorage.setItem(GUEST_KEY, JSON.stringify(list.map(({ parsed: _p, unread: _u, ...f }) => f)))
  } catch {
    // Storage full or blocked: the filters last as long as the page.
  }
}

export const filters = new Filters()
