import type { Viewer } from '../contract/events'
import type { PresenceCounts } from '../contract/presence'
import type { Logger } from '../lib/logger'
import { isUserPerson, type PresenceStore } from './presence.store'

export type Presence = ReturnType<typeof createPresence>

/**
 * Coalescing window: counts are recomputed and broadcast at most this often. A broadcast is one frame
 * per local socket, so the window grows with them: 200 ms up to 1 000 sockets, then 0.2 ms per socket
 * up to 2 s (10 000 sockets). While people keep arriving, an instance holding 10 000 sockets sends
 * 5 000 presence frames a second instead of 50 000 (issue 8's soak: that churn alone cost ~2.7 kB of
 * RSS per connection); the counts still move within two seconds.
 */
export function recomputeDelayMs(localSockets: number): number {
  return Math.min(2_000, Math.max(200, Math.round(localSockets * 0.2)))
}

/** Local changes wait this long to be written together. */
const FLUSH_DELAY_MS = 50

export const personOf = (viewer: Viewer) => (viewer.kind === 'user' ? `u:${viewer.id}` : `g:${viewer.id}`)

/**
 * Global online counts. Tracks this instance's sockets per person, mirrors them into the store, and
 * broadcasts `presence:changed` to this instance's own sockets when the cluster-wide counts change
 * (every instance does the same for its sockets, so nobody hears it twice).
 */
export function createPresence({
  store,
  heartbeatMs,
  broadcast,
  onInstanceLost = () => {},
  onUsersChanged = () => {},
  log,
}: {
  store: PresenceStore
  heartbeatMs: number
  broadcast: (counts: PresenceCounts) => void
  /** Another instance died and was reaped (room presence computed before then is stale; its last broadcasts may be missing). */
  onInstanceLost?: () => void
  /**
   * Users who got their first socket on this instance or lost their last one here, after the store
   * knows (issue 19: their online dot may have changed; `online` says what it is now).
   */
  onUsersChanged?: (userIds: string[]) => void
  log: Logger
}) {
  const local = new Map<string, number>()
  let localSockets = 0
  let last: PresenceCounts = { guests: 0, users: 0 }
  let timer: NodeJS.Timeout | null = null
  let heartbeat: NodeJS.Timeout | null = null
  let stopped = false

  const warn = (what: string) => (err: unknown) => log.warn({ err }, `presence: ${what} failed`)

  async function recompute() {
    timer = null
    if (stopped) return
    try {
      const counts = await store.counts()
      if (counts.guests !== last.guests || counts.users !== last.users) {
        last = counts
        broadcast(counts)
      }
    } catch (err) {
      warn('recompute')(err)
    }
  }

  function schedule() {
    if (!timer && !stopped) timer = setTimeout(recompute, recomputeDelayMs(localSockets))
  }

  // Changes are written to the store together, FLUSH_DELAY_MS after the first one: a burst of
  // connections costs one Redis write (and one announcement) per flush, not two per connection.
  const dirty = new Set<string>()
  /** Users whose sockets on this instance went from none to some, or back, since the last flush. */
  const crossed = new Set<string>()
  let flushTimer: NodeJS.Timeout | null = null

  async function flush() {
    flushTimer = null
    const changes = new Map([...dirty].map((person) => [person, local.get(person) ?? 0]))
    dirty.clear()
    const users = [...crossed].map((person) => person.slice(2))
    crossed.clear()
    try {
      await store.set(changes)
    } catch (err) {
      warn('update')(err) // the next heartbeat rewrites the whole entry
    }
    if (users.length > 0) onUsersChanged(users)
    schedule()
  }

  function change(person: string, delta: 1 | -1) {
    localSockets = Math.max(0, localSockets + delta)
    const before = local.get(person) ?? 0
    const sockets = Math.max(0, before + delta)
    if (isUserPerson(person) && (before === 0) !== (sockets === 0)) crossed.add(person)
    if (sockets > 0) local.set(person, sockets)
    else local.delete(person)
    dirty.add(person)
    if (!flushTimer && !stopped) flushTimer = setTimeout(() => void flush(), FLUSH_DELAY_MS)
  }

  return {
    async start() {
      await store.heartbeat(local)
      await store.subscribe(schedule, onInstanceLost)
      last = await store.counts()
      heartbeat = setInterval(() => {
        store.heartbeat(local).catch(warn('heartbeat'))
        schedule() // also notices instances that died
      }, heartbeatMs)
      heartbeat.unref()
    },
    connected: (viewer: Viewer) => change(personOf(viewer), 1),
    disconnected: (viewer: Viewer) => change(personOf(viewer), -1),
    /** The counts last computed; what a new socket is told on connect. */
    current: (): PresenceCounts => last,
    async counts(): Promise<PresenceCounts> {
      return store.counts()
    },

    /** Which of these users have a socket on some live instance. */
    async online(userIds: readonly string[]): Promise<Set<string>> {
      const found = await store.online(userIds.map((id) => `u:${id}`))
      return new Set([...found].map((person) => person.slice(2)))
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      if (flushTimer) clearTimeout(flushTimer)
      if (heartbeat) clearInterval(heartbeat)
      await store.close().catch(warn('close'))
    },
  }
}
