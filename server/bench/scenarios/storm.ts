// Issue 23's storms, in this order on one start of a system: Class login (people log in within
// seconds, each opening the app), Join storm (connected clients open the same room with history)
// and Reconnect storm (an instance stops; all its clients reconnect at once to the other and resync
// their open room). Each is timed per client from the start of its step to its last needed answer;
// CPU, event-loop delay and PostgreSQL statements are read from the servers over the storm's window.
import { nowUs, sleep } from '../clock'
import type { StormReport, StormSpec } from '../gen/storm'
import { merge } from '../hist'
import { createRooms, fakeRooms, fillRooms, PASSWORD } from '../infra'
import {
  type Figures,
  failedRun,
  generatorChecks,
  ms,
  type RunCtx,
  type RunResult,
  type ScenarioName,
} from '../results'
import { type RunningSystem, type ServerProc, startExtraInstance, stopProcess } from '../systems'
import { cpuBetween, round, takeSample, type Worker, withWorkers } from './traffic'

/** Page size of room:join's history (rooms.handlers.ts). */
const JOIN_PAGE = 50

type Window = { cpu: ReturnType<typeof cpuBetween>; queries: number; eldP99: number; infraCpuUs: number }

/** Runs `work` with the probes of `procs` reset first and read after, sampling CPU around it. */
async function measured<T>(
  ctx: RunCtx,
  procs: ServerProc[],
  workers: Worker[],
  work: () => Promise<T>,
): Promise<{ result: T; window: Window }> {
  const sys = { procs } as RunningSystem
  await Promise.all(procs.map((p) => p.probe.reset()))
  const a = takeSample(sys, workers, ctx.database)
  const result = await work()
  const b = takeSample(sys, workers, ctx.database)
  const probes = await Promise.all(procs.map((p) => p.probe.read()))
  const cpu = cpuBetween(a, b, sys, ctx.cores)
  return {
    result,
    window: {
      cpu,
      queries: probes.reduce((n, p) => n + p.queries, 0),
      eldP99: Math.max(...probes.map((p) => p.eld.p99)),
      infraCpuUs: cpu.infraCpuUs,
    },
  }
}

function mergeReports(reports: StormReport[]) {
  const ok = reports.reduce((n, r) => n + r.ok, 0)
  const failed = reports.reduce((n, r) => n + r.failed, 0)
  const timedOut = reports.reduce((n, r) => n + r.timedOut, 0)
  const starts = reports.filter((r) => r.firstStartUs > 0).map((r) => r.firstStartUs)
  return {
    ok,
    failed,
    timedOut,
    firstStartUs: starts.length ? Math.min(...starts) : 0,
    lastDoneUs: Math.max(0, ...reports.map((r) => r.lastDoneUs)),
    shortHistory: reports.reduce((n, r) => n + r.shortHistory, 0),
    latency: ms(merge(reports.map((r) => r.latency))),
    errors: reports.flatMap((r) => r.errors).slice(0, 10),
  }
}

/** The figures every storm reports, and its validity. */
function stormResult(
  ctx: RunCtx,
  scenario: ScenarioName,
  sys: RunningSystem,
  roundNo: number,
  clients: number,
  fromUs: number,
  reports: StormReport[],
  w: Window,
  extra: Figures = {},
): RunResult {
  const m = mergeReports(reports)
  const invalid: string[] = []
  const warnings: string[] = []
  if (m.failed > 0) invalid.push(`${m.failed} of ${clients} clients were not served: ${m.errors[0] ?? ''}`)
  // Slowness is a figure, not an invalid run: the rates are then over the budget.
  if (m.timedOut > 0)
    warnings.push(
      `${m.timedOut} of ${clients} clients were not served within the ${ctx.opts.storm.timeoutMs / 1000} s budget; ` +
        'rates and latencies are of those served',
    )
  const allServed = m.ok === clients
  const per = Math.max(1, m.ok)
  if (m.shortHistory > 0) invalid.push(`${m.shortHistory} room:join answers did not hold the newest page of history`)
  generatorChecks(w.cpu, ctx.opts.generatorCpuLimit, invalid, warnings)
  const seconds = Math.max(0.001, (m.lastDoneUs - fromUs) / 1e6)
  return {
    scenario,
    system: sys.name,
    round: roundNo,
    valid: invalid.length === 0,
    invalid,
    warnings,
    figures: {
      clients,
      served: m.ok,
      failed: m.failed,
      notServedInBudget: m.timedOut,
      secondsUntilAllServed: allServed ? round(seconds, 2) : null,
      clientsServedPerSec: round(m.ok / seconds, 1),
      latencyP50Ms: m.latency.p50,
      latencyP99Ms: m.latency.p99,
      latencyMaxMs: m.latency.max,
      // Per client served (when some were not, the work begun for them is charged to those served).
      serverCpuMsPerClient: round(w.cpu.serverCpuUsTotal / 1000 / per, 3),
      infraCpuMsPerClient: round(w.infraCpuUs / 1000 / per, 3),
      pgQueriesPerClient: round(w.queries / per, 2),
      serverEldP99Ms: w.eldP99,
      serverCores: round(w.cpu.serverCpuUsTotal / (w.cpu.seconds * 1e6), 3),
      generatorMaxCoreShare: Math.max(0, ...w.cpu.generatorCoreShare),
      backgroundCpuShare: w.cpu.backgroundShare,
      ...extra,
    },
    details: { cpu: w.cpu, latency: m.latency, errors: m.errors },
  }
}

/** Rooms with `history` messages each: in the database for Parlor, in each baseline process's memory. */
async function historyRooms(ctx: RunCtx, sys: RunningSystem, procs: ServerProc[], count: number, history: number) {
  const tag = ctx.runTag()
  if (sys.protocol === 'parlor') {
    const rooms = await createRooms(ctx.db, { tag, count })
    await fillRooms(ctx.db, rooms, history, ctx.db.users[0].id, tag)
    return rooms
  }
  const rooms = fakeRooms(count)
  for (const p of procs)
    for (let i = 0; i < rooms.length; i += 50)
      await Promise.all(
        rooms
          .slice(i, i + 50)
          .map((r) =>
            fetch(`${p.url}/bench/rooms/${r}/fill?count=${history}`, { method: 'POST' }).then((x) => x.text()),
          ),
      )
  return rooms
}

const split = <T>(items: T[], n: number): T[][] =>
  Array.from({ length: n }, (_, w) => items.filter((_, i) => i % n === w))

async function stormWorkers<T>(
  ctx: RunCtx,
  sys: RunningSystem,
  specs: StormSpec[],
  connect: boolean,
  body: (workers: Worker[], lists: StormSpec[][]) => Promise<T>,
): Promise<T> {
  const lists = split(specs, Math.min(ctx.opts.storm.workers, specs.length))
  return withWorkers(
    sys.protocol,
    lists.map(() => []),
    { tag: ctx.runTag(), padding: 0, connectConcurrency: 1 },
    async (workers) => {
      const res = await Promise.all(
        workers.map((w, i) =>
          w.call<{ connected: number; failed: number; errors: string[] }>(
            {
              type: 'storm:connect',
              protocol: sys.protocol,
              specs: lists[i],
              concurrency: ctx.opts.storm.connectConcurrency,
              connect,
            },
            ctx.opts.connectBudgetMs + 60_000,
          ),
        ),
      )
      const failed = res.reduce((n, r) => n + r.failed, 0)
      if (failed > 0)
        throw new Error(`${failed} clients could not connect before the storm: ${res.flatMap((r) => r.errors)[0]}`)
      return body(workers, lists)
    },
  )
}

/** Offsets of `n` evenly spaced starts over `spreadMs`, dealt round-robin like `split`. */
const offsets = (n: number, spreadMs: number, workers: number, w: number) =>
  Array.from({ length: n }, (_, i) => i)
    .filter((i) => i % workers === w)
    .map((i) => Math.round((i * spreadMs * 1000) / n))

async function classLogin(ctx: RunCtx, sys: RunningSystem, roundNo: number): Promise<RunResult> {
  const { storm } = ctx.opts
  const [room] = await historyRooms(ctx, sys, sys.procs, 1, 2 * JOIN_PAGE)
  const bad = ctx.opts.faults.badPasswords ?? 0
  const specs: StormSpec[] = ctx.db.users.slice(0, storm.logins).map((u, i) => ({
    url: sys.urls[i % sys.urls.length],
    user: u.username,
    room,
  }))
  ctx.log(`  Class login: ${storm.logins} logins over ${storm.loginSpreadMs / 1000} s, each opening the app`)
  return stormWorkers(ctx, sys, specs, false, async (workers) => {
    const startAtUs = nowUs() + 300_000
    const { result, window } = await measured(ctx, sys.procs, workers, () =>
      Promise.all(
        workers.map((w, i) =>
          w.call<StormReport>(
            {
              type: 'storm:login',
              // Test-only fault: the first logins of worker 0 use a wrong password.
              password: PASSWORD,
              badPasswords: i === 0 ? bad : 0,
              startAtUs,
              offsetsUs: offsets(storm.logins, storm.loginSpreadMs, workers.length, i),
              expectMessages: JOIN_PAGE,
            },
            storm.loginSpreadMs + storm.timeoutMs + 30_000,
          ),
        ),
      ),
    )
    const r = stormResult(ctx, 'Class login', sys, roundNo, storm.logins, startAtUs, result, window)
    r.figures.loginsPerSec = r.figures.clientsServedPerSec
    r.figures.offeredLoginsPerSec = round(storm.logins / (storm.loginSpreadMs / 1000), 1)
    return r
  })
}

async function joinStorm(ctx: RunCtx, sys: RunningSystem, roundNo: number): Promise<RunResult> {
  const { storm } = ctx.opts
  const [room] = await historyRooms(ctx, sys, sys.procs, 1, storm.joinHistory)
  const specs: StormSpec[] = ctx.db.users.slice(0, storm.joinClients).map((u, i) => ({
    url: sys.urls[i % sys.urls.length],
    user: u.username,
    token: u.token,
    room: null,
  }))
  return stormWorkers(ctx, sys, specs, true, async (workers) => {
    ctx.log(`  Join storm: ${storm.joinClients} clients open one room within ${storm.joinSpreadMs / 1000} s`)
    const startAtUs = nowUs() + 300_000
    const { result, window } = await measured(ctx, sys.procs, workers, () =>
      Promise.all(
        workers.map((w, i) =>
          w.call<StormReport>(
            {
              type: 'storm:join',
              room,
              startAtUs,
              offsetsUs: offsets(storm.joinClients, storm.joinSpreadMs, workers.length, i),
              expectMessages: Math.min(JOIN_PAGE, storm.joinHistory),
            },
            storm.joinSpreadMs + storm.timeoutMs + 30_000,
          ),
        ),
      ),
    )
    return stormResult(ctx, 'Join storm', sys, roundNo, storm.joinClients, startAtUs, result, window)
  })
}

async function reconnectStorm(ctx: RunCtx, sys: RunningSystem, roundNo: number): Promise<RunResult> {
  const { storm } = ctx.opts
  // One-instance systems get a second process to move to (Parlor-1: in-memory, same database).
  const extra = sys.procs.length === 1 ? await startExtraInstance(sys, ctx.env) : null
  try {
    const [leaving, ...rest] = sys.procs
    const survivors = extra ? [extra] : rest
    const n = storm.reconnectClients
    const roomCount = Math.ceil(n / storm.roomSize)
    const rooms = await historyRooms(ctx, sys, [leaving, ...survivors], roomCount, storm.history)
    const tag = ctx.runTag()
    const flowing = rooms.slice(0, Math.max(1, Math.round(roomCount * storm.flowingShare)))
    const users = ctx.db.users
    const specs: StormSpec[] = [
      ...users.slice(0, n).map((u, i) => ({
        url: leaving.url,
        user: u.username,
        token: u.token,
        room: rooms[Math.floor(i / storm.roomSize)],
      })),
      // One sender per flowing room, on a surviving instance: messages arrive while the others resync.
      ...flowing.map((room, i) => ({
        url: survivors[i % survivors.length].url,
        user: users[n + i].username,
        token: users[n + i].token,
        room,
        sender: true,
      })),
    ]
    return await stormWorkers(ctx, sys, specs, true, async (workers) => {
      ctx.log(
        `  Reconnect storm: ${n} clients in ${roomCount} rooms (${storm.history} messages each) on ${leaving.name}; stopping it`,
      )
      await sleep(200)
      const urls = survivors.map((p) => p.url)
      let stopAtUs = 0
      const { result, window } = await measured(ctx, survivors, workers, async () => {
        const storming = workers.map((w) =>
          w.call<StormReport>(
            { type: 'storm:reconnect', urls, timeoutMs: storm.timeoutMs, concurrency: storm.reconnectConcurrency },
            storm.timeoutMs + 30_000,
          ),
        )
        stopAtUs = nowUs()
        const stopped = stopProcess(leaving.child, 15_000)
        const sending = Promise.all(
          workers.map((w, i) =>
            w.call<{ sent: number; acked: number; failed: number }>(
              {
                type: 'storm:send',
                tag: `${tag}w${i}`,
                startAtUs: stopAtUs,
                rate: storm.sendRate / workers.length,
                durationMs: storm.sendMs,
              },
              storm.sendMs + 90_000,
            ),
          ),
        )
        const reports = await Promise.all(storming)
        await stopped
        return { reports, sent: await sending }
      })
      // Let the last live messages arrive, then check that no client misses one of its room.
      await sleep(500)
      const acked = await Promise.all(workers.map((w) => w.call<Record<string, number>>({ type: 'storm:acked' })))
      const upTo: Record<string, number> = {}
      for (const a of acked) for (const [room, seq] of Object.entries(a)) upTo[room] = Math.max(upTo[room] ?? 0, seq)
      const checks = await Promise.all(
        workers.map((w, i) =>
          w.call<{ clientsWithGaps: number; missingMessages: number }>({
            type: 'storm:check',
            upTo,
            dropSeqs: i === 0 ? ctx.opts.faults.dropSeqs : 0,
          }),
        ),
      )
      const gaps = checks.reduce((a, c) => a + c.clientsWithGaps, 0)
      const missing = checks.reduce((a, c) => a + c.missingMessages, 0)
      const sent = result.sent.reduce((a, s) => a + s.sent, 0)
      const sentAcked = result.sent.reduce((a, s) => a + s.acked, 0)
      const r = stormResult(ctx, 'Reconnect storm', sys, roundNo, n, stopAtUs, result.reports, window, {
        rooms: roomCount,
        flowingRooms: flowing.length,
        messagesDuringStorm: sent,
        clientsWithGaps: gaps,
        missingMessages: missing,
      })
      if (sentAcked !== sent) r.invalid.push(`${sent - sentAcked} of ${sent} messages sent during the storm failed`)
      if (gaps > 0) r.invalid.push(`${gaps} clients miss ${missing} messages of their room after the resync`)
      r.valid = r.invalid.length === 0
      return r
    })
  } finally {
    if (extra) await stopProcess(extra.child, 15_000)
  }
}

export async function runStorm(ctx: RunCtx, sys: RunningSystem, roundNo: number): Promise<RunResult[]> {
  if (sys.protocol === 'ws') return []
  const out: RunResult[] = []
  for (const [name, run] of [
    ['Class login', classLogin],
    ['Join storm', joinStorm],
    ['Reconnect storm', reconnectStorm],
  ] as const) {
    try {
      out.push(await run(ctx, sys, roundNo))
    } catch (err) {
      out.push(failedRun(name, sys.name, roundNo, `harness error: ${err instanceof Error ? err.message : String(err)}`))
    }
    await sleep(200)
  }
  return out
}
