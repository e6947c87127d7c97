// Loaded first by every bench server launcher (never by Parlor itself): samples the event-loop delay
// and answers the orchestrator's probe requests over the IPC channel of the forked process.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { serveRpc } from '../rpc'

export type ProbeReading = {
  /** Event-loop delay since the last reset, in ms. */
  eld: { p50: number; p99: number; max: number; mean: number }
  memory: NodeJS.MemoryUsage
}

const eld = monitorEventLoopDelay({ resolution: 10 })
eld.enable()

const ms = (ns: number) => Math.round(ns / 1000) / 1000

serveRpc(
  {
    'probe:reset': () => {
      eld.reset()
    },
    /** `gc: true` collects garbage first (servers run with --expose-gc) so memory figures are retained memory. */
    'probe:read': ({ gc }: { gc?: boolean }): ProbeReading => {
      // A plain full GC. (The "last resort" flavour returns more pages but also drops compiled code,
      // which then makes heap readings jump around while connections keep arriving.)
      if (gc) (globalThis as { gc?: () => void }).gc?.()
      return {
        eld: { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max), mean: ms(eld.mean) },
        memory: process.memoryUsage(),
      }
    },
  },
  // The orchestrator went away: stop the way a deployment would.
  () => process.kill(process.pid, 'SIGTERM'),
)
