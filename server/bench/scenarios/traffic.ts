// Shared machinery of the scenarios: generator processes, CPU sampling windows, draining, merging
// the workers' reports, and the validity checks.
import { resolve } from 'node:path'
import { nowUs, sleep } from '../clock'
import type {
  ClientSpec,
  ConnectReport,
  InitCmd,
  PhaseReport,
  Progress,
  Protocol,
  ScheduleCmd,
  WorkerReport,
} from '../gen/protocol'
import { type Histogram, merge } from '../hist'
import { cpuUs, type InfraCpu, infraCpuByPid, machineCpuUs } from '../proc'
import { rpcClient } from '../rpc'
import { forkTs, type RunningSystem, stopProcess } from '../systems'

export type Worker = {
  id: number
  pid: number
  init: InitCmd
  /** Clients that failed to connect or were skipped (their joins are not expected to receive). */
  notConnected: Set<number>
  call: ReturnType<typeof rpcClient>['call']
  stop(): Promise<void>
}

/** Forks one generator per client list and initialises it. */
export async function startWorkers(
  protocol: Protocol,
  clientLists: ClientSpec[][],
  common: {
    tag: string
    padding: number
    connectConcurrency: number
    officialClient?: boolean
    dropDeliveries?: number
  },
): Promise<Worker[]> {
  return Promise.all(
    clientLists.map(async (clients, id) => {
      const { child, output } = forkTs(resolve(import.meta.dirname, '../gen/worker.ts'))
      const rpc = rpcClient(child, `generator ${id}`)
      const init: InitCmd = {
        type: 'init',
        workerId: id,
        protocol,
        clients,
        connectConcurrency: common.connectConcurrency,
        padding: common.padding,
        tag: common.tag,
        officialClient: common.officialClient,
        // The fault goes to one worker only, so exactly that many deliveries go missing.
        dropDeliveries: id === 0 ? common.dropDeliveries : undefined,
      }
      try {
        await rpc.call(init, 30_000)
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${output()}`)
      }
      return {
        id,
        pid: child.pid as number,
        init,
        notConnected: new Set<number>(),
        call: rpc.call,
        stop: async () => {
          await rpc.call({ type: 'close' }, 10_000).catch(() => {})
          await stopProcess(child, 3000)
        },
      }
    }),
  )
}

/**
 * Connects the workers' clients (all, or each worker's first `share` of them); after `budgetMs` from
 * the first call no new connection is started. Figures are cumulative over calls.
 */
export async function connectWorkers(workers: Worker[], budgetMs: number, share = 1): Promise<ConnectReport> {
  const reports = await Promise.all(
    workers.map((w) =>
      w.call<ConnectReport>(
        { type: 'connect', budgetMs, upTo: Math.ceil(w.init.clients.length * share) },
        budgetMs + 120_000,
      ),
    ),
  )
  reports.forEach((r, i) => {
    workers[i].notConnected = new Set(r.notConnected)
  })
  return {
    connected: reports.reduce((a, r) => a + r.connected, 0),
    failed: reports.reduce((a, r) => a + r.failed, 0),
    skipped: reports.reduce((a, r) => a + r.skipped, 0),
    notConnected: [],
    ms: Math.max(...reports.map((r) => r.ms)),
    errors: reports.flatMap((r) => r.errors).slice(0, 10),
    retries: reports.reduce((a, r) => a + r.retries, 0),
    retryErrors: reports.flatMap((r) => r.retryErrors).slice(0, 10),
    byUrl: reports.reduce<Record<string, number>>((acc, r) => {
      for (const [url, n] of Object.entries(r.byUrl)) acc[url] = (acc[url] ?? 0) + n
      return acc
    }, {}),
  }
}

/** Splits `items` into `n` nearly equal consecutive chunks. */
export function chunk<T>(items: T[], n: number): T[][] {
  const out: T[][] = []
  const size = Math.ceil(items.length / n)
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * Sends an open-loop schedule through every worker that has senders: the total `rate` is split in
 * proportion to each worker's senders, every worker starting at the same instant.
 */
export async function runSchedule(
  workers: Worker[],
  senders: { client: number; room: string }[][],
  {
    phase,
    startAtUs,
    rate,
    durationMs,
    windows,
    toggleEvery,
  }: {
    phase: string
    startAtUs: number
    rate: number
    durationMs: number
    windows: { fromUs: number; toUs: number }[]
    toggleEvery?: number
  },
): Promise<number> {
  const total = senders.reduce((a, s) => a + s.length, 0)
  const results = await Promise.all(
    workers.map((w, i) => {
      const mine = senders[i] ?? []
      if (mine.length === 0) return { sent: 0 }
      const r = (rate * mine.length) / total
      const cmd: ScheduleCmd = {
        type: 'schedule',
        phase,
        startAtUs,
        rate: r,
        count: Math.max(1, Math.round((r * durationMs) / 1000)),
        senders: mine,
        windows,
        toggleEvery,
      }
      return w.call<{ sent: number }>(cmd, durationMs + 120_000)
    }),
  )
  return results.reduce((a, r) => a + r.sent, 0)
}

/**
 * Waits until every send of the phase is acknowledged (or failed) and `deliveriesPerAck × acked`
 * messages arrived, or until nothing has moved for `quietMs`, or `timeoutMs`. Returns when it ended.
 */
export async function drain(
  workers: Worker[],
  phase: string,
  deliveriesPerAck: number,
  { timeoutMs, quietMs = 3000 }: { timeoutMs: number; quietMs?: number },
): Promise<{ drained: boolean; atUs: number; progress: Progress }> {
  // Every send ends (acknowledged, refused, or timed out by the generator), so wait for that without
  // a quiet cut-off; then give the deliveries until nothing has arrived for `quietMs`.
  const until = Date.now() + timeoutMs
  let last = -1
  let lastChange = Date.now()
  while (true) {
    const ps = await Promise.all(workers.map((w) => w.call<Progress>({ type: 'poll', phase }, 10_000)))
    const p: Progress = {
      sent: ps.reduce((a, x) => a + x.sent, 0),
      acked: ps.reduce((a, x) => a + x.acked, 0),
      failed: ps.reduce((a, x) => a + x.failed, 0),
      delivered: ps.reduce((a, x) => a + x.delivered, 0),
      disconnects: ps.reduce((a, x) => a + x.disconnects, 0),
    }
    const atUs = nowUs()
    const settled = p.acked + p.failed >= p.sent
    if (settled && p.delivered >= p.acked * deliveriesPerAck) return { drained: true, atUs, progress: p }
    if (p.delivered !== last) {
      last = p.delivered
      lastChange = Date.now()
    }
    if ((settled && Date.now() - lastChange > quietMs) || Date.now() > until)
      return { drained: false, atUs, progress: p }
    await sleep(50)
  }
}

export type Sample = {
  atUs: number
  servers: number[]
  workers: number[]
  infra: InfraCpu
  machine: { busy: number; total: number }
  self: number
}

export function takeSample(sys: RunningSystem, workers: Worker[], database: string): Sample {
  const self = process.cpuUsage()
  return {
    atUs: nowUs(),
    servers: sys.procs.map((p) => cpuUs(p.pid) ?? 0),
    workers: workers.map((w) => cpuUs(w.pid) ?? 0),
    infra: infraCpuByPid(database),
    machine: machineCpuUs(),
    self: self.user + self.system,
  }
}

export type WindowCpu = {
  seconds: number
  /** CPU µs per server process, and their sum. */
  serverCpuUs: Record<string, number>
  serverCpuUsTotal: number
  /** Share of one core used by each generator process. */
  generatorCoreShare: number[]
  /** PostgreSQL (this database's backends + shared background processes) + Redis, and the split. */
  infraCpuUs: number
  postgresCpuUs: number
  redisCpuUs: number
  /** Share of the machine's cores busy, and the part of it not from this bench (other tenants). */
  machineBusyShare: number
  backgroundShare: number
}

export function cpuBetween(a: Sample, b: Sample, sys: RunningSystem, cores: number): WindowCpu {
  const wallUs = Math.max(1, b.atUs - a.atUs)
  const servers = sys.procs.map((p, i) => [p.name, b.servers[i] - a.servers[i]] as const)
  const serverTotal = servers.reduce((s, [, v]) => s + v, 0)
  const workerDeltas = b.workers.map((v, i) => v - a.workers[i])
  const workerTotal = workerDeltas.reduce((s, v) => s + v, 0)
  // Processes that appeared during the window count from zero; ones that vanished are lost.
  const split = { postgres: 0, redis: 0 }
  for (const [pid, { cpu, kind }] of b.infra) split[kind] += cpu - (a.infra.get(pid)?.cpu ?? 0)
  const infra = split.postgres + split.redis
  const busy = b.machine.busy - a.machine.busy
  const total = Math.max(1, b.machine.total - a.machine.total)
  const ours = serverTotal + workerTotal + infra + (b.self - a.self)
  return {
    seconds: wallUs / 1e6,
    serverCpuUs: Object.fromEntries(servers),
    serverCpuUsTotal: serverTotal,
    generatorCoreShare: workerDeltas.map((v) => round(v / wallUs, 3)),
    infraCpuUs: infra,
    postgresCpuUs: split.postgres,
    redisCpuUs: split.redis,
    machineBusyShare: round(busy / total, 3),
    backgroundShare: round(Math.max(0, busy - ours) / (cores * wallUs), 3),
  }
}

export type MergedPhase = {
  sent: number
  acked: number
  failed: number
  delivered: number
  lastAckUs: number
  ackedByRoom: Map<string, { count: number; idSum: number }>
  delivery: Map<string, Histogram>
  ack: Map<string, Histogram>
  sendLag: Histogram
}

export function mergePhase(reports: WorkerReport[], phase: string): MergedPhase {
  const parts = reports.map((r) => r.phases[phase]).filter((p): p is PhaseReport => p !== undefined)
  const ackedByRoom = new Map<string, { count: number; idSum: number }>()
  for (const p of parts) {
    for (const [room, a] of Object.entries(p.ackedByRoom)) {
      const m = ackedByRoom.get(room) ?? { count: 0, idSum: 0 }
      m.count += a.count
      m.idSum += a.idSum
      ackedByRoom.set(room, m)
    }
  }
  const windows = new Set(parts.flatMap((p) => [...Object.keys(p.delivery), ...Object.keys(p.ack)]))
  return {
    sent: parts.reduce((a, p) => a + p.sent, 0),
    acked: parts.reduce((a, p) => a + p.acked, 0),
    failed: parts.reduce((a, p) => a + p.failed, 0),
    delivered: parts.reduce((a, p) => a + p.delivered, 0),
    lastAckUs: Math.max(0, ...parts.map((p) => p.lastAckUs)),
    ackedByRoom,
    delivery: new Map([...windows].map((w) => [w, merge(parts.map((p) => p.delivery[w]))])),
    ack: new Map([...windows].map((w) => [w, merge(parts.map((p) => p.ack[w]))])),
    sendLag: merge(parts.map((p) => p.sendLag)),
  }
}

/**
 * Exact delivery check: every receiver (a client that joined a room) must have received exactly the
 * messages acknowledged in that room — same count and same sum of ids — and nothing else.
 */
export function checkDeliveries(
  workers: Worker[],
  reports: WorkerReport[],
  phase: string,
  merged: MergedPhase,
): { expected: number; mismatchedReceivers: number; unexpected: number } {
  let expected = 0
  let mismatched = 0
  let unexpected = 0
  workers.forEach((w, wi) => {
    const got = new Map((reports[wi].phases[phase]?.received ?? []).map((r) => [`${r.client}|${r.room}`, r]))
    w.init.clients.forEach((spec, ci) => {
      if (w.notConnected.has(ci)) return
      for (const room of spec.joins) {
        const want = merged.ackedByRoom.get(room) ?? { count: 0, idSum: 0 }
        expected += want.count
        const r = got.get(`${ci}|${room}`)
        got.delete(`${ci}|${room}`)
        if ((r?.count ?? 0) !== want.count || (r?.idSum ?? 0) !== want.idSum) mismatched++
      }
    })
    for (const r of got.values()) unexpected += r.count
  })
  return { expected, mismatchedReceivers: mismatched, unexpected }
}

export const round = (n: number, digits = 2) => {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

export type Measured<T> = {
  startAtUs: number
  endAtUs: number
  start: Sample
  /** Samples taken at the requested offsets from the start. */
  marks: Sample[]
  /** Sample taken when the phase drained. */
  end: Sample
  drain: Awaited<ReturnType<typeof drain>>
  /** Event-loop delay and memory of each server process over the phase. */
  probes: import('../servers/probe').ProbeReading[]
  during: T | undefined
}

/**
 * One measured phase: resets the probes, starts the open-loop schedule a moment from now, samples
 * CPU at the start, at `markOffsetsMs` and after draining, and runs `during` alongside.
 */
export async function measure<T = undefined>(
  sys: RunningSystem,
  workers: Worker[],
  senders: { client: number; room: string }[][],
  database: string,
  p: {
    phase: string
    rate: number
    durationMs: number
    fanout: number
    drainTimeoutMs: number
    windows?: (startAtUs: number) => { fromUs: number; toUs: number }[]
    markOffsetsMs?: number[]
    during?: (startAtUs: number) => Promise<T>
    /** Votes and reactions mixed in: one toggle per this many messages (issue 16). */
    toggleEvery?: number
  },
): Promise<Measured<T>> {
  const startAtUs = nowUs() + 400_000
  await Promise.all([...sys.procs.map((s) => s.probe.reset()), ...workers.map((w) => w.call({ type: 'eld-reset' }))])
  const windows = p.windows?.(startAtUs) ?? [{ fromUs: startAtUs, toUs: startAtUs + p.durationMs * 1000 + 1 }]
  const sending = runSchedule(workers, senders, {
    phase: p.phase,
    startAtUs,
    rate: p.rate,
    durationMs: p.durationMs,
    windows,
    toggleEvery: p.toggleEvery,
  })
  const marking = (async () => {
    const out: Sample[] = []
    for (const offset of p.markOffsetsMs ?? []) {
      await sleepUntilUs(startAtUs + offset * 1000)
      out.push(takeSample(sys, workers, database))
    }
    return out
  })()
  const during = p.during?.(startAtUs)
  await sleepUntilUs(startAtUs)
  const start = takeSample(sys, workers, database)
  await sending
  const endAtUs = startAtUs + p.durationMs * 1000
  const drained = await drain(workers, p.phase, p.fanout, { timeoutMs: p.drainTimeoutMs })
  const end = takeSample(sys, workers, database)
  const probes = await Promise.all(sys.procs.map((s) => s.probe.read()))
  return { startAtUs, endAtUs, start, marks: await marking, end, drain: drained, probes, during: await during }
}

async function sleepUntilUs(atUs: number) {
  const ms = (atUs - nowUs()) / 1000
  if (ms > 0) await sleep(ms)
}

/** Runs `body` with generator processes, always stopping them afterwards. */
export async function withWorkers<T>(
  protocol: Protocol,
  clientLists: ClientSpec[][],
  common: Parameters<typeof startWorkers>[2],
  body: (workers: Worker[]) => Promise<T>,
): Promise<T> {
  const workers = await startWorkers(protocol, clientLists, common)
  try {
    return await body(workers)
  } finally {
    await Promise.all(workers.map((w) => w.stop()))
  }
}

export async function reportsOf(workers: Worker[]): Promise<WorkerReport[]> {
  return Promise.all(workers.map((w) => w.call<WorkerReport>({ type: 'report' }, 60_000)))
}

/** A warning for connects or joins that had to be retried (the server refused or failed them). */
export function retryWarning(c: ConnectReport): string[] {
  if (c.retries === 0) return []
  return [`${c.retries} connects/joins failed and were retried while clients connected; first: ${c.retryErrors[0]}`]
}
