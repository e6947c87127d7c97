import type { Viewer } from '../contract/events'
import type { PresenceCounts } from '../contract/presence'
import type { Logger } from '../lib/logger'
import type { PresenceStore } from './presence.store'

export type Presence = ReturnType<typeof createPresence>

/** Coalescing window: counts are recomputed and broadcast at most this often. */
const RECOMPUTE_DELAY_MS = 200

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
  log,
}: {
  store: PresenceStore
  heartbeatMs: number
  broadcast: (counts: PresenceCounts) => void
  log: Logger
}) {
  const local = new Map<string, number>()
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
    if (!timer && !stopped) timer = setTimeout(recompute, RECOMPUTE_DELAY_MS)
  }

  function change(person: string, delta: 1 | -1) {
    const sockets = Math.max(0, (local.get(person) ?? 0) + delta)
    if (sockets > 0) local.set(person, sockets)
    else local.delete(person)
    store
      .set(person, sockets)
      .then(() => store.announce())
      .catch(warn('update'))
    schedule()
  }

  return {
    async start() {
      await store.heartbeat(local)
      await store.subscribe(schedule)
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
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      if (heartbeat) clearInterval(heartbeat)
      await store.close().catch(warn('close'))
    },
  }
}
