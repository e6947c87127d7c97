import type { RedisClients } from '../db/redis'
import type { Logger } from '../lib/logger'

/** What a token is checked against: the user's identity and current token version. */
export type ViewerRecord = { id: string; username: string; email: string; tokenVersion: number }

/**
 * A change to a user, told to every instance. `tokenVersion`: tokens older than it are revoked
 * (password change, log out, sign out others); `gone`: the account was deleted; neither: only the
 * username or email changed.
 */
export type ViewerChange = { userId: string; tokenVersion?: number; gone?: true }

export type ViewerCache = ReturnType<typeof createViewerCache>

/** A user entry is about 200 bytes: this bounds the cache to a few MB per instance. */
export const VIEWER_CACHE_MAX = 20_000
/** A backstop, not the invalidation: an entry is used at most this long after it was read. */
export const VIEWER_CACHE_MAX_AGE_MS = 60_000

type Entry = ViewerRecord & { at: number }

/**
 * The per-instance cache of the user lookup that every socket handshake and REST request makes
 * (`auth.resolveViewer`). Exact across instances: the instance that changes a user calls `changed`
 * after the commit, which drops the entry here and publishes the change on Redis; every instance
 * drops it on receipt and cuts its own sockets of that user whose token is older (`revoke`), which
 * also covers a handshake that slipped in between the commit and the receipt. While the
 * subscription is down the cache is neither read nor filled, and it is emptied when the link comes
 * back (whatever was published meanwhile was missed); changes this instance could not publish are
 * sent again when its publishing link is back. Without Redis there is one instance and `changed` is
 * local.
 */
export function createViewerCache({
  redis,
  prefix,
  revoke,
  usersChanged = () => {},
  log,
  max = VIEWER_CACHE_MAX,
  maxAgeMs = VIEWER_CACHE_MAX_AGE_MS,
}: {
  redis: RedisClients | null
  prefix: string
  /** Cuts this instance's sockets of the user whose token version is below `minTokenVersion` (all when gone). */
  revoke: (userId: string, minTokenVersion: number) => void
  /** Told of every change received and of every flush: other caches of what users show (the page cache). */
  usersChanged?: () => void
  log: Logger
  max?: number
  maxAgeMs?: number
}) {
  const channel = `${prefix}:viewer-changed`
  // Map order is insertion order: re-inserting on a hit makes the first key the least recently used.
  const entries = new Map<string, Entry>()
  // Reads in flight, per user: a change (or a flush) that arrives meanwhile marks them and they read
  // again, so a read that started before the commit is never stored nor used for a handshake.
  const loading = new Map<string, Set<{ stale: boolean }>>()
  let started = false
  let linked = redis === null
  const unsent: ViewerChange[] = []

  function apply(change: ViewerChange) {
    usersChanged()
    entries.delete(change.userId)
    for (const mark of loading.get(change.userId) ?? []) mark.stale = true
    if (change.gone) revoke(change.userId, Number.POSITIVE_INFINITY)
    else if (change.tokenVersion !== undefined) revoke(change.userId, change.tokenVersion)
  }

  function flush() {
    usersChanged()
    entries.clear()
    for (const marks of loading.values()) for (const mark of marks) mark.stale = true
  }

  async function publish(change: ViewerChange) {
    if (!redis) return
    try {
      await redis.client.publish(channel, JSON.stringify(change))
    } catch (err) {
      // Kept until the publishing link is back; beyond the bound, everyone flushes instead.
      log.warn({ err, userId: change.userId }, 'user change not published yet')
      unsent.push(change)
    }
  }

  if (redis) {
    const { client, subscriber } = redis
    const down = () => {
      if (linked) log.warn('viewer cache off: its subscription is down')
      linked = false
      flush()
    }
    subscriber.on('error', down)
    subscriber.on('reconnecting', down)
    // node-redis emits 'ready' only after the resubscription was answered: nothing is missed after it.
    subscriber.on('ready', () => {
      flush()
      linked = started
    })
    let clientDown = false
    client.on('error', () => (clientDown = true))
    client.on('reconnecting', () => (clientDown = true))
    client.on('ready', () => {
      if (!clientDown) return
      clientDown = false
      const again = unsent.splice(0)
      if (again.length > 1000) void publish({ userId: '*' })
      else for (const change of again) void publish(change)
    })
  }

  return {
    /** Subscribes to changes; resolves once the subscription is live (the cache is used from then on). */
    async start() {
      if (!redis) return
      await redis.subscriber.subscribe(channel, (raw) => {
        let change: ViewerChange
        try {
          change = JSON.parse(raw) as ViewerChange
        } catch {
          return
        }
        if (change.userId === '*') flush()
        else apply(change)
      })
      started = true
      linked = redis.subscriber.isReady
    },

    /**
     * The user's record, from the cache or from `read` (null: no such user). A read that a change
     * overtook is done again, so the answer is never older than the last change received.
     */
    async get(userId: string, read: () => Promise<ViewerRecord | null>): Promise<ViewerRecord | null> {
      const hit = entries.get(userId)
      if (hit && linked && Date.now() - hit.at < maxAgeMs) {
        entries.delete(userId)
        entries.set(userId, hit)
        return hit
      }
      if (hit) entries.delete(userId)
      for (;;) {
        const mark = { stale: false }
        let marks = loading.get(userId)
        if (!marks) loading.set(userId, (marks = new Set()))
        marks.add(mark)
        let record: ViewerRecord | null
        try {
          record = await read()
        } finally {
          marks.delete(mark)
          if (marks.size === 0) loading.delete(userId)
        }
        if (mark.stale) continue
        if (record && linked) {
          entries.set(userId, { ...record, at: Date.now() })
          if (entries.size > max) entries.delete(entries.keys().next().value as string)
        }
        return record
      }
    },

    /** After a change to a user is committed: drops it here, then tells every other instance. */
    async changed(change: ViewerChange) {
      apply(change)
      await publish(change)
    },

    /** Entries held (tests and metrics). */
    get size() {
      return entries.size
    },
  }
}
