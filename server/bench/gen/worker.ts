// A load-generator process (forked by the orchestrator, never inside a server): holds many client
// connections, sends on an open-loop schedule, timestamps payloads and records latencies in HDR
// histograms. Commands arrive over IPC (see protocol.ts).
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { nowUs, sleep, sleepUntil } from '../clock'
import { encode, type Histogram, newHistogram, record } from '../hist'
import { serveRpc } from '../rpc'
import { type BenchClient, createClient } from './clients'
import { stormHandlers } from './storm'
import type {
  ConnectReport,
  InitCmd,
  LoginCmd,
  LoginReport,
  PhaseReport,
  Progress,
  ScheduleCmd,
  WorkerReport,
} from './protocol'

const CONNECT_TIMEOUT_MS = 30_000
const JOIN_TIMEOUT_MS = 30_000
/** Sends are acknowledged after this long or counted as failed (long enough for a saturated server to drain). */
const SEND_TIMEOUT_MS = 60_000
const MAX_ERRORS = 10
const CONNECT_RETRIES = 6

/** What a message's content carries: id, due time (µs), phase, latency window. */
type Payload = { k: number; t: number; p: string; w: number; x: string }

type PhaseState = {
  sent: number
  acked: number
  failed: number
  delivered: number
  lastAckUs: number
  ackedByRoom: Map<string, { count: number; idSum: number }>
  received: Map<string, { client: number; room: string; count: number; idSum: number }>
  delivery: Map<number, Histogram>
  ack: Map<number, Histogram>
  sendLag: Histogram
  toggles: { sent: number; acked: number; failed: number; ack: Histogram }
}

let init: InitCmd
let clients: BenchClient[] = []
const phases = new Map<string, PhaseState>()
const errors: string[] = []
let disconnects = 0
let closing = false
let toDrop = 0
const eld = monitorEventLoopDelay({ resolution: 10 })
eld.enable()

const noteError = (what: string) => {
  if (errors.length < MAX_ERRORS) errors.push(what)
}

function phase(name: string): PhaseState {
  let s = phases.get(name)
  if (!s) {
    s = {
      sent: 0,
      acked: 0,
      failed: 0,
      delivered: 0,
      lastAckUs: 0,
      ackedByRoom: new Map(),
      received: new Map(),
      delivery: new Map(),
      ack: new Map(),
      sendLag: newHistogram(),
      toggles: { sent: 0, acked: 0, failed: 0, ack: newHistogram() },
    }
    phases.set(name, s)
  }
  return s
}

function histIn(map: Map<number, Histogram>, window: number): Histogram {
  let h = map.get(window)
  if (!h) {
    h = newHistogram()
    map.set(window, h)
  }
  return h
}

function onMessage(client: number, roomId: string, content: string) {
  const at = nowUs()
  let m: Payload
  try {
    m = JSON.parse(content)
  } catch {
    return // not ours
  }
  if (m.p === 'w') return
  if (toDrop > 0) {
    toDrop--
    return
  }
  const s = phase(m.p)
  s.delivered++
  const key = `${client}|${roomId}`
  let r = s.received.get(key)
  if (!r) {
    r = { client, room: roomId, count: 0, idSum: 0 }
    s.received.set(key, r)
  }
  r.count++
  r.idSum += m.k
  record(histIn(s.delivery, m.w), at - m.t)
}

/** Connection progress, cumulative over `connect` calls (the soak connects in stages). */
const conn = {
  next: 0,
  connected: 0,
  failed: 0,
  notConnected: [] as number[],
  errors: [] as string[],
  byUrl: {} as Record<string, number>,
  retries: 0,
  retryErrors: [] as string[],
  ms: 0,
  deadline: 0,
}

function createClients() {
  clients = init.clients.map((spec, i) =>
    createClient(
      init.protocol,
      spec,
      {
        onMessage: (roomId, content) => onMessage(i, roomId, content),
        onDisconnect: (reason) => {
          if (closing) return
          disconnects++
          noteError(`client ${i} disconnected: ${reason}`)
        },
      },
      init.officialClient,
    ),
  )
}

/**
 * Connects (and joins) clients `next`…`upTo - 1` with bounded concurrency. Once `budgetMs` has passed
 * since the first call, the remaining clients are skipped. Reports cumulative figures.
 */
async function connectUpTo(budgetMs: number, upTo = init.clients.length): Promise<ConnectReport> {
  const started = Date.now()
  if (clients.length === 0) {
    createClients()
    conn.deadline = started + budgetMs
  }
  // Like a real client, retry a refused connect or join a few times (with backoff) before giving up;
  // every retry is reported, so a server that fails under a connect burst shows up in the results.
  const attempt = async (i: number, what: string, work: () => Promise<void>) => {
    for (let n = 0; ; n++) {
      try {
        return await work()
      } catch (err) {
        if (n >= CONNECT_RETRIES) throw err
        conn.retries++
        if (conn.retryErrors.length < MAX_ERRORS)
          conn.retryErrors.push(`client ${i} ${what}: ${err instanceof Error ? err.message : String(err)}`)
        await sleep(Math.min(4000, 250 * 2 ** n))
      }
    }
  }
  const end = Math.min(upTo, clients.length)
  const lane = async () => {
    while (conn.next < end) {
      const i = conn.next++
      if (Date.now() > conn.deadline) {
        conn.notConnected.push(i)
        continue
      }
      try {
        await attempt(i, 'connect', () => clients[i].connect(CONNECT_TIMEOUT_MS))
        for (const room of init.clients[i].joins) await attempt(i, 'join', () => clients[i].join(room, JOIN_TIMEOUT_MS))
        conn.connected++
        conn.byUrl[init.clients[i].url] = (conn.byUrl[init.clients[i].url] ?? 0) + 1
      } catch (err) {
        conn.failed++
        conn.notConnected.push(i)
        if (conn.errors.length < MAX_ERRORS)
          conn.errors.push(`client ${i}: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(init.connectConcurrency, end - conn.next)) }, lane))
  conn.ms += Date.now() - started
  return {
    connected: conn.connected,
    failed: conn.failed,
    skipped: conn.notConnected.length - conn.failed,
    notConnected: [...conn.notConnected],
    ms: conn.ms,
    errors: [...conn.errors],
    byUrl: { ...conn.byUrl },
    retries: conn.retries,
    retryErrors: [...conn.retryErrors],
  }
}

/** Runs an open-loop schedule; resolves once every message has been handed to its client. */
async function runSchedule(cmd: ScheduleCmd): Promise<{ sent: number }> {
  const s = phase(cmd.phase)
  const pad = 'x'.repeat(init.padding)
  const intervalUs = 1_000_000 / cmd.rate
  const idBase = init.workerId * 100_000_000 + (cmd.phase.charCodeAt(0) % 32) * 1_000_000
  const windowOf = (t: number) => {
    const w = cmd.windows.findIndex((win) => t >= win.fromUs && t < win.toUs)
    return w < 0 ? cmd.windows.length : w
  }
  // Issue 16: the newest acknowledged message of each room, the target of the toggles.
  const newest = new Map<string, string>()
  const every = cmd.toggleEvery ?? 0
  let i = 0
  await sleepUntil(cmd.startAtUs)
  await new Promise<void>((done) => {
    const tick = () => {
      const now = nowUs()
      while (i < cmd.count && cmd.startAtUs + i * intervalUs <= now) {
        const due = Math.round(cmd.startAtUs + i * intervalUs)
        const sender = cmd.senders[i % cmd.senders.length]
        const k = idBase + i
        const w = windowOf(due)
        const content = JSON.stringify({ k, t: due, p: cmd.phase, w, x: pad } satisfies Payload)
        record(s.sendLag, now - due + 1)
        s.sent++
        const target = every > 0 && i % every === 0 ? newest.get(sender.room) : undefined
        const toggle = clients[sender.client].toggle
        if (target && toggle) {
          s.toggles.sent++
          const kind = (i / every) % 2 === 0 ? 'vote' : 'react'
          toggle(sender.room, target, kind, SEND_TIMEOUT_MS, (error) => {
            if (error) {
              s.toggles.failed++
              noteError(`toggle ${k}: ${error}`)
              return
            }
            s.toggles.acked++
            record(s.toggles.ack, nowUs() - due)
          })
        }
        clients[sender.client].send(
          sender.room,
          content,
          `${init.tag}-${cmd.phase}-${k}`,
          SEND_TIMEOUT_MS,
          (error, id) => {
            if (id) newest.set(sender.room, id)
            if (error) {
              s.failed++
              noteError(`send ${k}: ${error}`)
              return
            }
            s.acked++
            const at = nowUs()
            s.lastAckUs = Math.max(s.lastAckUs, at)
            record(histIn(s.ack, w), at - due)
            let a = s.ackedByRoom.get(sender.room)
            if (!a) {
              a = { count: 0, idSum: 0 }
              s.ackedByRoom.set(sender.room, a)
            }
            a.count++
            a.idSum += k
          },
        )
        i++
      }
      if (i < cmd.count) setTimeout(tick, Math.max(0, Math.min(1, (cmd.startAtUs + i * intervalUs - nowUs()) / 1000)))
      else done()
    }
    tick()
  })
  return { sent: i }
}

async function runLogins(cmd: LoginCmd): Promise<LoginReport> {
  const h = newHistogram()
  const errs: string[] = []
  let ok = 0
  let failed = 0
  let lastDoneUs = 0
  const intervalUs = 1_000_000 / cmd.rate
  await sleepUntil(cmd.startAtUs)
  const inflight: Promise<void>[] = []
  for (let i = 0; i < cmd.logins.length; i++) {
    const due = cmd.startAtUs + i * intervalUs
    await sleepUntil(due)
    const url = cmd.urls[i % cmd.urls.length]
    inflight.push(
      fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: cmd.logins[i], password: cmd.password }),
        signal: AbortSignal.timeout(60_000),
      })
        .then(async (res) => {
          const body = (await res.json()) as { token?: string }
          if (res.status !== 200 || !body.token) throw new Error(`status ${res.status}`)
          ok++
        })
        .catch((err: unknown) => {
          failed++
          if (errs.length < MAX_ERRORS) errs.push(err instanceof Error ? err.message : String(err))
        })
        .finally(() => {
          const at = nowUs()
          lastDoneUs = Math.max(lastDoneUs, at)
          record(h, at - due)
        }),
    )
  }
  await Promise.all(inflight)
  return { ok, failed, firstDueUs: cmd.startAtUs, lastDoneUs, latency: encode(h), errors: errs }
}

function progress(name: string): Progress {
  const s = phase(name)
  return { sent: s.sent, acked: s.acked, failed: s.failed, delivered: s.delivered, disconnects }
}

function report(): WorkerReport {
  const out: Record<string, PhaseReport> = {}
  for (const [name, s] of phases) {
    out[name] = {
      sent: s.sent,
      acked: s.acked,
      failed: s.failed,
      delivered: s.delivered,
      lastAckUs: s.lastAckUs,
      ackedByRoom: Object.fromEntries(s.ackedByRoom),
      received: [...s.received.values()],
      delivery: Object.fromEntries([...s.delivery].map(([w, h]) => [w, encode(h)])),
      ack: Object.fromEntries([...s.ack].map(([w, h]) => [w, encode(h)])),
      sendLag: encode(s.sendLag),
      toggles: { sent: s.toggles.sent, acked: s.toggles.acked, failed: s.toggles.failed, ack: encode(s.toggles.ack) },
    }
  }
  return { phases: out, disconnects, errors, eldP99: Math.round(eld.percentile(99) / 1000) / 1000 }
}

serveRpc(
  {
    init: (cmd: InitCmd) => {
      init = cmd
      toDrop = cmd.dropDeliveries ?? 0
    },
    connect: ({ budgetMs, upTo }: { budgetMs: number; upTo?: number }) => connectUpTo(budgetMs, upTo),
    schedule: (cmd: ScheduleCmd) => runSchedule(cmd),
    login: (cmd: LoginCmd) => runLogins(cmd),
    poll: ({ phase: name }: { phase: string }) => progress(name),
    'eld-reset': () => eld.reset(),
    report: () => report(),
    ...stormHandlers,
    close: () => {
      closing = true
      for (const c of clients) c.close()
      stormHandlers['storm:close']()
    },
  },
  () => process.exit(0),
)
