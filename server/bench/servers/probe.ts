// Loaded first by every bench server launcher (never by Parlor itself): samples the event-loop delay
// and answers the orchestrator's probe requests over the IPC channel of the forked process.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import pg from 'pg'
import { serveRpc } from '../rpc'

export type ProbeReading = {
  /** Event-loop delay since the last reset, in ms. */
  eld: { p50: number; p99: number; max: number; mean: number }
  memory: NodeJS.MemoryUsage
  /** PostgreSQL statements this process sent since the last reset (every pg.Client query: Prisma's
   *  through @prisma/adapter-pg, the raw pool's, BEGIN/COMMIT). 0 for the baselines (no database). */
  queries: number
}

const eld = monitorEventLoopDelay({ resolution: 10 })
eld.enable()

// Issue 23: count PostgreSQL round trips. Every statement Parlor sends goes through pg.Client.prototype.query
// (@prisma/adapter-pg calls it on pooled clients; db/pg-compat's CatalogSafeClient calls it via super),
// and this module is imported before Parlor's, so the patch is in place before any client exists.
let queries = 0
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  queries++
  return query.apply(this, args)
} as typeof pg.Client.prototype.query

const ms = (ns: number) => Math.round(ns / 1000) / 1000

serveRpc(
  {
    'probe:reset': () => {
      eld.reset()
      queries = 0
    },
    /** `gc: true` collects garbage first (servers run with --expose-gc) so memory figures are retained memory. */
    'probe:read': ({ gc }: { gc?: boolean }): ProbeReading => {
      // A plain full GC. (The "last resort" flavour returns more pages but also drops compiled code,
      // which then makes heap readings jump around while connections keep arriving.)
      if (gc) (globalThis as { gc?: () => void }).gc?.()
      return {
        eld: { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max), mean: ms(eld.mean) },
        memory: process.memoryUsage(),
        queries,
      }
    },
  },
  // The orchestrator went away: stop the way a deployment would.
  () => process.kill(process.pid, 'SIGTERM'),
)
