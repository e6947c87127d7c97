// Issue 23: the storm flows of a generator process — what the web client (web/src/lib/realtime/
// sync.ts) sends when it opens the app after a login, when it comes back after a reconnect, and when
// it opens a room — each timed from the client's start of the step to its last needed answer.
import { Agent, request } from 'node:http'
import { nowUs, sleep, sleepUntil } from '../clock'
import { encode, newHistogram, record } from '../hist'
import { type BenchClient, createClient } from './clients'
import type { Protocol } from './protocol'

const TIMEOUT_MS = 60_000
const MAX_ERRORS = 10
/** Like the web's Timeline: change-stream pages of 100. */
const CATCH_UP_PAGE = 100

export type StormSpec = {
  /** Where it connects first (the instance that stops, for the reconnect storm). */
  url: string
  user: string
  token?: string
  /** The room it has open (joined when connecting), or null. */
  room: string | null
  /** Sends during the storm (stays on a surviving instance) instead of taking part in it. */
  sender?: boolean
}

export type StormReport = {
  ok: number
  /** Refused or failed (an error answer, a reset, a refused connection). */
  failed: number
  /** Not served within the storm's time budget (counted apart: slowness, not an error). */
  timedOut: number
  /** From the first client's start to the last client's last answer (µs, monotonic clock). */
  firstStartUs: number
  lastDoneUs: number
  latency: string
  /** Clients whose room:join answer did not hold the expected number of history messages. */
  shortHistory: number
  errors: string[]
}

type Client = {
  spec: StormSpec
  io: BenchClient | null
  token: string | undefined
  /** Seqs of its room it holds (history pages, change stream, live messages). */
  seen: Set<number>
  firstSeq: number
  lastRev: number
  disconnected: boolean
  /** Reconnected and resynced (the no-gap check applies to these; the others already failed the run). */
  resynced: boolean
}

/**
 * HTTP goes through one keep-alive agent per generator with a bounded number of connections per
 * server: thousands of emulated browsers each opening their own few connections would exceed the
 * open-files limits (and a browser reuses its connections too). Requests beyond the bound wait
 * here, and that wait counts in the client's latency, the same for every system.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 256 })

/** One HTTP request; resolves with the status and parsed JSON body (null when there is none). */
function http(
  method: 'GET' | 'POST',
  url: string,
  token: string | undefined,
  body?: unknown,
  retried = false,
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request(
      url,
      {
        method,
        agent,
        timeout: TIMEOUT_MS,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d) => {
          text += d
        })
        res.on('end', () => {
          let parsed: any = null
          try {
            parsed = text ? JSON.parse(text) : null
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed })
        })
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)))
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server closed an idle keep-alive connection as this request went out on it: a browser
      // sends the request again on a new connection (Node's documented `reusedSocket` pattern).
      if (req.reusedSocket && !retried && (err.code === 'ECONNRESET' || err.code === 'EPIPE'))
        http(method, url, token, body, true).then(resolve, reject)
      else reject(err)
    })
    req.end(payload)
  })
}

let protocol: Protocol = 'parlor'
let clients: Client[] = []
const errors: string[] = []
const note = (what: string) => {
  if (errors.length < MAX_ERRORS) errors.push(what)
}
/** Highest seq acknowledged per room to this worker's senders. */
const ackedSeq = new Map<string, number>()
let onDisconnect: ((c: Client) => void) | null = null

function holdMessages(c: Client, messages: { seq: number; roomId?: string }[]) {
  for (const m of messages) {
    c.seen.add(m.seq)
    if (c.firstSeq === 0 || m.seq < c.firstSeq) c.firstSeq = m.seq
  }
}

function open(c: Client, url: string): BenchClient {
  const io = createClient(
    protocol,
    { url, user: c.spec.user, token: c.token, joins: [] },
    {
      onMessage: (roomId, _content, message) => {
        if (roomId === c.spec.room && typeof message?.seq === 'number') holdMessages(c, [{ seq: message.seq }])
      },
      onDisconnect: () => {
        if (c.disconnected || c.io !== io) return
        c.disconnected = true
        onDisconnect?.(c)
      },
    },
  )
  return io
}

async function ack(c: Client, event: string, ...args: unknown[]): Promise<any> {
  const res = await (c.io as BenchClient & { request: NonNullable<BenchClient['request']> }).request(
    event,
    args,
    TIMEOUT_MS,
  )
  if (!res?.ok) throw new Error(`${event} refused: ${res?.error?.code ?? 'error'} ${res?.error?.message ?? ''}`)
  return res
}

async function get(base: string, token: string | undefined, path: string): Promise<any> {
  const res = await http('GET', base + path, token)
  if (res.status !== 200) throw new Error(`GET ${path.replace(/[0-9a-f-]{36}/g, ':id')}: status ${res.status}`)
  return res.body
}

/**
 * What sync.ts's connect handler sends on every (re)connect of a signed-in user: the room list, the
 * direct conversations and one's own profile, the unread badges and then room:join of the open room
 * (followed by its escalations and `/` commands, and — after a reconnect — the change stream since
 * the rev it last held), the saved filters and then rooms:watch, and one's open escalations.
 */
async function openApp(c: Client, base: string, resync: boolean, expectMessages: number): Promise<boolean> {
  const room = c.spec.room as string
  let short = false
  await Promise.all([
    get(base, c.token, '/api/rooms'),
    get(base, c.token, '/api/dms').then(() => get(base, c.token, `/api/profiles/${encodeURIComponent(c.spec.user)}`)),
    get(base, c.token, '/api/unread').then(async () => {
      const joined = await ack(c, 'room:join', room)
      holdMessages(c, joined.messages)
      if (!resync && joined.messages.length !== expectMessages) short = true
      await Promise.all([
        get(base, c.token, `/api/rooms/${room}/escalations`),
        get(base, c.token, `/api/rooms/${room}/commands`),
        resync ? catchUp(c, base) : null,
      ])
      c.lastRev = Math.max(c.lastRev, joined.room.rev ?? 0)
    }),
    get(base, c.token, '/api/filters').then(() => ack(c, 'rooms:watch', { roomIds: [] })),
    get(base, c.token, '/api/escalations'),
  ])
  return short
}

/** Timeline.catchUp after a re-join: every change after the rev held, page by page. */
async function catchUp(c: Client, base: string): Promise<void> {
  let more = true
  while (more) {
    const page = await get(base, c.token, `/api/rooms/${c.spec.room}/changes?after=${c.lastRev}&limit=${CATCH_UP_PAGE}`)
    holdMessages(c, page.changes)
    more = page.hasMore && page.changes.length > 0
    c.lastRev = Math.max(c.lastRev, more ? page.changes.at(-1).rev : page.rev)
  }
}

function newReport(): StormReport & { h: ReturnType<typeof newHistogram> } {
  return {
    ok: 0,
    failed: 0,
    timedOut: 0,
    firstStartUs: 0,
    lastDoneUs: 0,
    latency: '',
    shortHistory: 0,
    errors,
    h: newHistogram(),
  }
}

function finish(r: ReturnType<typeof newReport>): StormReport {
  const { h, ...rest } = r
  return { ...rest, latency: encode(h), errors: [...errors] }
}

/** Times one client's step into the report. */
async function step(r: ReturnType<typeof newReport>, i: number, startUs: number, work: () => Promise<boolean | void>) {
  if (r.firstStartUs === 0 || startUs < r.firstStartUs) r.firstStartUs = startUs
  try {
    if ((await work()) === true) r.shortHistory++
    r.ok++
  } catch (err) {
    r.failed++
    const cause = (err as { cause?: { code?: string; message?: string } })?.cause
    note(
      `client ${i}: ${err instanceof Error ? err.message : String(err)}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''}`,
    )
  } finally {
    const at = nowUs()
    r.lastDoneUs = Math.max(r.lastDoneUs, at)
    record(r.h, at - startUs)
  }
}

export const stormHandlers = {
  /** Creates the clients; connects (and joins the open room of) every one with `connect`, `concurrency` at a time. */
  'storm:connect': async (cmd: { protocol: Protocol; specs: StormSpec[]; concurrency: number; connect: boolean }) => {
    protocol = cmd.protocol
    clients = cmd.specs.map((spec) => ({
      spec,
      io: null,
      token: spec.token,
      seen: new Set(),
      firstSeq: 0,
      lastRev: 0,
      disconnected: false,
      resynced: false,
    }))
    if (!cmd.connect) return { connected: 0, failed: 0, errors: [] }
    let next = 0
    let connected = 0
    let failed = 0
    const errs: string[] = []
    const lane = async () => {
      while (next < clients.length) {
        const c = clients[next++]
        try {
          c.io = open(c, c.spec.url)
          await c.io.connect(TIMEOUT_MS)
          if (c.spec.room) {
            const joined = await ack(c, 'room:join', c.spec.room)
            holdMessages(c, joined.messages)
            c.lastRev = joined.room.rev ?? 0
          }
          connected++
        } catch (err) {
          failed++
          if (errs.length < MAX_ERRORS) errs.push(err instanceof Error ? err.message : String(err))
        }
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, Math.min(cmd.concurrency, clients.length)) }, lane))
    return { connected, failed, errors: errs }
  },

  /**
   * Reconnect storm: once its connection drops (the orchestrator stops the instance), each client
   * waits socket.io-client's first reconnection delay (500 ms ± 50 %, as the web's socket.ts sets it),
   * connects to `url` and resyncs as the web does. Resolves when every client is done or failed.
   */
  'storm:reconnect': (cmd: { urls: string[]; timeoutMs: number; concurrency: number }) => {
    const r = newReport()
    const storming = clients.filter((c) => !c.spec.sender && c.io)
    let pending = storming.length
    // At most `concurrency` clients of this generator reconnect at a time (the others wait, and that
    // wait counts in their latency): one process emulating thousands of browsers must not become the
    // bottleneck itself, and the server still gets far more than it can serve at once.
    let active = 0
    const waiting: (() => void)[] = []
    const slot = () =>
      active < cmd.concurrency ? (active++, Promise.resolve()) : new Promise<void>((go) => waiting.push(go))
    const release = () => {
      const next = waiting.shift()
      if (next) next()
      else active--
    }
    return new Promise<StormReport>((resolve) => {
      const timer = setTimeout(() => {
        r.timedOut += pending
        resolve(finish(r))
      }, cmd.timeoutMs)
      const done = () => {
        if (--pending === 0) {
          clearTimeout(timer)
          resolve(finish(r))
        }
      }
      if (pending === 0) done()
      let n = 0
      onDisconnect = (c) => {
        const url = cmd.urls[n++ % cmd.urls.length]
        const startUs = nowUs()
        void step(r, clients.indexOf(c), startUs, async () => {
          await sleep(250 + Math.random() * 500)
          await slot()
          try {
            c.io?.close()
            c.io = open(c, url)
            await c.io.connect(TIMEOUT_MS)
            await openApp(c, url, true, 0)
            c.resynced = true
          } finally {
            release()
          }
        }).finally(done)
      }
    })
  },

  /** Join storm: connected clients each open `room` at `startAtUs + offsetsUs[i]`. */
  'storm:join': async (cmd: { room: string; startAtUs: number; offsetsUs: number[]; expectMessages: number }) => {
    const r = newReport()
    await Promise.all(
      clients.map(async (c, i) => {
        const at = cmd.startAtUs + cmd.offsetsUs[i]
        await sleepUntil(at)
        const base = c.spec.url
        await step(r, i, at, async () => {
          // openRoom → joinRoom in sync.ts: room:join, then the room's escalations and `/` commands.
          const joined = await ack(c, 'room:join', cmd.room)
          await Promise.all([
            get(base, c.token, `/api/rooms/${cmd.room}/escalations`),
            get(base, c.token, `/api/rooms/${cmd.room}/commands`),
          ])
          return joined.messages.length !== cmd.expectMessages
        })
      }),
    )
    return finish(r)
  },

  /** Class login: each client logs in at its time, connects with the new token and opens the app. */
  'storm:login': async (cmd: {
    password: string
    badPasswords?: number
    startAtUs: number
    offsetsUs: number[]
    expectMessages: number
  }) => {
    const r = newReport()
    await Promise.all(
      clients.map(async (c, i) => {
        const at = cmd.startAtUs + cmd.offsetsUs[i]
        await sleepUntil(at)
        const base = c.spec.url
        await step(r, i, at, async () => {
          const res = await http('POST', `${base}/api/auth/login`, undefined, {
            login: c.spec.user,
            password: i < (cmd.badPasswords ?? 0) ? 'wrong' : cmd.password,
          })
          if (res.status !== 200 || !res.body?.token) throw new Error(`login: status ${res.status}`)
          c.token = res.body.token
          c.io = open(c, base)
          await c.io.connect(TIMEOUT_MS)
          return openApp(c, base, false, cmd.expectMessages)
        })
      }),
    )
    return finish(r)
  },

  /** The senders' messages during the storm: open loop, `rate` msg/s over all of this worker's senders. */
  'storm:send': async (cmd: { tag: string; startAtUs: number; rate: number; durationMs: number }) => {
    const senders = clients.filter((c) => c.spec.sender && c.io)
    if (senders.length === 0) return { sent: 0, acked: 0, failed: 0 }
    const count = Math.round((cmd.rate * cmd.durationMs) / 1000)
    const out = { sent: 0, acked: 0, failed: 0 }
    const inflight: Promise<void>[] = []
    for (let i = 0; i < count; i++) {
      await sleepUntil(cmd.startAtUs + (i * 1e6) / cmd.rate)
      const c = senders[i % senders.length]
      const room = c.spec.room as string
      out.sent++
      inflight.push(
        ack(c, 'message:send', {
          roomId: room,
          topic: 'bench',
          content: `storm ${i}`,
          clientMsgId: `${cmd.tag}-storm-${i}`,
        })
          .then((res) => {
            out.acked++
            ackedSeq.set(room, Math.max(ackedSeq.get(room) ?? 0, res.message.seq))
          })
          .catch((err: Error) => {
            out.failed++
            note(`send: ${err.message}`)
          }),
      )
    }
    await Promise.all(inflight)
    return out
  },

  'storm:acked': () => Object.fromEntries(ackedSeq),

  /**
   * No gaps: each client that took part holds every seq of its room from the first it held up to the
   * highest acknowledged there (`upTo`, merged over the workers). Returns how many clients miss some.
   */
  'storm:check': (cmd: { upTo: Record<string, number>; dropSeqs?: number }) => {
    let gaps = 0
    let missing = 0
    let drop = cmd.dropSeqs ?? 0
    for (const c of clients) {
      if (c.spec.sender || !c.spec.room || !c.resynced) continue
      const top = cmd.upTo[c.spec.room]
      if (!top) continue
      // Test-only fault: forget seqs so the check must fail.
      for (; drop > 0 && c.seen.has(top); drop--) c.seen.delete(top)
      let miss = 0
      for (let s = Math.max(1, c.firstSeq); s <= top; s++) if (!c.seen.has(s)) miss++
      if (miss > 0) gaps++
      missing += miss
    }
    return { clientsWithGaps: gaps, missingMessages: missing }
  },

  'storm:close': () => {
    onDisconnect = null
    for (const c of clients) c.io?.close()
  },
}
