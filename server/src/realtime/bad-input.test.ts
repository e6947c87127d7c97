// Bad-input catalogue (issue 7): everything a hostile or broken client can send, as data. Each case is
// sent over raw Engine.IO/Socket.IO frames (plain `ws`, no socket.io-client smoothing anything over) or
// over REST, and must get its expected answer: a structured error (ack `{ok:false,error:{code,message}}`
// or a 4xx `{error:{code,message}}`), the connection closed (protocol violations, oversized frames),
// silently ignored (unknown events), or — for valid but nasty input — stored verbatim.
// After every case: nothing written unless it was valid, nothing broadcast unless it was stored,
// /healthz answers, no prototype pollution, and two other clients still chat through the same room.
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import WebSocket from 'ws'
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
import type { SessionDto } from '../contract/auth'
import type { ErrorCode } from '../contract/errors'
import { CONTENT_MAX } from '../contract/messages'

// ---------------------------------------------------------------------------------------------------
// A raw Socket.IO client over plain `ws`: engine.io open packet, namespace CONNECT, ping/pong, acks.

type Frame = string | Buffer | { invalidUtf8Text: Buffer }

/** The ack id every case uses for its own answer; the probe that follows uses PROBE_ID. */
const CASE_ACK_ID = 0
const PROBE_ID = 77
const WAIT_MS = 10_000

class RawClient {
  readonly acks = new Map<number, any>()
  readonly events: unknown[][] = []
  /** CONNECT_ERROR packets (`44…`), e.g. for an unknown namespace. */
  readonly connectErrors: string[] = []
  closed = false
  closeCode: number | undefined
  private readonly waiters = new Set<() => void>()

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onText(data.toString())
      this.notify()
    })
    ws.on('close', (code) => {
      this.closed = true
      this.closeCode = code
      this.notify()
    })
    ws.on('error', () => {}) // e.g. ECONNRESET while a 1 MB frame is still being written; 'close' follows
  }

  /** Opens a connection and completes the namespace handshake (`40{"token":…}` → `40{"sid":…}`). */
  static async open(base: string, token?: string): Promise<RawClient> {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`)
    const client = new RawClient(ws)
    let connected = false
    const handshake = new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        const text = data.toString()
        if (text.startsWith('0{')) ws.send(token ? `40${JSON.stringify({ token })}` : '40')
        else if (text.startsWith('40{')) {
          connected = true
          resolve()
        } else if (text.startsWith('44') && !connected) reject(new Error(`handshake refused: ${text}`))
      })
      ws.on('close', () => reject(new Error('closed during handshake')))
    })
    try {
      await handshake
    } catch (err) {
      ws.terminate()
      throw err
    }
    return client
  }

  private onText(text: string) {
    if (text === '2') {
      this.ws.send('3') // engine.io ping → pong
      return
    }
    if (!text.startsWith('4')) return
    const packet = text.slice(1)
    const ackMatch = /^3(\d+)(\[[\s\S]*)$/.exec(packet)
    if (ackMatch) {
      const [, id, json] = ackMatch
      this.acks.set(Number(id), JSON.parse(json)[0])
    } else if (packet.startsWith('2[')) {
      this.events.push(JSON.parse(packet.slice(1)))
    } else if (/^4\//.test(packet)) {
      this.connectErrors.push(packet)
    }
  }

  private notify() {
    for (const w of [...this.waiters]) w()
  }

  send(frame: Frame) {
    const done = () => {} // sending on a socket the server already closed is part of some cases
    if (typeof frame === 'string') this.ws.send(frame, done)
    else if (Buffer.isBuffer(frame)) this.ws.send(frame, { binary: true }, done)
    else this.ws.send(frame.invalidUtf8Text, { binary: false }, done)
  }

  /** Resolves with check()'s first defined value, or undefined after `ms`. */
  until<T>(check: () => T | undefined, ms: number): Promise<T | undefined> {
    const now = check()
    if (now !== undefined || ms <= 0) return Promise.resolve(now)
    return new Promise((resolve) => {
      const finish = (value: T | undefined) => {
        clearTimeout(timer)
        this.waiters.delete(waiter)
        resolve(value)
      }
      const waiter = () => {
        const v = check()
        if (v !== undefined) finish(v)
      }
      const timer = setTimeout(() => finish(undefined), ms)
      this.waiters.add(waiter)
    })
  }

  async close() {
    if (this.closed) return
    this.ws.close()
    await this.until(() => (this.closed ? true : undefined), WAIT_MS)
    if (!this.closed) this.ws.terminate()
  }
}

/**
 * What happened to the frames of a case: 'closed' (the server closed the connection), `error:<code>`
 * or 'ok' (the ack of id 0), 'connect-error' (a `44` for another namespace), 'ignored' (the probe that
 * follows was answered and no ack came), or 'no-answer'.
 */
async function observe(raw: RawClient, waitForAck: boolean): Promise<string> {
  raw.send(`42${PROBE_ID}${JSON.stringify(['room:leave', randomUUID()])}`)
  const first = await raw.until(() => (raw.closed ? 'closed' : raw.acks.has(PROBE_ID) ? 'probe' : undefined), WAIT_MS)
  if (first === 'closed') return 'closed'
  if (first === undefined) return 'no-answer'
  const answer = await raw.until(
    () => (raw.acks.has(CASE_ACK_ID) ? 'ack' : raw.closed ? 'closed' : undefined),
    waitForAck ? WAIT_MS : 0,
  )
  if (answer === 'closed') return 'closed'
  if (answer === 'ack') return describeAck(raw.acks.get(CASE_ACK_ID))
  if (raw.connectErrors.length > 0) return 'connect-error'
  return waitForAck ? 'no-ack' : 'ignored'
}

function describeAck(a: any): string {
  if (a?.ok === true) return 'ok'
  if (a?.ok === false && typeof a.error?.code === 'string') return `error:${a.error.code}`
  return `malformed-ack:${JSON.stringify(a).slice(0, 100)}`
}

// ---------------------------------------------------------------------------------------------------
// The catalogue.

type Ctx = {
  roomId: string
  attacker: SessionDto
  /** Unique per case: goes into names and emails so cases never collide. */
  mark: string
}

type Seen = { event: string; args: any[] }[]
type Got = { ack?: any; status?: number; body?: any; seen: Seen }
type Writes = { messages: number; rooms: number; users: number }

type Accepted = {
  /** Socket: 'ok' (acked ok). REST: the 2xx status. */
  outcome: string
  writes?: Partial<Writes>
  /** The one event the listening clients must receive for it (besides the canary). */
  broadcast?: 'message:created' | 'room:added'
  check?: (got: Got, c: Ctx) => void | Promise<void>
}

/** Refused: the outcome, or a list of equally acceptable outcomes. */
type Expect = { refused: string | string[] } | Accepted

type SocketCase = { kind: 'socket'; group: string; name: string; frames: (c: Ctx) => Frame[]; expect: Expect }
type RestRequest = {
  method: string
  path: string
  /** Sent as JSON, or as-is when a string. */
  body?: unknown
  headers?: Record<string, string>
  /** Send the attacker's token (default true). */
  auth?: boolean
}
type RestCase = { kind: 'rest'; group: string; name: string; request: (c: Ctx) => RestRequest; expect: Expect }
type Case = SocketCase | RestCase

const error = (code: ErrorCode): Expect => ({ refused: `error:${code}` })
const closed: Expect = { refused: 'closed' }
const ignored: Expect = { refused: 'ignored' }
const http = (status: number, code: ErrorCode): Expect => ({ refused: `${status}:${code}` })

/** `420["event",…args]`: an event with ack id 0. */
const ev = (event: unknown, ...args: unknown[]) => `42${CASE_ACK_ID}${JSON.stringify([event, ...args])}`
/** A message:send frame: a valid payload for the case's room, with `fields` overriding. */
const send = (c: Ctx, fields: Record<string, unknown> = {}) =>
  ev('message:send', { roomId: c.roomId, content: 'hello', clientMsgId: clientMsgId(), ...fields })
/** A message:send frame whose payload JSON text is given raw (for shapes JSON.stringify cannot make). */
const sendRaw = (payloadJson: string) => `42${CASE_ACK_ID}["message:send",${payloadJson}]`

/** An expected text, fixed or built from the case's context (its mark). */
type Text = string | ((c: Ctx) => string)
const textOf = (t: Text, c: Ctx) => (typeof t === 'function' ? t(c) : t)

/** Stored exactly as `content`/`topic` (after the documented NFC/trim/CRLF normalisation, given here). */
function storedMessage(contentText: Text, topicText: Text = 'general', outcome = 'ok'): Accepted {
  return {
    outcome,
    writes: { messages: 1 },
    broadcast: 'message:created',
    async check(got, c) {
      const content = textOf(contentText, c)
      const topic = textOf(topicText, c)
      const message = got.ack?.message ?? got.body?.message
      assert.ok(message, 'the answer carries the stored message')
      assert.equal(message.content, content, 'returned verbatim')
      assert.equal(message.topic, topic, 'topic returned verbatim')
      assert.equal(message.author.id, c.attacker.user.id)
      const row = await server.prisma.message.findUniqueOrThrow({ where: { id: message.id } })
      assert.equal(row.content, content, 'stored verbatim')
      assert.equal(row.topic, topic, 'topic stored verbatim')
      assert.equal(row.authorId, c.attacker.user.id, 'author comes from the token, never the payload')
      const live = got.seen.find((e) => e.event === 'message:created')
      assert.equal(live?.args[0].id, message.id)
      assert.equal(live?.args[0].content, content, 'broadcast verbatim')
      assert.equal(live?.args[0].topic, topic)
    },
  }
}

/** A public room stored exactly with this name/description. */
function storedRoom(nameText: Text, description = '', extra?: (room: any) => void): Accepted {
  return {
    outcome: '201',
    writes: { rooms: 1 },
    broadcast: 'room:added',
    async check(got, c) {
      const name = textOf(nameText, c)
      assert.equal(got.body.room.name, name, 'returned verbatim')
      assert.equal(got.body.room.description, description)
      const row = await server.prisma.room.findUniqueOrThrow({ where: { id: got.body.room.id } })
      assert.equal(row.name, name, 'stored verbatim')
      assert.equal(row.description, description)
      const live = got.seen.find((e) => e.event === 'room:added')
      assert.equal(live?.args[0].name, name, 'broadcast verbatim')
      extra?.(row)
    },
  }
}

/** A user search answered 200 whose every result starts with `prefix`, literally. */
function literalSearch(prefix: string, exact?: (c: Ctx) => string[]): Accepted {
  return {
    outcome: '200',
    check(got, c) {
      const names: string[] = got.body.users.map((u: { username: string }) => u.username)
      for (const n of names) assert.ok(n.startsWith(prefix), `${n} does not start with ${prefix} literally`)
      if (exact) assert.deepEqual(names, exact(c))
    },
  }
}

const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
const oneMegabyte = 'a'.repeat(1024 * 1024 + 1)
const EMOJI = '😀' // one code point, two UTF-16 units, four UTF-8 bytes
const FAMILY = '👨\u200D👩\u200D👧\u200D👦' // zero-width joiners inside one emoji
const ZERO_WIDTH_ONLY = '\u200B\u200C\u200D\u2060\uFEFF'
const ZALGO = `x${'\u0301'.repeat(1000)}` // 1 000 combining marks on a base that has no precomposed form
const HTML = [
  '<script>alert(document.cookie)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg/onload=alert(1)>',
  "javascript:alert('x')//",
  '</textarea><iframe src=//evil.example>',
]
const SQL = [
  '\'; DROP TABLE "Message"; --',
  "1' OR '1'='1",
  'Robert"); DELETE FROM "User" WHERE (\'1\'=\'1',
  '$1; SELECT pg_sleep(10); --',
]

/** Search fixtures: `${stem}_a` and `${stem}xa` exist; `kelvinUser` is a username starting with 'k'. */
const stem = `sq${randomBytes(3).toString('hex')}`
const kelvinUser = `k${randomBytes(5).toString('hex')}`
/** Every email a case registers contains this, so user counts can be scoped to the suite. */
const MARK = `bi${randomBytes(4).toString('hex')}`
const email = (c: Ctx) => `${c.mark}.${MARK}@example.com`
const password = 'correct horse battery'

const CATALOGUE: Case[] = [
  // --- Malformed frames: the server cannot answer them with an ack, so it closes the connection.
  ...(
    [
      ['`42[` (truncated JSON)', () => ['42[']],
      ['`420[` with an ack id', () => ['420[']],
      ['`420[]` (no event name)', () => ['420[]']],
      ['`420{}` (object instead of array)', () => ['420{}']],
      ['`420"message:send"` (string instead of array)', () => ['420"message:send"']],
      ['non-JSON payload', () => ['420hello world']],
      ['`4` (empty Socket.IO packet)', () => ['4']],
      ['unknown Socket.IO packet type `47`', () => ['47["x"]']],
      ['unknown Engine.IO packet type `9`', () => ['9']],
      ['a second CONNECT on a connected namespace', () => ['40']],
      ['an event to a namespace never joined', (c: Ctx) => [`42/admin,0${JSON.stringify(['room:join', c.roomId])}`]],
      ['reserved event name `connect`', () => ['420["connect",{}]']],
      ['reserved event name `disconnecting`', () => ['420["disconnecting"]']],
      [
        'binary placeholder num 999999 (attachment then sent)',
        () => ['451-0["message:send",{"_placeholder":true,"num":999999}]', Buffer.from('xx')],
      ],
      [
        'binary placeholder, text frame instead of the attachment',
        () => ['451-0["message:send",{"_placeholder":true,"num":999999}]', '420["room:leave","x"]'],
      ],
      ['absurd attachment count 99999999', () => ['4599999999-0["message:send",{"_placeholder":true,"num":0}]']],
      ['attachment count 11 (over the parser maximum)', () => ['4511-0["x",{"_placeholder":true,"num":0}]']],
      ['negative attachment count', () => ['45-1-0["x",{"_placeholder":true,"num":0}]']],
      ['a binary frame nobody announced', () => [Buffer.from([1, 2, 3])]],
      ['text frame with invalid UTF-8', () => [{ invalidUtf8Text: Buffer.from([0x34, 0x32, 0x5b, 0xff, 0xfe, 0x5d]) }]],
    ] as [string, (c: Ctx) => Frame[]][]
  ).map(([name, frames]): Case => ({ kind: 'socket', group: 'malformed frames', name, frames, expect: closed })),

  // --- Well-formed frames the server has no use for: ignored, connection kept.
  ...(
    [
      ['`42` (event without data)', () => ['42']],
      ['unknown event with an ack id', () => [ev('admin:deleteEverything', {})]],
      ['numeric event name', () => [ev(1, {})]],
      ['event named `error`', () => [ev('error', {})]],
      ['an ACK for an id the server never used', () => ['4399[{"ok":true}]']],
      [
        'a refused payload without an ack id',
        (c: Ctx) => [`42${JSON.stringify(['message:send', { roomId: 1, content: c.mark }])}`],
      ],
    ] as [string, (c: Ctx) => Frame[]][]
  ).map(([name, frames]): Case => ({ kind: 'socket', group: 'ignored frames', name, frames, expect: ignored })),
  {
    kind: 'socket',
    group: 'ignored frames',
    name: 'CONNECT to an unknown namespace gets a CONNECT_ERROR',
    frames: () => ['40/admin,'],
    expect: { refused: 'connect-error' },
  },

  // --- Wrong arity.
  ...(
    [
      ['message:send without a payload', () => ['420["message:send"]']],
      ['room:join without a payload', () => ['420["room:join"]']],
      ['typing:set without a payload', () => ['420["typing:set"]']],
      [
        'message:send with a valid payload plus an extra argument',
        (c: Ctx) => [ev('message:send', { roomId: c.roomId, content: c.mark, clientMsgId: clientMsgId() }, 'extra')],
      ],
      ['room:join with two room ids', (c: Ctx) => [ev('room:join', c.roomId, c.roomId)]],
    ] as [string, (c: Ctx) => Frame[]][]
  ).map(([name, frames]): Case => ({
    kind: 'socket',
    group: 'wrong arity',
    name,
    frames,
    expect: error('invalid_input'),
  })),

  // --- Wrong types.
  ...(
    [
      ['roomId as an object', (c: Ctx) => [send(c, { roomId: { id: c.roomId } })]],
      ['roomId as a Prisma filter {"contains":""}', (c: Ctx) => [send(c, { roomId: { contains: '' } })]],
      ['roomId as an array', (c: Ctx) => [send(c, { roomId: [c.roomId] })]],
      ['roomId as a number', (c: Ctx) => [send(c, { roomId: 42 })]],
      ['roomId null', (c: Ctx) => [send(c, { roomId: null })]],
      ['roomId not a UUID (SQL-ish)', (c: Ctx) => [send(c, { roomId: "' OR 1=1 --" })]],
      ['content as a number', (c: Ctx) => [send(c, { content: 12345 })]],
      ['content as an object', (c: Ctx) => [send(c, { content: { text: 'hi' } })]],
      ['content as an array', (c: Ctx) => [send(c, { content: ['hi'] })]],
      ['content as a boolean', (c: Ctx) => [send(c, { content: true })]],
      ['topic as a number', (c: Ctx) => [send(c, { topic: 7 })]],
      ['clientMsgId as an object', (c: Ctx) => [send(c, { clientMsgId: { $gt: '' } })]],
      ['clientMsgId with forbidden characters', (c: Ctx) => [send(c, { clientMsgId: "x' OR '1'='1" })]],
      ['clientMsgId of 65 characters', (c: Ctx) => [send(c, { clientMsgId: 'a'.repeat(65) })]],
      ['payload a string', () => [ev('message:send', 'hello')]],
      ['payload a number', () => [ev('message:send', 42)]],
      ['payload null', () => [ev('message:send', null)]],
      ['payload an array', (c: Ctx) => [ev('message:send', [c.roomId, 'hello'])]],
      ['room:join with an object', (c: Ctx) => [ev('room:join', { roomId: c.roomId })]],
      ['room:join with {"contains":""}', () => [ev('room:join', { contains: '' })]],
      ['room:join with an array', (c: Ctx) => [ev('room:join', [c.roomId])]],
      ['room:join with a number', () => [ev('room:join', 1)]],
      ['room:join with a non-UUID string', () => [ev('room:join', '../../etc/passwd')]],
      ['room:leave with an object', () => [ev('room:leave', { contains: '' })]],
      ['typing:set with typing as a string', (c: Ctx) => [ev('typing:set', { roomId: c.roomId, typing: 'yes' })]],
      ['typing:set with roomId as an object', () => [ev('typing:set', { roomId: { contains: '' }, typing: true })]],
    ] as [string, (c: Ctx) => Frame[]][]
  ).map(([name, frames]): Case => ({
    kind: 'socket',
    group: 'wrong types',
    name,
    frames,
    expect: error('invalid_input'),
  })),

  // --- Prototype keys: never pollute, never smuggle fields in.
  {
    kind: 'socket',
    group: 'prototype keys',
    name: 'fields hidden under __proto__',
    frames: (c) => [sendRaw(`{"__proto__":{"roomId":"${c.roomId}","content":"x","clientMsgId":"${clientMsgId()}"}}`)],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'prototype keys',
    name: 'valid payload plus __proto__.polluted',
    frames: (c) => [
      sendRaw(
        `{"roomId":"${c.roomId}","content":"proto ${c.mark}","clientMsgId":"${clientMsgId()}","__proto__":{"polluted":"yes","isAdmin":true}}`,
      ),
    ],
    expect: storedMessage((c) => `proto ${c.mark}`),
  },
  {
    kind: 'socket',
    group: 'prototype keys',
    name: 'valid payload plus constructor.prototype.polluted',
    frames: (c) => [
      sendRaw(
        `{"roomId":"${c.roomId}","content":"ctor ${c.mark}","clientMsgId":"${clientMsgId()}","constructor":{"prototype":{"polluted":"yes"}}}`,
      ),
    ],
    expect: storedMessage((c) => `ctor ${c.mark}`),
  },
  {
    kind: 'socket',
    group: 'prototype keys',
    name: 'room:join with {"__proto__":…}',
    frames: (c) => [`420["room:join",{"__proto__":{"toString":"${c.roomId}"}}]`],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'prototype keys',
    name: 'author, seq and timestamps in the payload are ignored',
    frames: (c) => [
      send(c, {
        content: `mass ${c.mark}`,
        authorId: randomUUID(),
        author: { id: randomUUID(), username: 'admin' },
        seq: 1,
        id: randomUUID(),
        createdAt: '2000-01-01T00:00:00Z',
        email: 'admin@example.com',
      }),
    ],
    expect: storedMessage((c) => `mass ${c.mark}`),
  },

  // --- Nesting.
  {
    kind: 'socket',
    group: 'nesting',
    name: '10 000-deep array as the payload',
    frames: () => [sendRaw(deepArray(10_000))],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'nesting',
    name: '10 000-deep array as content',
    frames: (c) => [
      sendRaw(`{"roomId":"${c.roomId}","clientMsgId":"${clientMsgId()}","content":${deepArray(10_000)}}`),
    ],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'nesting',
    name: '10 000-deep object as roomId',
    frames: () => [sendRaw(`{"content":"x","clientMsgId":"${clientMsgId()}","roomId":${deepObject(10_000)}}`)],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'nesting',
    name: '10 000-deep array as a room:join id',
    frames: () => [`420["room:join",${deepArray(10_000)}]`],
    expect: error('invalid_input'),
  },

  // --- Length limits (code points, after NFC and trimming).
  {
    kind: 'socket',
    group: 'limits',
    name: `content of exactly ${CONTENT_MAX} characters`,
    frames: (c) => [send(c, { content: 'a'.repeat(CONTENT_MAX) })],
    expect: storedMessage('a'.repeat(CONTENT_MAX)),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: `content of ${CONTENT_MAX + 1} characters`,
    frames: (c) => [send(c, { content: 'a'.repeat(CONTENT_MAX + 1) })],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: `content of ${CONTENT_MAX} astral emoji (${CONTENT_MAX * 2} UTF-16 units)`,
    frames: (c) => [send(c, { content: EMOJI.repeat(CONTENT_MAX) })],
    expect: storedMessage(EMOJI.repeat(CONTENT_MAX)),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: `content of ${CONTENT_MAX + 1} astral emoji`,
    frames: (c) => [send(c, { content: EMOJI.repeat(CONTENT_MAX + 1) })],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: `content of ${CONTENT_MAX} characters plus surrounding whitespace`,
    frames: (c) => [send(c, { content: `  ${'b'.repeat(CONTENT_MAX)}\n\n ` })],
    expect: storedMessage('b'.repeat(CONTENT_MAX)),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: 'topic of exactly 64 characters',
    frames: (c) => [send(c, { topic: 't'.repeat(64), content: `topic ${c.mark}` })],
    expect: storedMessage((c) => `topic ${c.mark}`, 't'.repeat(64)),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: 'topic of 65 characters',
    frames: (c) => [send(c, { topic: 't'.repeat(65) })],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: 'empty content',
    frames: (c) => [send(c, { content: '' })],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: 'whitespace-only content',
    frames: (c) => [send(c, { content: ' \n\t \n ' })],
    expect: error('invalid_input'),
  },

  // --- Frame size: maxHttpBufferSize is 64 kB; beyond it the server closes the connection.
  {
    kind: 'socket',
    group: 'frame size',
    name: '60 kB frame (under the limit, content too long)',
    frames: (c) => [send(c, { content: 'a'.repeat(60_000) })],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'frame size',
    name: '70 kB frame',
    frames: (c) => [send(c, { content: 'a'.repeat(70_000) })],
    expect: closed,
  },
  {
    kind: 'socket',
    group: 'frame size',
    name: '1 MB+ frame',
    frames: (c) => [send(c, { content: oneMegabyte })],
    expect: closed,
  },
  {
    kind: 'socket',
    group: 'frame size',
    name: '1 MB+ binary attachment',
    frames: () => ['451-0["message:send",{"_placeholder":true,"num":0}]', Buffer.alloc(1024 * 1024 + 1, 1)],
    expect: closed,
  },

  // --- Unicode.
  ...(
    [
      ['NUL in content', 'a\u0000b', 'content'],
      ['NUL in topic', 'a\u0000b', 'topic'],
      ['a lone high surrogate in content', 'a\uD800b', 'content'],
      ['a lone low surrogate in content', 'a\uDC00b', 'content'],
      ['a lone surrogate in topic', '\uDBFF', 'topic'],
      ['RTL override (U+202E) in content', 'abc\u202Etxt.exe', 'content'],
      ['RTL override (U+202E) in topic', '\u202Egnp.exe', 'topic'],
      ['right-to-left isolate (U+2067) in content', 'x\u2067y', 'content'],
      ['C1 control (U+0085) in content', 'a\u0085b', 'content'],
      ['escape sequence (ESC[2J) in content', 'a\u001b[2Jb', 'content'],
      ['newline in topic', 'a\nb', 'topic'],
      [`1 000 combining marks in topic (64 max)`, ZALGO, 'topic'],
      ['content made only of zero-width characters', ZERO_WIDTH_ONLY, 'content'],
      ['topic made only of zero-width characters', ZERO_WIDTH_ONLY, 'topic'],
      ['content made only of a BOM', '\uFEFF', 'content'],
    ] as [string, string, 'content' | 'topic'][]
  ).map(([name, text, field]): Case => ({
    kind: 'socket',
    group: 'unicode',
    name,
    frames: (c) => [send(c, { [field]: text })],
    expect: error('invalid_input'),
  })),
  ...(
    [
      ['zero-width joiners inside an emoji', `family ${FAMILY}`, `family ${FAMILY}`],
      ['zero-width non-joiner in Persian', 'می\u200Cخواهم', 'می\u200Cخواهم'],
      ['zero-width space inside a word', 'in\u200Bvisible', 'in\u200Bvisible'],
      ['1 000 combining marks in content', ZALGO, ZALGO],
      ['decomposed é is stored NFC', 'caf\u0065\u0301', 'caf\u00e9'],
      ['CRLF is stored as LF', 'one\r\ntwo\rthree', 'one\ntwo\nthree'],
      ['right-to-left text without overrides', 'שלום עולם مرحبا', 'שלום עולם مرحبا'],
    ] as [string, string, string][]
  ).map(([name, input, stored]): Case => ({
    kind: 'socket',
    group: 'unicode',
    name,
    frames: (c) => [send(c, { content: input })],
    expect: storedMessage(stored),
  })),

  // --- HTML and SQL-ish text: plain text, stored and returned verbatim.
  ...HTML.map((payload, i): Case => ({
    kind: 'socket',
    group: 'html',
    name: `HTML in content and topic #${i + 1}: ${payload}`,
    frames: (c) => [send(c, { content: payload, topic: payload })],
    expect: storedMessage(payload, payload),
  })),
  ...SQL.map((payload, i): Case => ({
    kind: 'socket',
    group: 'sql',
    name: `SQL-ish content and topic #${i + 1}: ${payload}`,
    frames: (c) => [send(c, { content: payload, topic: payload.slice(0, 64) })],
    expect: storedMessage(payload, payload.slice(0, 64)),
  })),

  // ================================ REST ================================
  // --- Messages.
  ...(
    [
      ['content as a Prisma filter', { content: { contains: '' }, clientMsgId: 'x1' }],
      ['content as an array', { content: ['a'], clientMsgId: 'x1' }],
      [`content of ${CONTENT_MAX + 1} characters`, { content: 'a'.repeat(CONTENT_MAX + 1), clientMsgId: 'x1' }],
      ['NUL in content', { content: 'a\u0000b', clientMsgId: 'x1' }],
      ['a lone surrogate in content', { content: '\uD83D', clientMsgId: 'x1' }],
      ['RTL override in topic', { content: 'a', topic: '\u202Egnp.exe', clientMsgId: 'x1' }],
      ['content made only of zero-width characters', { content: ZERO_WIDTH_ONLY, clientMsgId: 'x1' }],
      ['content hidden under __proto__', '{"__proto__":{"content":"x"},"clientMsgId":"x1"}'],
      ['10 000-deep array as content', `{"clientMsgId":"x1","content":${deepArray(10_000)}}`],
      ['body a JSON array', '[{"content":"a","clientMsgId":"x1"}]'],
      ['body a JSON string', '"hello"'],
      ['body JSON null', 'null'],
      ['body not JSON', '{"content":'],
    ] as [string, unknown][]
  ).map(([name, body]): Case => ({
    kind: 'rest',
    group: 'REST messages',
    name: `POST message: ${name}`,
    request: (c) => ({ method: 'POST', path: `/api/rooms/${c.roomId}/messages`, body }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group: 'REST messages',
    name: 'POST message: 1 MB+ body',
    request: (c) => ({
      method: 'POST',
      path: `/api/rooms/${c.roomId}/messages`,
      body: { content: oneMegabyte, clientMsgId: 'x1' },
    }),
    expect: http(413, 'payload_too_large'),
  },
  {
    kind: 'rest',
    group: 'REST messages',
    name: 'POST message: JSON declared as UTF-16',
    request: (c) => ({
      method: 'POST',
      path: `/api/rooms/${c.roomId}/messages`,
      body: '{"content":"a","clientMsgId":"x1"}',
      headers: { 'content-type': 'application/json; charset=utf-16' },
    }),
    expect: http(400, 'invalid_input'),
  },
  ...(
    [
      ['room id SQL-ish', "' OR 1=1 --"],
      ['room id a JSON filter', '{"contains":""}'],
      ['room id with NUL', 'a\u0000b'],
    ] as [string, string][]
  ).map(([name, id]): Case => ({
    kind: 'rest',
    group: 'REST messages',
    name: `POST message: ${name}`,
    request: () => ({
      method: 'POST',
      path: `/api/rooms/${encodeURIComponent(id)}/messages`,
      body: { content: 'a', clientMsgId: 'x1' },
    }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group: 'REST messages',
    name: 'GET room with a malformed percent-encoding in the id',
    request: () => ({ method: 'GET', path: '/api/rooms/%E0%A4%A' }),
    expect: http(400, 'invalid_input'),
  },
  ...(
    [
      ['limit not a number', 'limit=abc'],
      ['limit repeated', 'limit=1&limit=2'],
      ['before negative', 'before=-1'],
      ['before and after', 'before=5&after=1'],
      ['after beyond int32', 'after=99999999999'],
    ] as [string, string][]
  ).map(([name, query]): Case => ({
    kind: 'rest',
    group: 'REST messages',
    name: `GET history: ${name}`,
    request: (c) => ({ method: 'GET', path: `/api/rooms/${c.roomId}/messages?${query}` }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group: 'REST messages',
    name: 'GET history: limit=1e9 is clamped',
    request: (c) => ({ method: 'GET', path: `/api/rooms/${c.roomId}/messages?limit=1000000000` }),
    expect: { outcome: '200', check: (got) => assert.ok(got.body.messages.length <= 100) },
  },
  ...HTML.slice(0, 2).map((payload, i): Case => ({
    kind: 'rest',
    group: 'REST messages',
    name: `POST message: HTML in content and topic #${i + 1}`,
    request: (c) => ({
      method: 'POST',
      path: `/api/rooms/${c.roomId}/messages`,
      body: { content: payload, topic: payload, clientMsgId: clientMsgId() },
    }),
    expect: storedMessage(payload, payload, '201'),
  })),
  {
    kind: 'rest',
    group: 'REST messages',
    name: 'POST message: SQL-ish content',
    request: (c) => ({
      method: 'POST',
      path: `/api/rooms/${c.roomId}/messages`,
      body: { content: SQL[0], topic: SQL[1], clientMsgId: clientMsgId() },
    }),
    expect: storedMessage(SQL[0], SQL[1], '201'),
  },
  {
    kind: 'rest',
    group: 'REST messages',
    name: `POST message: content of exactly ${CONTENT_MAX} characters`,
    request: (c) => ({
      method: 'POST',
      path: `/api/rooms/${c.roomId}/messages`,
      body: { content: 'z'.repeat(CONTENT_MAX), clientMsgId: clientMsgId() },
    }),
    expect: storedMessage('z'.repeat(CONTENT_MAX), 'general', '201'),
  },
  {
    kind: 'rest',
    group: 'REST messages',
    name: 'POST message: valid body plus __proto__ and constructor keys',
    request: (c) => ({
      method: 'POST',
      path: `/api/rooms/${c.roomId}/messages`,
      body: `{"content":"rest proto","clientMsgId":"${clientMsgId()}","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}`,
    }),
    expect: storedMessage('rest proto', 'general', '201'),
  },

  // --- Rooms.
  ...(
    [
      ['name as an object', { name: { contains: '' } }],
      ['name as an array', { name: ['a'] }],
      ['name as a number', { name: 1 }],
      ['name with NUL', { name: 'a\u0000b' }],
      ['name with an RTL override', { name: 'room\u202Eexe' }],
      ['name with a lone surrogate', { name: 'r\uDC00' }],
      ['name made only of zero-width characters', { name: ZERO_WIDTH_ONLY }],
      ['name with 1 000 combining marks', { name: ZALGO }],
      ['name of 65 characters', { name: 'n'.repeat(65) }],
      ['isPrivate as a string', { name: 'x', isPrivate: 'true' }],
      ['participants with HTML', { name: 'x', isPrivate: true, participants: ['<script>'] }],
      ['participants as a filter', { name: 'x', isPrivate: true, participants: { contains: '' } }],
      ['description of 501 characters', { name: 'x', description: 'd'.repeat(501) }],
      ['10 000-deep array as name', `{"name":${deepArray(10_000)}}`],
    ] as [string, unknown][]
  ).map(([name, body]): Case => ({
    kind: 'rest',
    group: 'REST rooms',
    name: `POST room: ${name}`,
    request: () => ({ method: 'POST', path: '/api/rooms', body }),
    expect: http(400, 'invalid_input'),
  })),
  ...HTML.slice(0, 3).map((payload, i): Case => ({
    kind: 'rest',
    group: 'REST rooms',
    name: `POST room: HTML in name and description #${i + 1}`,
    request: (c) => ({
      method: 'POST',
      path: '/api/rooms',
      body: { name: `${payload} ${c.mark}`, description: payload },
    }),
    expect: storedRoom((c) => `${payload} ${c.mark}`, payload),
  })),
  {
    kind: 'rest',
    group: 'REST rooms',
    name: 'POST room: SQL-ish name and description',
    request: (c) => ({
      method: 'POST',
      path: '/api/rooms',
      body: { name: `${SQL[1]} ${c.mark}`, description: SQL[2] },
    }),
    expect: storedRoom((c) => `${SQL[1]} ${c.mark}`, SQL[2]),
  },
  {
    kind: 'rest',
    group: 'REST rooms',
    name: 'POST room: isPrivate smuggled under __proto__ stays public',
    request: (c) => ({
      method: 'POST',
      path: '/api/rooms',
      body: `{"name":"proto ${c.mark}","__proto__":{"isPrivate":true}}`,
    }),
    expect: storedRoom(
      (c) => `proto ${c.mark}`,
      '',
      (row) => assert.equal(row.isPrivate, false),
    ),
  },
  {
    kind: 'rest',
    group: 'REST rooms',
    name: 'POST participant: username as a filter',
    request: (c) => ({ method: 'POST', path: `/api/rooms/${c.roomId}/participants`, body: { username: { not: '' } } }),
    expect: http(400, 'invalid_input'),
  },

  // --- Registration: homoglyphs, HTML, SQL, mass assignment.
  ...(
    [
      ['Cyrillic а in the username (homoglyph)', '\u0430dmin'],
      ['Greek ο in the username (homoglyph)', 'r\u03bfot'],
      ['fullwidth letters in the username', '\uff41\uff44\uff4d\uff49\uff4e'],
      ['dotted capital İ in the username', '\u0130nfo'],
      ['a zero-width joiner inside the username', 'ad\u200Dmin'],
      ['an RTL override in the username', 'admin\u202Egpj'],
      ['HTML as the username', '<script>alert(1)</script>'],
      ['SQL-ish username', "admin'--"],
      ['username as a filter', { contains: 'a' }],
      ['NUL in the username', 'adm\u0000in'],
    ] as [string, unknown][]
  ).map(([name, username]): Case => ({
    kind: 'rest',
    group: 'REST register',
    name: `register: ${name}`,
    request: (c) => ({
      method: 'POST',
      path: '/api/auth/register',
      auth: false,
      body: {
        username: typeof username === 'string' ? `${username}${c.mark.slice(0, 6)}` : username,
        email: email(c),
        password,
      },
    }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group: 'REST register',
    name: 'register: Kelvin sign K (U+212A) homoglyph of an existing username',
    request: (c) => ({
      method: 'POST',
      path: '/api/auth/register',
      auth: false,
      body: { username: `\u212A${kelvinUser.slice(1)}`, email: email(c), password },
    }),
    expect: http(409, 'conflict'),
  },
  {
    kind: 'rest',
    group: 'REST register',
    name: 'register: HTML in the email',
    request: (c) => ({
      method: 'POST',
      path: '/api/auth/register',
      auth: false,
      body: { username: `u${c.mark}`, email: `"<script>alert(1)</script>"@${MARK}.example.com`, password },
    }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group: 'REST register',
    name: 'register: HTML and SQL-ish password is just a password',
    request: (c) => ({
      method: 'POST',
      path: '/api/auth/register',
      auth: false,
      body: { username: `u${c.mark}`, email: email(c), password: `<script>'; DROP TABLE "User"; --` },
    }),
    expect: {
      outcome: '201',
      writes: { users: 1 },
      async check(got, c) {
        const login = await api(server.url, 'POST', '/api/auth/login', {
          body: { login: email(c), password: `<script>'; DROP TABLE "User"; --` },
        })
        assert.equal(login.status, 200)
        assert.equal(login.body.user.id, got.body.user.id)
      },
    },
  },
  {
    kind: 'rest',
    group: 'REST register',
    name: 'register: id, tokenVersion and passwordHash in the body are ignored',
    request: (c) => ({
      method: 'POST',
      path: '/api/auth/register',
      auth: false,
      body: {
        username: `u${c.mark}`,
        email: email(c),
        password,
        id: '00000000-0000-4000-8000-000000000099',
        tokenVersion: -5,
        passwordHash: 'not-a-hash',
        createdAt: '2000-01-01T00:00:00Z',
      },
    }),
    expect: {
      outcome: '201',
      writes: { users: 1 },
      async check(got) {
        assert.notEqual(got.body.user.id, '00000000-0000-4000-8000-000000000099')
        const row = await server.prisma.user.findUniqueOrThrow({ where: { id: got.body.user.id } })
        assert.equal(row.tokenVersion, 0)
        assert.match(row.passwordHash, /^\$2[aby]\$/)
        assert.ok(row.createdAt.getFullYear() > 2000)
      },
    },
  },

  // --- Login.
  ...(
    [
      ['login as a Prisma filter', { login: { not: '' }, password }, 400, 'invalid_input'],
      ['password as an object', { login: 'someone', password: { not: '' } }, 400, 'invalid_input'],
      ['SQL-ish login', { login: "' OR '1'='1' --", password: "' OR '1'='1" }, 401, 'invalid_credentials'],
      ['HTML login', { login: '<script>alert(1)</script>', password }, 401, 'invalid_credentials'],
    ] as [string, unknown, number, ErrorCode][]
  ).map(([name, body, status, code]): Case => ({
    kind: 'rest',
    group: 'REST login',
    name: `login: ${name}`,
    request: () => ({ method: 'POST', path: '/api/auth/login', auth: false, body }),
    expect: http(status, code),
  })),

  ...(
    [
      ['NUL in the username login', 'adm\u0000in'],
      ['NUL in the email login', 'adm\u0000in@example.com'],
    ] as [string, string][]
  ).map(([name, login]): Case => ({
    kind: 'rest',
    group: 'REST login',
    name: `login: ${name}`,
    request: () => ({ method: 'POST', path: '/api/auth/login', auth: false, body: { login, password } }),
    expect: { refused: ['400:invalid_input', '401:invalid_credentials'] },
  })),
  {
    kind: 'rest',
    group: 'REST register',
    name: 'register: a password containing NUL is compared whole, not cut at the NUL',
    request: (c) => ({
      method: 'POST',
      path: '/api/auth/register',
      auth: false,
      body: { username: `u${c.mark}`, email: email(c), password: 'x\u0000abcdefgh' },
    }),
    expect: {
      outcome: '201',
      writes: { users: 1 },
      async check(_got, c) {
        for (const [attempt, status] of [
          ['x\u0000zzzzzzzz', 401],
          ['x', 401],
          ['x\u0000abcdefgh', 200],
        ] as const) {
          const res = await api(server.url, 'POST', '/api/auth/login', { body: { login: email(c), password: attempt } })
          assert.equal(res.status, status, JSON.stringify(attempt))
        }
      },
    },
  },

  // --- User search: % and _ are literal.
  ...(
    [
      ['`%` matches nothing', '%', literalSearch('%', () => [])],
      ['`_` matches only names starting with _', '_', literalSearch('_')],
      ['`<stem>_` matches only the underscore name', `${stem}_`, literalSearch(`${stem}_`, () => [`${stem}_a`])],
      ['`<stem>%` matches nothing', `${stem}%`, literalSearch(`${stem}%`, () => [])],
      ['`\\` matches nothing', '\\', literalSearch('\\', () => [])],
      ['`<stem>\\_` matches nothing', `${stem}\\_`, literalSearch(`${stem}\\_`, () => [])],
      ['SQL-ish query', "' or 1=1 --", literalSearch("' or 1=1 --", () => [])],
      ['HTML query', '<script>', literalSearch('<script>', () => [])],
    ] as [string, string, Expect][]
  ).map(([name, query, expect]): Case => ({
    kind: 'rest',
    group: 'REST search',
    name: `search: ${name}`,
    request: () => ({ method: 'GET', path: `/api/users?query=${encodeURIComponent(query)}` }),
    expect,
  })),
  {
    kind: 'rest',
    group: 'REST search',
    name: 'search: NUL in the query',
    request: () => ({ method: 'GET', path: '/api/users?query=a%00b' }),
    expect: { refused: ['400:invalid_input', '200'] },
  },
  {
    kind: 'rest',
    group: 'REST search',
    name: 'search: query repeated',
    request: () => ({ method: 'GET', path: '/api/users?query=a&query=b' }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group: 'REST search',
    name: 'search: query of 33 characters',
    request: () => ({ method: 'GET', path: `/api/users?query=${'q'.repeat(33)}` }),
    expect: http(400, 'invalid_input'),
  },
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
const results: { kind: string; group: string; name: string; expected: string; outcome: string; pass: boolean }[] = []

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

const QUIET = new Set(['presence:changed', 'room:presence'])

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

describe('bad-input catalogue', () => {
  before(async () => {
    server = await startServer()
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
      result.pass = problems.length === 0
      if (problems.length > 0) {
        result.outcome += ` (${problems.join('; ').replace(/\s+/g, ' ').slice(0, 400)})`
        assert.fail(`${k.name}\n  - ${problems.join('\n  - ')}`)
      }
    })
  })
})
