// Bad-input catalogue: the case types and the helpers the case files share (cases in ./*.cases.ts,
// the runner in ../bad-input.test.ts).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { clientMsgId, type TestServer } from '../../../test/helpers'
import { CASE_ACK_ID, type Frame } from '../../../test/raw-socket'
import type { SessionDto } from '../../contract/auth'
import type { ErrorCode } from '../../contract/errors'

/** The server under test, set by the runner before any case runs (the checks read its database). */
export let server: TestServer
export function useServer(s: TestServer) {
  server = s
}

export type Ctx = {
  roomId: string
  attacker: SessionDto
  /** Unique per case: goes into names and emails so cases never collide. */
  mark: string
}

export type Seen = { event: string; args: any[] }[]
export type Got = { ack?: any; status?: number; body?: any; seen: Seen }
export type Writes = { messages: number; rooms: number; users: number }

export type Accepted = {
  /** Socket: 'ok' (acked ok). REST: the 2xx status. */
  outcome: string
  writes?: Partial<Writes>
  /** The one event the listening clients must receive for it (besides the canary). */
  broadcast?: 'message:created' | 'room:added' | 'ephemeral:created'
  check?: (got: Got, c: Ctx) => void | Promise<void>
}

/** Refused: the outcome, or a list of equally acceptable outcomes. */
export type Expect = { refused: string | string[] } | Accepted

export type SocketCase = { kind: 'socket'; group: string; name: string; frames: (c: Ctx) => Frame[]; expect: Expect }
export type RestRequest = {
  method: string
  path: string
  /** Sent as JSON, or as-is when a string. */
  body?: unknown
  headers?: Record<string, string>
  /** Send the attacker's token (default true). */
  auth?: boolean
}
export type RestCase = { kind: 'rest'; group: string; name: string; request: (c: Ctx) => RestRequest; expect: Expect }
export type Case = SocketCase | RestCase

export const error = (code: ErrorCode): Expect => ({ refused: `error:${code}` })
export const closed: Expect = { refused: 'closed' }
export const ignored: Expect = { refused: 'ignored' }
export const http = (status: number, code: ErrorCode): Expect => ({ refused: `${status}:${code}` })

/** `420["event",…args]`: an event with ack id 0. */
export const ev = (event: unknown, ...args: unknown[]) => `42${CASE_ACK_ID}${JSON.stringify([event, ...args])}`
/** A message:send frame: a valid payload for the case's room, with `fields` overriding. */
export const send = (c: Ctx, fields: Record<string, unknown> = {}) =>
  ev('message:send', { roomId: c.roomId, content: 'hello', clientMsgId: clientMsgId(), ...fields })
/** A message:send frame whose payload JSON text is given raw (for shapes JSON.stringify cannot make). */
export const sendRaw = (payloadJson: string) => `42${CASE_ACK_ID}["message:send",${payloadJson}]`

/** An expected text, fixed or built from the case's context (its mark). */
export type Text = string | ((c: Ctx) => string)
export const textOf = (t: Text, c: Ctx) => (typeof t === 'function' ? t(c) : t)

/** Stored exactly as `content`/`topic` (after the documented NFC/trim/CRLF normalisation, given here). */
export function storedMessage(contentText: Text, topicText: Text = 'general', outcome = 'ok'): Accepted {
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
export function storedRoom(nameText: Text, description = '', extra?: (room: any) => void): Accepted {
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
export function literalSearch(prefix: string, exact?: (c: Ctx) => string[]): Accepted {
  return {
    outcome: '200',
    check(got, c) {
      const names: string[] = got.body.users.map((u: { username: string }) => u.username)
      for (const n of names) assert.ok(n.startsWith(prefix), `${n} does not start with ${prefix} literally`)
      if (exact) assert.deepEqual(names, exact(c))
    },
  }
}

export const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`
export const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
export const oneMegabyte = 'a'.repeat(1024 * 1024 + 1)
export const EMOJI = '😀' // one code point, two UTF-16 units, four UTF-8 bytes
export const FAMILY = '👨\u200D👩\u200D👧\u200D👦' // zero-width joiners inside one emoji
export const ZERO_WIDTH_ONLY = '\u200B\u200C\u200D\u2060\uFEFF'
export const ZALGO = `x${'\u0301'.repeat(1000)}` // 1 000 combining marks on a base that has no precomposed form
export const HTML = [
  '<script>alert(document.cookie)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg/onload=alert(1)>',
  "javascript:alert('x')//",
  '</textarea><iframe src=//evil.example>',
]
export const SQL = [
  '\'; DROP TABLE "Message"; --',
  "1' OR '1'='1",
  'Robert"); DELETE FROM "User" WHERE (\'1\'=\'1',
  '$1; SELECT pg_sleep(10); --',
]

/** Search fixtures: `${stem}_a` and `${stem}xa` exist; `kelvinUser` is a username starting with 'k'. */
export const stem = `sq${randomBytes(3).toString('hex')}`
export const kelvinUser = `k${randomBytes(5).toString('hex')}`
/** Every email a case registers contains this, so user counts can be scoped to the suite. */
export const MARK = `bi${randomBytes(4).toString('hex')}`
export const email = (c: Ctx) => `${c.mark}.${MARK}@example.com`
export const password = 'correct horse battery'
