import type { MessageRow } from './messages.dto'

/** Rooms whose newest page is kept (about 50 kB each). */
export const PAGE_CACHE_ROOMS = 256

export type PageCache = ReturnType<typeof createPageCache>

/**
 * The newest page of history of the rooms opened lately, as rows: the same for every viewer (each
 * viewer's own votes and reactions are added per request). Opening a room (`room:join`) reads it, so
 * a class opening one room at 9:00, or every client of a restarted pod resyncing, reads the page
 * from PostgreSQL once per room and instance instead of once per person (issue 23).
 *
 * Exact without any message between instances: every change to a room's messages (new message,
 * reply, edit, deletion, vote, reaction, files) bumps the room's `rev` in the statement that makes
 * it, and the access check every reader runs first returns that rev. A page is kept with the rev
 * read *before* its rows, and is only served to a reader that read the same rev: if anything changed
 * in between, the next reader's rev is higher and reads afresh. The one part of a row that `rev`
 * does not number is its author's profile (name, email, picture): `authorChanged` (every instance
 * hears of those through the user-change channel) empties the cache.
 */
export function createPageCache({ max = PAGE_CACHE_ROOMS }: { max?: number } = {}) {
  // Map order is insertion order: re-inserting on a hit makes the first key the least recently used.
  const pages = new Map<string, { rev: number; take: number; rows: MessageRow[] }>()
  /** Bumped by authorChanged: a read that started before it is not kept. */
  let generation = 0

  return {
    /**
     * The newest `take` rows of the room as of `rev` (the rev its reader's access check returned),
     * from the cache or from `read`.
     */
    async newest(roomId: string, rev: number, take: number, read: () => Promise<MessageRow[]>): Promise<MessageRow[]> {
      const hit = pages.get(roomId)
      if (hit && hit.rev === rev && hit.take === take) {
        pages.delete(roomId)
        pages.set(roomId, hit)
        return hit.rows
      }
      const started = generation
      const rows = await read()
      const current = pages.get(roomId)
      if (started === generation && (!current || current.rev <= rev)) {
        pages.delete(roomId)
        pages.set(roomId, { rev, take, rows })
        if (pages.size > max) pages.delete(pages.keys().next().value as string)
      }
      return rows
    },

    /** Someone's name, email or picture changed, or their account went: pages may show them. */
    authorChanged() {
      generation++
      pages.clear()
    },

    /** Rooms held (tests). */
    get size() {
      return pages.size
    },
  }
}
