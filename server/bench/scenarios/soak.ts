// L-soak: many mostly idle connections. A small share joins one room that gets a few messages per
// second; the rest only hold their socket (Socket.IO pings included). Measures memory per connection
// (retained: RSS after a full GC, before and after connecting) and event-loop delay while holding.

import { sleep } from '../clock'
import type { ClientSpec, ConnectReport } from '../gen/protocol'
import { createRooms, fakeRooms } from '../infra'
import { openFilesLimit } from '../proc'
import { failedRun, ms, type RunCtx, type RunResult } from '../results'
import type { RunningSystem } from '../systems'
import { checkPhase } from './checks'
import {
  chunk,
  connectWorkers,
  cpuBetween,
  measure,
  reportsOf,
  retryWarning,
  round,
  takeSample,
  withWorkers,
} from './traffic'

/** File descriptors kept free for everything but client sockets. */

const FD_HEADROOM = 256

/** Memory of each server process (index = process) after a full GC, with its connection count. */
type MemPoint = { conns: number[]; rss: number[]; heap: number[]; heapTotal: number[] }
type MemKey = 'rss' | 'heap'

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b)
  if (v.length === 0) return 0
  const mid = Math.floor(v.length / 2)
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

/** Least-squares slope of one process's `key` over its connections: bytes per connection. */
function lsSlope(points: MemPoint[], proc: number, key: MemKey): number {
  const n = points.length
  const xs = points.map((p) => p.conns[proc])
  const ys = points.map((p) => p[key][proc])
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0)
  return sxx === 0 ? 0 : xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / sxx
}

/**
 * Median of one process's slopes between consecutive readings: bytes per connection, insensitive
 * to a one-off step — a fresh server returning its start-up memory (Parlor gives back ~50 MB some
 * 15 s after starting) or the first connections paying for warm-up — that would bend a fit.
 */
function medianStepSlope(points: MemPoint[], proc: number, key: MemKey): number {
  const steps: number[] = []
  for (let i = 1; i < points.length; i++) {
    const dx = points[i].conns[proc] - points[i - 1].conns[proc]
    if (dx > 0) steps.push((points[i][key][proc] - points[i - 1][key][proc]) / dx)
  }
  return median(steps)
}

/** Per-process slopes combined, weighted by each process's connections: bytes per connection. */
function perConnection(
  points: MemPoint[],
  slope: (points: MemPoint[], proc: number, key: MemKey) => number,
  key: MemKey,
) {
  const last = points[points.length - 1]
  const total = last.conns.reduce((a, b) => a + b, 0)
  if (total === 0) return 0
  return last.conns.reduce((a, c, proc) => a + slope(points, proc, key) * c, 0) / total
}

export async function runSoak(ctx: RunCtx, sys: RunningSystem, roundNo: number): Promise<RunResult[]> {
  const { soak } = ctx.opts
  const warnings: string[] = []
  const instances = sys.urls.length
  const serverLimit = Math.min(...sys.procs.map((p) => p.openFilesLimit ?? Number.POSITIVE_INFINITY))
  let target = soak.connections
  if (Math.ceil(target / instances) > serverLimit - FD_HEADROOM) {
    target = (serverLimit - FD_HEADROOM) * instances
    warnings.push(
      `reduced from ${soak.connections} to ${target} connections: the servers' open-files limit is ${serverLimit}`,
    )
  }
  if (target > ctx.db.users.length) target = ctx.db.users.length
  const ownLimit = openFilesLimit() ?? 1024
  const workerCount = Math.max(soak.workers, Math.ceil(target / (ownLimit - FD_HEADROOM)))
  const tag = ctx.runTag()
  const [room] = sys.protocol === 'parlor' ? await createRooms(ctx.db, { tag, count: 1 }) : fakeRooms(1)
  const active = Math.max(2, Math.round(target * soak.activeShare))
  const step = Math.max(1, Math.floor(target / active))
  // The active clients come first, so they are connected even if the connect budget runs out.
  const isActive = (i: number) => i % step === 0 && i / step < active
  const order = [...Array(target).keys()].sort((a, b) => Number(isActive(b)) - Number(isActive(a)))
  const clients: ClientSpec[] = order.map((i) => ({
    url: sys.urls[i % instances],
    user: ctx.db.users[i].username,
    token: ctx.db.users[i].token,
    joins: isActive(i) ? [room] : [],
  }))
  const lists = chunk(clients, workerCount)
  const senders = lists.map((_, w) => (w === 0 ? [{ client: 0, room }] : []))

  return withWorkers(
    sys.protocol,
    lists,
    {
      tag,
      padding: ctx.opts.padding,
      connectConcurrency: soak.connectConcurrency,
      officialClient: ctx.opts.officialClient,
      dropDeliveries: ctx.opts.faults.dropDeliveries,
    },
    async (workers) => {
      // Connect in stages; after each, read every server's memory after a full GC. RSS per connection
      // is the median slope between stages, JS heap per connection the least-squares slope; the
      // event-loop delay while connecting is read before those GCs.
      const points: MemPoint[] = []
      let byUrl: Record<string, number> = {}
      const memPoint = async (): Promise<MemPoint> => {
        const mem = await Promise.all(sys.procs.map((p) => p.probe.read(true)))
        const conns = sys.procs.map((p) => byUrl[p.url] ?? 0)
        return {
          conns,
          rss: mem.map((m) => m.memory.rss),
          heap: mem.map((m) => m.memory.heapUsed),
          heapTotal: mem.map((m) => m.memory.heapTotal),
        }
      }
      const base = await memPoint()
      points.push(base)
      const baseByProc = await Promise.all(sys.procs.map((p) => p.probe.read()))
      let connect: ConnectReport | null = null
      let rampCpuUs = 0
      let rampSeconds = 0
      let eldP99Ramp = 0
      const stages = Array.from({ length: soak.stages }, (_, i) => (i + 1) / soak.stages)
      for (const share of stages) {
        await Promise.all(sys.procs.map((p) => p.probe.reset()))
        const a = takeSample(sys, workers, ctx.database)
        connect = await connectWorkers(workers, soak.connectBudgetMs, share)
        const cpu = cpuBetween(a, takeSample(sys, workers, ctx.database), sys, ctx.cores)
        rampCpuUs += cpu.serverCpuUsTotal
        rampSeconds += cpu.seconds
        const eld = await Promise.all(sys.procs.map((p) => p.probe.read()))
        eldP99Ramp = Math.max(eldP99Ramp, ...eld.map((e) => e.eld.p99))
        // Let the connect burst's transient native allocations go before reading.
        await sleep(soak.stageSettleMs)
        byUrl = connect.byUrl
        points.push(await memPoint())
        if (connect.skipped > 0) break
      }
      if (!connect || connect.connected === 0) {
        return [failedRun('L-soak', sys.name, roundNo, `no connection opened: ${connect?.errors[0]}`)]
      }
      if (connect.skipped > 0)
        warnings.push(
          `connect budget of ${soak.connectBudgetMs / 1000} s reached: ${connect.connected} of ${target} connected ` +
            `(${Math.round(connect.connected / (connect.ms / 1000))}/s)`,
        )
      if (connect.failed > 0) warnings.push(`${connect.failed} connections failed after retries: ${connect.errors[0]}`)
      const fanout = workers.reduce(
        (n, w) => n + w.init.clients.filter((c, i) => c.joins.length > 0 && !w.notConnected.has(i)).length,
        0,
      )
      ctx.log(
        `  ${connect.connected} connections (${fanout} in the active room) in ${(connect.ms / 1000).toFixed(1)} s; holding`,
      )
      await sleep(soak.settleMs)
      const after = await Promise.all(sys.procs.map((p) => p.probe.read(true)))
      points[points.length - 1] = await memPoint()
      const m = await measure(sys, workers, senders, ctx.database, {
        phase: 'm',
        rate: soak.rate,
        durationMs: soak.holdMs,
        fanout,
        drainTimeoutMs: 15_000,
      })
      const holdCpu = cpuBetween(m.start, m.end, sys, ctx.cores)
      const reports = await reportsOf(workers)
      const out = await checkPhase(ctx, sys, {
        workers,
        reports,
        phase: 'm',
        tag,
        fanout,
        cpu: holdCpu,
        drained: m.drain.drained,
      })

      const c = connect
      const perProc = sys.procs.map((p, i) => ({
        name: p.name,
        connections: c.byUrl[p.url] ?? 0,
        rssBeforeMb: round(baseByProc[i].memory.rss / 2 ** 20, 1),
        rssAfterMb: round(after[i].memory.rss / 2 ** 20, 1),
      }))
      const kb = (bytes: number) => round(bytes / 1024, 2)
      const last = points[points.length - 1]
      const delivery = ms(out.merged.delivery.get('0'))
      return [
        {
          scenario: 'L-soak',
          system: sys.name,
          round: roundNo,
          valid: out.invalid.length === 0,
          invalid: out.invalid,
          warnings: [...warnings, ...retryWarning(connect), ...out.warnings],
          figures: {
            targetConnections: soak.connections,
            connections: connect.connected,
            failedConnections: connect.failed,
            connectionsPerInstance: Math.max(...perProc.map((p) => p.connections)),
            connectSeconds: round(connect.ms / 1000, 2),
            connectsPerSec: round(connect.connected / (connect.ms / 1000), 0),
            rssKbPerConnection: kb(perConnection(points, medianStepSlope, 'rss')),
            heapKbPerConnection: kb(perConnection(points, lsSlope, 'heap')),
            rssKbPerConnectionEndToEnd: kb((sum(last.rss) - sum(points[0].rss)) / Math.max(1, sum(last.conns))),
            rssMbTotal: round(after.reduce((a, r) => a + r.memory.rss, 0) / 2 ** 20, 1),
            eldP99HoldMs: Math.max(...m.probes.map((p) => p.eld.p99)),
            eldMaxHoldMs: Math.max(...m.probes.map((p) => p.eld.max)),
            eldP99RampMs: eldP99Ramp,
            serverCoresHold: round(holdCpu.serverCpuUsTotal / (holdCpu.seconds * 1e6), 3),
            serverCoresRamp: round(rampCpuUs / (rampSeconds * 1e6), 3),
            activeReceivers: fanout,
            deliveryP99Ms: delivery.p99,
            generatorMaxCoreShare: Math.max(0, ...holdCpu.generatorCoreShare),
            backgroundCpuShare: holdCpu.backgroundShare,
            ...out.figures,
          },
          details: {
            windowUs: [m.start.atUs, m.end.atUs],
            perProcess: perProc,
            memoryPoints: points.map((p) => ({
              connections: p.conns,
              rssMb: p.rss.map((v) => round(v / 2 ** 20, 1)),
              heapUsedMb: p.heap.map((v) => round(v / 2 ** 20, 1)),
              heapTotalMb: p.heapTotal.map((v) => round(v / 2 ** 20, 1)),
            })),
            holdCpu,
            eldHold: m.probes.map((p) => p.eld),
          },
        },
      ]
    },
  )
}
