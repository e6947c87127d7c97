import type { MessageDto } from '@contract/messages'
import type { SearchHitDto, SearchResultsDto } from '@contract/search'
import { send } from '../api'

/** The viewer's time zone: dates in queries (`on:2026-01-31`) are days here. */
export const timeZone = (() => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  } catch {
    return 'UTC'
  }
})()

/** One page of `GET /api/search` (every room the viewer can read, or one with `roomId`). */
export function searchPage(q: string, { roomId, cursor }: { roomId?: string | null; cursor?: string | null } = {}) {
  const params: Record<string, string> = { q, tz: timeZone }
  if (roomId) params.roomId = roomId
  if (cursor) params.cursor = cursor
  const query = Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&')
  return send<SearchResultsDto>(`/api/search?${query}`)
}

/** The search box (Ctrl/⌘+K): its query, results and pages. */
class Search {
  open = $state(false)
  query = $state('')
  results = $state<SearchHitDto[]>([])
  nextCursor = $state<string | null>(null)
  /** The query the results are for (null before the first search). */
  searched = $state<string | null>(null)
  busy = $state(false)
  error = $state<string | null>(null)
  /** A result opened in its room: the room view shows the messages around it. */
  focus = $state<{ message: MessageDto; marks: [number, number][] } | null>(null)
  #generation = 0

  async run(): Promise<void> {
    const q = this.query
    const generation = ++this.#generation
    this.busy = true
    this.error = null
    try {
      const page = await searchPage(q)
      if (generation !== this.#generation) return
      this.results = page.results
      this.nextCursor = page.nextCursor
      this.searched = q
    } catch (err) {
      if (generation === this.#generation) this.error = err instanceof Error ? err.message : String(err)
    } finally {
      if (generation === this.#generation) this.busy = false
    }
  }

  async more(): Promise<void> {
    if (!this.nextCursor || this.searched === null) return
    const generation = this.#generation
    this.busy = true
    try {
      const page = await searchPage(this.searched, { cursor: this.nextCursor })
      if (generation !== this.#generation) return
      this.results = [...this.results, ...page.results]
      this.nextCursor = page.nextCursor
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err)
    } finally {
      this.busy = false
    }
  }

  reset(): void {
    this.#generation++
    this.open = false
    this.query = ''
    this.results = []
    this.nextCursor = null
    this.searched = null
    this.error = null
    this.focus = null
    this.busy = false
  }
}

export const search = new Search()
