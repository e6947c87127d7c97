import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  ack,
  api,
  type ClientSocket,
  clientMsgId,
  connect,
  eventually,
  register,
  startServer,
  type TestServer,
  uniqueName,
} from '../../test/helpers'
import type { MessageDto } from '../contract/messages'

let server: TestServer
before(async () => {
  server = await startServer()
})
after(() => server.stop())

async function publicRoom(token: string) {
  const res = await server.api('POST', '/api/rooms', { token, body: { name: uniqueName('room') } })
  assert.equal(res.status, 201)
  return res.body.room.id as string
}

/** Joins a room and collects its `message:created` events. */
async function joined(socket: ClientSocket, roomId: string) {
  const received: MessageDto[] = []
  socket.on('message:created', (m) => {
    if (m.roomId === roomId) received.push(m)
  })
  const res = await ack(socket, 'room:join', roomId)
  assert.equal(res.ok, true)
  return received
}

describe('message:send', () => {
  test('reaches every socket in the room exactly once, in seq order, after being stored', async () => {
    const alice = await register(server.url)
    const bob = await register(server.url)
    const roomId = await publicRoom(alice.token)
    const a = await connect(server.url, alice.token)
    const b = await connect(server.url, bob.token)
    const guest = await connect(server.url)
    const outsider = await connect(server.url, bob.token) // bob's second socket, not in the room
    const lists = await Promise.all([joined(a, roomId), joined(b, roomId), joined(guest, roomId)])
    const stray: MessageDto[] = []
    outsider.on('message:created', (m) => stray.push(m))

    const sends = 40
    const acks = await Promise.all(
      Array.from({ length: sends }, (_, i) =>
        ack(i % 2 ? a : b, 'message:send', { roomId, topic: 'load', content: `m${i}`, clientMsgId: clientMsgId() }),
      ),
    )
    for (const r of acks) assert.equal(r.ok, true)
    const rows = await server.prisma.message.findMany({ where: { roomId }, orderBy: { seq: 'asc' } })
    assert.equal(rows.length, sends)
    assert.deepEqual(
      rows.map((r) => r.seq),
      Array.from({ length: sends }, (_, i) => i + 1),
    )
    await eventually(() => lists.every((l) => l.length >= sends), 5000, 'all deliveries')
    await new Promise((r) => setTimeout(r, 200))
    for (const list of lists) {
      assert.deepEqual(
        list.map((m) => m.seq),
        rows.map((r) => r.seq),
        'each message once, in seq order',
      )
    }
    assert.equal(stray.length, 0, 'sockets that did not join the room hear nothing')
    // Signed-in viewers see emails whole, guests masked.
    assert.match(lists[0][0].email, /^[a-z0-9_]+@example\.com$/)
    assert.match(lists[2][0].email, /^[a-z0-9_]\*\*\*@example\.com$/)
    for (const s of [a, b, guest, outsider]) s.close()
  })

  test('the ack carries name, email, time, topic and content as stored', async () => {
    const alice = await register(server.url)
    const roomId = await publicRoom(alice.token)
    const a = await connect(server.url, alice.token)
    const res = await ack(a, 'message:send', {
      roomId,
      topic: ' homework ',
      content: '  line 1\r\nline 2  ',
      clientMsgId: 'x1',
    })
    assert.equal(res.ok, true)
    const m = res.message as MessageDto
    assert.equal(m.author?.username, alice.user.username)
    assert.equal(m.email, alice.user.email)
    assert.equal(m.topic, 'homework')
    assert.equal(m.content, 'line 1\nline 2')
    assert.equal(m.seq, 1)
    assert.equal(m.clientMsgId, 'x1')
    assert.ok(Math.abs(Date.parse(m.createdAt) - Date.now()) < 60_000)
    const row = await server.prisma.message.findUniqueOrThrow({ where: { id: m.id } })
    assert.equal(row.content, 'line 1\nline 2')
    const defaulted = await ack(a, 'message:send', { roomId, content: 'no topic', clientMsgId: 'x2' })
    assert.equal(defaulted.ok && defaulted.message.topic, 'general')
    a.close()
  })

  test('a repeated clientMsgId stores one row and acks the same message (also when concurrent)', async () => {
    const alice = await register(server.url)
    const roomId = await publicRoom(alice.token)
    const a = await connect(server.url, alice.token)
    const payload = { roomId, topic: 't', content: 'once', clientMsgId: clientMsgId() }
    const acks = await Promise.all([1, 2, 3, 4, 5].map(() => ack(a, 'message:send', payload)))
    const again = await ack(a, 'message:send', payload)
    const ids = new Set([...acks, again].map((r) => (r.ok ? r.message.id : 'error')))
    assert.equal(ids.size, 1)
    assert.ok(!ids.has('error'))
    assert.equal(await server.prisma.message.count({ where: { roomId } }), 1)
    const room = await server.prisma.room.findUniqueOrThrow({ where: { id: roomId } })
    assert.equal(room.lastSeq, 1, 'no seq was burnt by the duplicates')
    const next = await ack(a, 'message:send', { ...payload, clientMsgId: clientMsgId() })
    assert.equal(next.ok && next.message.seq, 2)
    a.close()
  })

  test('identity comes from the token only: forged author fields are ignored', async () => {
    const alice = await register(server.url)
    const mallory = await register(server.url)
    const roomId = await publicRoom(alice.token)
    const m = await connect(server.url, mallory.token)
    const res = await ack(m, 'message:send', {
      roomId,
      topic: 't',
      content: 'hello',
      clientMsgId: clientMsgId(),
      author: { id: alice.user.id, username: alice.user.username },
      authorId: alice.user.id,
      userId: alice.user.id,
      email: alice.user.email,
      name: alice.user.username,
      seq: 999,
      createdAt: '2000-01-01T00:00:00.000Z',
    })
    assert.equal(res.ok, true)
    const msg = (res as { message: MessageDto }).message
    assert.equal(msg.author?.id, mallory.user.id)
    assert.equal(msg.email, mallory.user.email)
    assert.equal(msg.seq, 1)
    assert.notEqual(msg.createdAt, '2000-01-01T00:00:00.000Z')
    const row = await server.prisma.message.findUniqueOrThrow({ where: { id: msg.id } })
    assert.equal(row.authorId, mallory.user.id)
    m.close()
  })

  test('guests cannot send, over the socket or REST', async () => {
    const alice = await register(server.url)
    const roomId = await publicRoom(alice.token)
    const guestToken = (await api(server.url, 'POST', '/api/auth/guest')).body.token
    for (const token of [undefined, guestToken]) {
      const g = await connect(server.url, token)
      const res = await ack(g, 'message:send', { roomId, content: 'hi', clientMsgId: clientMsgId() })
      assert.deepEqual(res, {
        ok: false,
        error: { code: 'unauthenticated', message: 'You need to log in to do that.' },
      })
      g.close()
      const rest = await api(server.url, 'POST', `/api/rooms/${roomId}/messages`, {
        token,
        body: { content: 'hi', clientMsgId: clientMsgId() },
      })
      assert.equal(rest.status, 401)
      assert.equal(rest.body.error.code, 'unauthenticated')
    }
    assert.equal(await server.prisma.message.count({ where: { roomId } }), 0)
  })

  const invalid: [string, Record<string, unknown>, string][] = [
    ['empty content', { content: '   ' }, 'content'],
    ['content over 4000', { content: 'x'.repeat(4001) }, 'content'],
    ['NUL in content', { content: 'a\u0000b' }, 'content'],
    ['tab control in content', { content: 'a\u0007b' }, 'content'],
    ['bidi override in content', { content: 'abc\u202Edef' }, 'content'],
    ['lone surrogate', { content: 'a\uD800b' }, 'content'],
    ['topic over 64', { topic: 't'.repeat(65) }, 'topic'],
    ['newline in topic', { topic: 'a\nb' }, 'topic'],
    ['content as object', { content: { contains: '' } }, 'content'],
    ['bad clientMsgId', { clientMsgId: 'has space' }, 'clientMsgId'],
    ['roomId not an id', { roomId: "1' OR 1=1" }, 'roomId'],
    ['roomId as array', { roomId: ['x'] }, 'roomId'],
  ]
  for (const [name, patch, field] of invalid) {
    test(`refuses ${name} with invalid_input naming ${field}, storing nothing`, async () => {
      const alice = await register(server.url)
      const roomId = await publicRoom(alice.token)
      const a = await connect(server.url, alice.token)
      const res = await ack(a, 'message:send', {
        roomId,
        topic: 'ok',
        content: 'ok',
        clientMsgId: clientMsgId(),
        ...patch,
      })
      assert.equal(res.ok, false)
      assert.equal(!res.ok && res.error.code, 'invalid_input')
      assert.ok(!res.ok && res.error.fields?.[field], JSON.stringify(res))
      assert.equal(await server.prisma.message.count({ where: { roomId } }), 0)
      a.close()
    })
  }

  test('content at exactly 4000 characters (after NFC) is accepted', async () => {
    const alice = await register(server.url)
    const roomId = await publicRoom(alice.token)
    const a = await connect(server.url, alice.token)
    const decomposed = 'e\u0301'.repeat(4000) // 8000 code units, 4000 characters once composed
    const res = await ack(a, 'message:send', { roomId, content: decomposed, clientMsgId: clientMsgId() })
    assert.equal(res.ok, true)
    assert.equal(res.ok && res.message.content, '\u00e9'.repeat(4000))
    a.close()
  })

  test('a message without a payload or with extra arguments gets a clear error', async () => {
    const alice = await register(server.url)
    const a = await connect(server.url, alice.token)
    const none = await ack(a, 'message:send')
    assert.equal(!none.ok && none.error.code, 'invalid_input')
    const extra = await ack(a, 'message:send', {}, 'extra')
    assert.equal(!extra.ok && extra.error.code, 'invalid_input')
    a.close()
  })
})

describe('history', () => {
  test('pages backwards and forwards by seq without skipping or repeating while others send', async () => {
    const alice = await register(server.url)
    const roomId = await publicRoom(alice.token)
    const a = await connect(server.url, alice.token)
    for (let i = 0; i < 30; i++) {
      const r = await ack(a, 'message:send', { roomId, content: `pre ${i}`, clientMsgId: clientMsgId() })
      assert.equal(r.ok, true)
    }
    // Keep sending while paging.
    let sending = true
    const writer = (async () => {
      let i = 0
      while (sending) await ack(a, 'message:send', { roomId, content: `live ${i++}`, clientMsgId: clientMsgId() })
    })()

    // Backwards from the 30 pre-existing messages, 7 at a time.
    const backwards: number[] = []
    let beforeSeq = 31
    for (;;) {
      const res = await api(server.url, 'GET', `/api/rooms/${roomId}/messages?before=${beforeSeq}&limit=7`)
      assert.equal(res.status, 200)
      const seqs = res.body.messages.map((m: MessageDto) => m.seq)
      backwards.unshift(...seqs)
      if (!res.body.hasMore) break
      beforeSeq = seqs[0]
    }
    assert.deepEqual(
      backwards,
      Array.from({ length: 30 }, (_, i) => i + 1),
    )

    // Forwards with `after`, catching up with the live sends.
    const forwards: number[] = []
    let afterSeq = 0
    for (let pages = 0; pages < 20; pages++) {
      const res = await api(server.url, 'GET', `/api/rooms/${roomId}/messages?after=${afterSeq}&limit=9`)
      const seqs = res.body.messages.map((m: MessageDto) => m.seq)
      forwards.push(...seqs)
      if (seqs.length > 0) afterSeq = seqs.at(-1)
    }
    sending = false
    await writer
    assert.deepEqual(
      forwards,
      Array.from({ length: forwards.length }, (_, i) => i + 1),
      'contiguous, no repeats',
    )
    assert.ok(forwards.length > 30)
    a.close()
  })

  test('limit is clamped to 100, newest page by default, bad cursors refused', async () => {
    const alice = await register(server.url)
    const roomId = await publicRoom(alice.token)
    await server.prisma.$transaction(async () => {})
    const a = await connect(server.url, alice.token)
    await Promise.all(
      Array.from({ length: 105 }, (_, i) =>
        ack(a, 'message:send', { roomId, content: `n${i}`, clientMsgId: clientMsgId() }),
      ),
    )
    const res = await api(server.url, 'GET', `/api/rooms/${roomId}/messages?limit=1000`)
    assert.equal(res.status, 200)
    assert.equal(res.body.messages.length, 100)
    assert.equal(res.body.messages[0].seq, 6)
    assert.equal(res.body.messages.at(-1).seq, 105)
    assert.equal(res.body.hasMore, true)
    for (const q of ['before=-1', 'after=abc', 'limit=0', 'before=3&after=1']) {
      const bad = await api(server.url, 'GET', `/api/rooms/${roomId}/messages?${q}`)
      assert.equal(bad.status, 400, q)
      assert.equal(bad.body.error.code, 'invalid_input')
    }
    a.close()
  })

  test('guests read public history with masked emails', async () => {
    const alice = await register(server.url)
    const roomId = await publicRoom(alice.token)
    const a = await connect(server.url, alice.token)
    await ack(a, 'message:send', { roomId, content: 'hello guests', clientMsgId: clientMsgId() })
    const res = await api(server.url, 'GET', `/api/rooms/${roomId}/messages`)
    assert.equal(res.status, 200)
    assert.equal(res.body.messages[0].email, `${alice.user.email[0]}***@example.com`)
    const signedIn = await api(server.url, 'GET', `/api/rooms/${roomId}/messages`, { token: alice.token })
    assert.equal(signedIn.body.messages[0].email, alice.user.email)
    a.close()
  })
})
