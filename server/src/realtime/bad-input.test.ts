// Bad-input catalogue (issue 7): everything a hostile or broken client can send, as data. Each case is
// sent over raw Engine.IO/Socket.IO frames (plain `ws`, no socket.io-client smoothing anything over) or
// over REST, and must get its expected answer: a structured error (ack `{ok:false,error:{code,message}}`
// or a 4xx `{error:{code,message}}`), the connection closed (protocol violations, oversized frames),
// silently ignored (unknown events), or — for valid but nasty input — stored verbatim.
// After every case: nothing written unless it was valid, nothing broadcast unless it was stored,
// /healthz answers, no prototype pollution, and two other clients still chat through the same room.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import {
  ack,
  api,
  type ClientSocket,
  clientMsgId,
  connect,
  nextEvent,
  record,
  register,
  startServer,
  type TestServer,
  uniqueName,
} from '../../test/helpers'
import { CASE_ACK_ID, observe, RawClient, WAIT_MS } from '../../test/raw-socket'
import type { SessionDto } from '../contract/auth'
import {
  type Accepted,
  type Case,
  type Ctx,
  type Got,
  kelvinUser,
  MARK,
  type RestCase,
  type Seen,
  type SocketCase,
  stem,
  useServer,
  type Writes,
} from './bad-input/catalogue'
import { commandsCases } from './bad-input/commands.cases'
import { framesCases } from './bad-input/frames.cases'
import { limitsCases } from './bad-input/limits.cases'
import { payloadsCases } from './bad-input/payloads.cases'
import { reactionsCases } from './bad-input/reactions.cases'
import { restAuthCases } from './bad-input/rest-auth.cases'
import { restProfilesCases } from './bad-input/rest-profiles.cases'
import { restMessagesCases } from './bad-input/rest-messages.cases'
import { restRoomsCases } from './bad-input/rest-rooms.cases'
import { restSearchCases } from './bad-input/rest-search.cases'
import { messageSearchCases } from './bad-input/message-search.cases' // Search (issue 17)
import { textCases } from './bad-input/text.cases'
import { restUploadsCases } from './bad-input/rest-uploads.cases' // issue 21
import { unreadCases } from './bad-input/unread.cases' // issue 18

// The case files (./bad-input/*.cases.ts), socket groups first, then REST; the order is the run order.
const CATALOGUE: Case[] = [
  ...framesCases,
  ...payloadsCases,
  ...limitsCases,
  ...textCases,
  ...reactionsCases, // issue 16: socket cases first, then its REST ones
  ...commandsCases,
  ...restMessagesCases,
  ...restRoomsCases,
  ...restAuthCases,
  ...restSearchCases,
  ...messageSearchCases,
  ...unreadCases,
  ...restUploadsCases,
  ...restProfilesCases, // issue 19
]

// ---------------------------------------------------------------------------------------------------
// The harness.

let server: TestServer
/** The room every case aims at; `listener` and `peer` are joined to it and must hear only what is stored. */
let roomId: string
let listener: ClientSocket
let peer: ClientSocket
let listenerLog: ReturnType<typeof record>
let peerLog: ReturnType<typeof record>
const attackers: SessionDto[] = []
const senders: ClientSocket[] = []
const senderSessions: SessionDto[] = []
type Result = { kind: string; group: string; name: string; expected: string; outcome: string; pass: boolean }
const results: Result[] = []

/** Rate limits are per user: a fresh attacker every few cases, a fresh canary sender likewise. */
const CASES_PER_ATTACKER = 6
const CASES_PER_SENDER = 8

async function attackerFor(i: number): Promise<SessionDto> {
  const slot = Math.floor(i / CASES_PER_ATTACKER)
  attackers[slot] ??= await register(server.url, uniqueName('atk'))
  return attackers[slot]
}

async function senderFor(i: number): Promise<ClientSocket> {
  const slot = Math.floor(i / CASES_PER_SENDER)
  if (!senders[slot]) {
    senderSessions[slot] = await register(server.url, uniqueName('snd'))
    senders[slot] = await connect(server.url, senderSessions[slot].token)
  }
  return senders[slot]
}

async function counts(): Promise<Writes> {
  const ids = attackers.filter(Boolean).map((a) => a.user.id)
  const [messages, rooms, users] = await Promise.all([
    server.prisma.message.count({ where: { OR: [{ roomId }, { authorId: { in: ids } }] } }),
    server.prisma.room.count({ where: { creatorId: { in: ids } } }),
    server.prisma.user.count({ where: { OR: [{ email: { contains: MARK } }, { username: { contains: MARK } }] } }),
  ])
  return { messages, rooms, users }
}

// Issue 18: the listeners follow the room, so every stored message also gives them a room:activity on
// their user channel, after the message and not on its ordered path (unread.test.ts checks those).
const QUIET = new Set(['presence:changed', 'room:presence', 'room:activity', 'read:changed'])

/** A message between two other clients, delivered to the peer and the listener (after everything before it). */
async function canary(i: number): Promise<string> {
  const sender = await senderFor(i)
  const text = `canary ${i} ${randomBytes(4).toString('hex')}`
  const atPeer = nextEvent(peer, 'message:created', (m) => m.content === text, WAIT_MS)
  const atListener = nextEvent(listener, 'message:created', (m) => m.content === text, WAIT_MS)
  const res = await ack(sender, 'message:send', { roomId, content: text, clientMsgId: clientMsgId() })
  assert.equal(res.ok, true, `the canary send between two other clients failed: ${JSON.stringify(res)}`)
  await Promise.all([atPeer, atListener])
  return text
}

function assertStructuredError(error: any, where: string) {
  assert.equal(typeof error?.code, 'string', `${where}: error.code`)
  assert.equal(typeof error?.message, 'string', `${where}: error.message`)
  assert.ok(error.message.length > 0, `${where}: error.message is empty`)
  const text = JSON.stringify(error)
  assert.ok(!/\n\s+at |prisma|zod|stack|Error:/i.test(text), `${where}: error leaks internals: ${text}`)
}

function assertNoPollution() {
  const probe: Record<string, unknown> = {}
  for (const key of ['polluted', 'isAdmin', 'isPrivate', 'content', 'roomId', 'toString']) {
    if (key === 'toString') assert.equal(typeof probe.toString, 'function', 'Object.prototype.toString replaced')
    else assert.equal(probe[key], undefined, `Object.prototype.${key} was polluted`)
  }
}

/** A problem with the shape of an answer (not JSON, error without code/message, leaked internals). */
function shapeProblem(check: () => void): string | undefined {
  try {
    check()
    return undefined
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  }
}

async function runSocketCase(k: SocketCase, c: Ctx, waitForAck: boolean) {
  const raw = await RawClient.open(server.url, c.attacker.token)
  for (const frame of k.frames(c)) raw.send(frame)
  const outcome = await observe(raw, waitForAck)
  const a = raw.acks.get(CASE_ACK_ID)
  const problem = a?.ok === false ? shapeProblem(() => assertStructuredError(a.error, 'ack')) : undefined
  return { outcome, got: { ack: a, seen: [] } as Got, raw, problem }
}

async function runRestCase(k: RestCase, c: Ctx) {
  const req = k.request(c)
  const res = await fetch(server.url + req.path, {
    method: req.method,
    headers: {
      ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(req.auth === false ? {} : { authorization: `Bearer ${c.attacker.token}` }),
      ...req.headers,
    },
    body: req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body),
  })
  const text = await res.text()
  let body: any
  let outcome = String(res.status)
  const problem = shapeProblem(() => {
    assert.match(
      res.headers.get('content-type') ?? '',
      /^application\/json/,
      `answer is not JSON: ${text.slice(0, 200)}`,
    )
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
    body = JSON.parse(text)
    if (res.status >= 400) {
      outcome += `:${body?.error?.code}`
      assertStructuredError(body?.error, 'REST error')
      assert.deepEqual(Object.keys(body), ['error'])
    }
  })
  return { outcome, got: { status: res.status, body, seen: [] } as Got, problem }
}

/** Runs case `i` and checks every invariant after it; returns the problems found (none: it passed). */
async function checkCase(k: Case, i: number, result: Result, allowed: string[], accepted: Accepted | null) {
  const expected = result.expected
  const c: Ctx = { roomId, attacker: await attackerFor(i), mark: randomBytes(5).toString('hex') }
  const before = await counts()
  const listenerMark = listenerLog.events.length
  const peerMark = peerLog.events.length

  // Every invariant is checked even when an earlier one failed, so a failure reports all of them.
  const problems: string[] = []
  const soft = async (what: string, check: () => unknown) => {
    try {
      await check()
    } catch (err) {
      problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  let got: Got = { seen: [] }
  let raw: RawClient | undefined
  try {
    await soft('answer', async () => {
      if (k.kind === 'socket') {
        const run = await runSocketCase(k, c, !allowed.includes('ignored'))
        raw = run.raw
        result.outcome = run.outcome
        got = run.got
        if (run.problem) throw new Error(run.problem)
      } else {
        const run = await runRestCase(k, c)
        result.outcome = run.outcome
        got = run.got
        if (run.problem) throw new Error(run.problem)
      }
    })
    await soft('outcome', () =>
      assert.ok(allowed.includes(result.outcome), `expected ${expected}, observed ${result.outcome}`),
    )

    // Nothing written when refused; exactly what was expected otherwise.
    await soft('rows written', async () => {
      const now = await counts()
      assert.deepEqual(
        {
          messages: now.messages - before.messages,
          rooms: now.rooms - before.rooms,
          users: now.users - before.users,
        },
        { messages: 0, rooms: 0, users: 0, ...accepted?.writes },
      )
    })

    // Two other clients keep chatting; the listeners heard nothing but what was stored. The canary
    // is delivered after anything the case caused (one ordered channel), so this needs no waiting.
    let text = ''
    await soft('two other clients keep chatting', async () => {
      text = await canary(i)
    })
    const heard = (log: typeof listenerLog, mark: number) =>
      log.events
        .slice(mark)
        .filter(
          (e) => !QUIET.has(e.event) && !(e.event === 'message:created' && (e.args[0] as any)?.content === text),
        ) as Seen
    got.seen = heard(listenerLog, listenerMark)
    await soft('broadcast to a listening client', () =>
      assert.deepEqual(
        got.seen.map((e) => e.event),
        accepted?.broadcast ? [accepted.broadcast] : [],
        JSON.stringify(got.seen).slice(0, 300),
      ),
    )
    await soft('broadcast to the other listening client', () =>
      assert.deepEqual(
        heard(peerLog, peerMark).map((e) => e.event),
        got.seen.map((e) => e.event),
      ),
    )
    const r = raw as RawClient | undefined
    if (r && allowed.includes('ignored')) {
      await soft('ignored frame', () => {
        assert.equal(r.acks.has(CASE_ACK_ID), false, 'no ack for an ignored frame')
        assert.equal(r.closed, false, 'connection kept')
      })
    }
    if (accepted?.check && allowed.includes(result.outcome))
      await soft('stored verbatim', () => accepted.check?.(got, c))
    await soft('/healthz', async () => assert.equal((await api(server.url, 'GET', '/healthz')).status, 200))
    await soft('prototype pollution', assertNoPollution)
  } finally {
    await (raw as RawClient | undefined)?.close()
  }
  return problems
}

describe('bad-input catalogue', () => {
  before(async () => {
    server = await startServer()
    useServer(server)
    const owner = await register(server.url, uniqueName('own'))
    const room = await api(server.url, 'POST', '/api/rooms', {
      token: owner.token,
      body: { name: uniqueName('bad-input') },
    })
    assert.equal(room.status, 201)
    roomId = room.body.room.id
    const listenerSession = await register(server.url, uniqueName('lsn'))
    const peerSession = await register(server.url, uniqueName('peer'))
    listener = await connect(server.url, listenerSession.token)
    peer = await connect(server.url, peerSession.token)
    for (const s of [listener, peer]) assert.equal((await ack(s, 'room:join', roomId)).ok, true)
    listenerLog = record(listener)
    peerLog = record(peer)
    await register(server.url, `${stem}_a`)
    await register(server.url, `${stem}xa`)
    await register(server.url, kelvinUser)
  })

  after(async () => {
    const passed = results.filter((r) => r.pass)
    const socket = results.filter((r) => r.kind === 'socket')
    const rest = results.filter((r) => r.kind === 'rest')
    console.log(
      `bad-input catalogue: ${CATALOGUE.length} cases (${socket.length} raw Socket.IO frames, ${rest.length} REST), ` +
        `${passed.length} passed (${socket.filter((r) => r.pass).length} socket, ${rest.filter((r) => r.pass).length} REST), ` +
        `${results.length - passed.length} failed`,
    )
    for (const r of results.filter((x) => !x.pass)) {
      console.log(`  FAILED [${r.kind}] ${r.name}: expected ${r.expected}, observed ${r.outcome}`)
    }
    for (const s of [listener, peer, ...senders]) s?.close()
    await server?.stop()
  })

  CATALOGUE.forEach((k, i) => {
    const accepted = 'refused' in k.expect ? null : k.expect
    const allowed = 'refused' in k.expect ? [k.expect.refused].flat() : [k.expect.outcome]
    const expected = allowed.join(' or ')
    test(`[${k.kind}] ${k.group}: ${k.name} → ${accepted?.writes ? `${expected}, stored` : expected}`, async () => {
      const result = { kind: k.kind, group: k.group, name: k.name, expected, outcome: '(not run)', pass: false }
      results.push(result)
      const problems = await checkCase(k, i, result, allowed, accepted)
      result.pass = problems.length === 0
      if (problems.length > 0) {
        result.outcome += ` (${problems.join('; ').replace(/\s+/g, ' ').slice(0, 400)})`
        assert.fail(`${k.name}\n  - ${problems.join('\n  - ')}`)
      }
    })
  })
})
