// L-soak: many mostly idle connections. A small share joins one room that gets a few messages per
// second; the rest only hold their socket (Socket.IO pings included). Measures memory per connection
// (retained: RSS after a full GC, before and after connecting) and event-loop delay while holding.

import { sleep } from '../clock'
import type { ClientSpec } from '../gen/protocol'
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
      connectConcurrency: ctx.opts.connectConcurrency,
      officialClient: ctx.opts.officialClient,
      dropDeliveries: ctx.opts.faults.dropDeliveries,
    },
    async (workers) => {
      const before = await Promise.all(sys.procs.map((p) => p.probe.read(true)))
      await Promise.all(sys.procs.map((p) => p.probe.reset()))
      const s0 = takeSample(sys, workers, ctx.infraPids)
      const connect = await connectWorkers(workers, soak.connectBudgetMs)
      const s1 = takeSample(sys, workers, ctx.infraPids)
      const ramp = await Promise.all(sys.procs.map((p) => p.probe.read()))
      if (connect.connected === 0) {
        return [failedRun('L-soak', sys.name, roundNo, `no connection opened: ${connect.errors[0]}`)]
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
      const m = await measure(sys, workers, senders, ctx.infraPids, {
        phase: 'm',
        rate: soak.rate,
        durationMs: soak.holdMs,
        fanout,
        drainTimeoutMs: 15_000,
      })
      const holdCpu = cpuBetween(m.start, m.end, sys, ctx.cores)
      const rampCpu = cpuBetween(s0, s1, sys, ctx.cores)
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

      const perProc = sys.procs.map((p, i) => {
        const conns = connect.byUrl[p.url] ?? 0
        const rss = after[i].memory.rss - before[i].memory.rss
        const heap = after[i].memory.heapUsed - before[i].memory.heapUsed
        return {
          name: p.name,
          connections: conns,
          rssBeforeMb: round(before[i].memory.rss / 2 ** 20, 1),
          rssAfterMb: round(after[i].memory.rss / 2 ** 20, 1),
          rssKbPerConnection: conns > 0 ? round(rss / 1024 / conns, 2) : null,
          heapKbPerConnection: conns > 0 ? round(heap / 1024 / conns, 2) : null,
        }
      })
      const rssDelta = after.reduce((a, r, i) => a + r.memory.rss - before[i].memory.rss, 0)
      const heapDelta = after.reduce((a, r, i) => a + r.memory.heapUsed - before[i].memory.heapUsed, 0)
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
            rssKbPerConnection: round(rssDelta / 1024 / connect.connected, 2),
            heapKbPerConnection: round(heapDelta / 1024 / connect.connected, 2),
            rssMbTotal: round(after.reduce((a, r) => a + r.memory.rss, 0) / 2 ** 20, 1),
            eldP99HoldMs: Math.max(...m.probes.map((p) => p.eld.p99)),
            eldMaxHoldMs: Math.max(...m.probes.map((p) => p.eld.max)),
            eldP99RampMs: Math.max(...ramp.map((p) => p.eld.p99)),
            serverCoresHold: round(holdCpu.serverCpuUsTotal / (holdCpu.seconds * 1e6), 3),
            serverCoresRamp: round(rampCpu.serverCpuUsTotal / (rampCpu.seconds * 1e6), 3),
            activeReceivers: fanout,
            deliveryP99Ms: delivery.p99,
            generatorMaxCoreShare: Math.max(0, ...holdCpu.generatorCoreShare),
            backgroundCpuShare: holdCpu.backgroundShare,
            ...out.figures,
          },
          details: {
            windowUs: [m.start.atUs, m.end.atUs],
            perProcess: perProc,
            holdCpu,
            rampCpu,
            eldHold: m.probes.map((p) => p.eld),
            eldRamp: ramp.map((p) => p.eld),
          },
        },
      ]
    },
  )
}
