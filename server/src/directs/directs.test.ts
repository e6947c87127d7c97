// Direct conversations (issue 19) on two instances joined by Redis: one conversation per set of people
// however it is opened, fixed members, hidden from everyone outside the set, closing and reopening.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  ack,
  clientMsgId,
  eventually,
  newPrefix,
  nextEvent,
  record,
  startServer,
  type TestServer,
} from '../../test/helpers'
import type { SessionDto } from '../contract/auth'
import type { DirectDto } from '../contract/directs'

let one: TestServer
let two: TestServer

before(async () => {
  const REDIS_PREFIX = newPrefix()
  ;[one, two] = await Promise.all([startServer({ REDIS_PREFIX }), startServer({ REDIS_PREFIX })])
})
after(async () => {
  await Promise.all([one.stop(), two.stop()])
})

const open = (server: TestServer, who: SessionDto, people: SessionDto[]) =>
  server.api<{ conversation: DirectDto; error?: any }>('POST', '/api/dms', {
    token: who.token,
    body: { usernames: people.map((p) => p.user.username) },
  })

const listed = async (server: TestServer, who: SessionDto) =>
  (await server.api<{ conversations: DirectDto[] }>('GET', '/api/dms', { token: who.token })).body.conversations.map(
    (c) => c.room.id,
  )

const post = (server: TestServer, who: SessionDto, roomId: string, content = 'hello') =>
  server.api('POST', `/api/rooms/${roomId}/messages`, {
    token: who.token,
    body: { content, clientMsgId: clientMsgId() },
  })

describe('one conversation per set of people', () => {
  test('20 concurrent opens of the same pair across two instances make one conversation', async () => {
    const [a, b] = await Promise.all([one.user(), one.user()])
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? open(i % 4 === 0 ? one : two, a, [b]) : open(i % 4 === 1 ? two : one, b, [a]),
      ),
    )
    assert.deepEqual(
      results.map((r) => r.status).filter((s) => s !== 200 && s !== 201),
      [],
      'every open answered 200 or 201',
    )
    assert.equal(results.filter((r) => r.status === 201).length, 1, 'exactly one created it')
    const ids = new Set(results.map((r) => r.body.conversation.room.id))
    assert.equal(ids.size, 1, 'everyone got the same conversation')
    const [roomId] = ids
    const rooms = await one.prisma.room.findMany({
      where: { kind: 'dm', participants: { some: { userId: a.user.id } } },
      include: { participants: true },
    })
    assert.deepEqual(
      rooms.map((r) => r.id),
      [roomId],
    )
    assert.deepEqual(rooms[0].participants.map((p) => p.userId).sort(), [a.user.id, b.user.id].sort())
    const { room, members } = results[0].body.conversation
    assert.equal(room.kind, 'dm')
    assert.equal(room.isPrivate, true)
    assert.equal(room.createdBy, null)
    assert.deepEqual(members.map((m) => m.username).sort(), [a.user.username, b.user.username].sort())
    assert.equal((members[0] as unknown as { email?: string }).email, undefined, 'no emails in members')
  })

  test('{a, b, c} is the same conversation in any order, from any of them; {a, b} is another', async () => {
    const [a, b, c] = await Promise.all([one.user(), one.user(), one.user()])
    const first = await open(one, a, [b, c])
    assert.equal(first.status, 201)
    const id = first.body.conversation.room.id
    for (const [server, who, others] of [
      [two, a, [c, b]],
      [one, b, [a, c]],
      [two, c, [b, a]],
      [one, c, [a, b, a, c]], // duplicates and yourself are ignored
    ] as const) {
      const res = await open(server, who, [...others])
      assert.equal(res.status, 200)
      assert.equal(res.body.conversation.room.id, id)
    }
    const pair = await open(two, a, [b])
    assert.equal(pair.status, 201)
    assert.notEqual(pair.body.conversation.room.id, id, 'a different set of people is a different conversation')
  })

  test('2–8 people including you; unknown people and yourself alone are refused', async () => {
    const me = await one.user()
    const seven = await Promise.all(Array.from({ length: 7 }, () => one.user()))
    const eight = [...seven, await one.user()]
    assert.equal((await open(one, me, seven)).status, 201, '8 people including you')
    const tooMany = await open(one, me, eight)
    assert.equal(tooMany.status, 400)
    assert.ok(tooMany.body.error.fields.usernames)
    const alone = await open(one, me, [me])
    assert.equal(alone.status, 400)
    assert.equal(alone.body.error.fields.usernames, 'name at least one other person')
    const unknown = await one.api('POST', '/api/dms', { token: me.token, body: { usernames: ['no_such_user_x1'] } })
    assert.equal(unknown.status, 400)
    assert.match(unknown.body.error.fields.usernames, /unknown users: no_such_user_x1/)
  })
})

describe('members are fixed', () => {
  test('adding, removing and leaving are refused with a clear error; the room cannot be deleted', async () => {
    const [a, b, c] = await Promise.all([one.user(), one.user(), one.user()])
    const id = (await open(one, a, [b])).body.conversation.room.id
    const add = await one.api('POST', `/api/rooms/${id}/participants`, {
      token: a.token,
      body: { username: c.user.username },
    })
    assert.equal(add.status, 403)
    assert.match(add.body.error.message, /fixed/)
    const remove = await two.api('DELETE', `/api/rooms/${id}/participants/${b.user.username}`, { token: a.token })
    assert.equal(remove.status, 403)
    assert.match(remove.body.error.message, /fixed/)
    const leave = await one.api('DELETE', `/api/rooms/${id}/participants/${b.user.username}`, { token: b.token })
    assert.equal(leave.status, 403)
    assert.equal((await one.api('DELETE', `/api/rooms/${id}`, { token: a.token })).status, 403)
    // An outsider trying the same learns nothing: the not-found of a random id.
    const probe = await one.api('POST', `/api/rooms/${id}/participants`, {
      token: c.token,
      body: { username: c.user.username },
    })
    assert.equal(probe.status, 404)
    const members = await one.prisma.roomParticipant.findMany({ where: { roomId: id } })
    assert.deepEqual(members.map((m) => m.userId).sort(), [a.user.id, b.user.id].sort())
  })
})

describe('visibility', () => {
  test('not in the room directory; an outsider and a guest see exactly what a random id shows, and hear nothing', async () => {
    const [a, b, outsider] = await Promise.all([one.user(), one.user(), one.user()])
    const id = (await open(one, a, [b])).body.conversation.room.id
    const random = '7a1c2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'
    const guestToken = (await one.api('POST', '/api/auth/guest')).body.token as string

    for (const who of [a, b]) {
      const rooms = (await one.api('GET', '/api/rooms', { token: who.token })).body.rooms as { id: string }[]
      assert.ok(!rooms.some((r) => r.id === id), 'members do not see it in the directory either')
    }
    assert.ok(!((await one.api('GET', '/api/rooms')).body.rooms as { id: string }[]).some((r) => r.id === id))

    // The outsider and the guest listen on both instances while the members talk.
    const outsiderSockets = [await one.socket(outsider), await two.socket(outsider)]
    const guestSockets = [await one.socket(null), await two.socket({ token: guestToken } as SessionDto)]
    const logs = [...outsiderSockets, ...guestSockets].map(record)
    for (const s of [...outsiderSockets, ...guestSockets]) {
      const [joined, missing] = [await ack(s, 'room:join', id), await ack(s, 'room:join', random)]
      assert.deepEqual(joined, missing)
      assert.deepEqual(
        await ack(s, 'typing:set', { roomId: id, typing: true }),
        await ack(s, 'typing:set', { roomId: random, typing: true }),
      )
      assert.deepEqual(
        await ack(s, 'message:send', { roomId: id, content: 'x', clientMsgId: clientMsgId() }),
        await ack(s, 'message:send', { roomId: random, content: 'x', clientMsgId: clientMsgId() }),
      )
    }

    const paths: [string, string, unknown?][] = [
      ['GET', ''],
      ['GET', '/participants'],
      ['GET', '/messages'],
      ['GET', '/changes?after=0'],
      ['POST', '/messages', { content: 'probe', clientMsgId: 'probe1' }],
      ['POST', '/participants', { username: outsider.user.username }],
      ['DELETE', ''],
      ['DELETE', `/participants/${a.user.username}`],
    ]
    for (const token of [outsider.token, guestToken, undefined]) {
      for (const [method, path, body] of paths) {
        const hidden = await two.api(method, `/api/rooms/${id}${path}`, { token, body })
        const absent = await two.api(method, `/api/rooms/${random}${path}`, { token, body })
        assert.equal(hidden.status, absent.status, `${method} ${path}`)
        assert.deepEqual(hidden.body, absent.body, `${method} ${path}`)
      }
      const close = await one.api('POST', `/api/dms/${id}/close`, { token })
      const closeRandom = await one.api('POST', `/api/dms/${random}/close`, { token })
      assert.equal(close.status, closeRandom.status)
      assert.deepEqual(close.body, closeRandom.body)
    }
    assert.deepEqual(await listed(one, outsider), [])

    // Members talk on both instances; a message in a public room after it is the outsider's canary.
    const aSocket = await one.socket(a)
    const bSocket = await two.socket(b)
    await ack(aSocket, 'room:join', id)
    await ack(bSocket, 'room:join', id)
    const heard = nextEvent(aSocket, 'message:created', (m) => m.content === 'secret from b')
    assert.equal(
      (await ack(bSocket, 'message:send', { roomId: id, content: 'secret from b', clientMsgId: clientMsgId() })).ok,
      true,
    )
    await heard
    await ack(aSocket, 'typing:set', { roomId: id, typing: true })
    const lobbyCanary = await one.room()
    for (const s of [...outsiderSockets, ...guestSockets]) await ack(s, 'room:join', lobbyCanary.id)
    const canaries = [...outsiderSockets, ...guestSockets].map((s) =>
      nextEvent(s, 'message:created', (m) => m.content === 'canary'),
    )
    await post(one, lobbyCanary.owner, lobbyCanary.id, 'canary')
    await Promise.all(canaries)
    for (const log of logs) {
      assert.ok(!log.text().includes(id), `an outsider or guest heard of the conversation: ${log.text()}`)
      assert.ok(!log.text().includes('secret from b'))
    }
    for (const s of [...outsiderSockets, ...guestSockets, aSocket, bSocket]) s.close()
  })
})

describe('closing and reopening', () => {
  test('the others see it only once a message arrives, live on another instance; closing hides it until the next message', async () => {
    const [a, b] = await Promise.all([one.user(), one.user()])
    const bSocket = await two.socket(b)
    const aOther = await two.socket(a) // a's other tab
    const id = (await open(one, a, [b])).body.conversation.room.id
    assert.deepEqual(await listed(one, a), [id], 'the opener sees it at once')
    assert.deepEqual(await listed(two, b), [], 'the other does not, until a message arrives')

    const appears = nextEvent<DirectDto>(bSocket, 'direct:opened', (c) => c.room.id === id)
    assert.equal((await post(one, a, id, 'hi b')).status, 201)
    const live = await appears
    assert.deepEqual(live.members.map((m) => m.username).sort(), [a.user.username, b.user.username].sort())
    assert.deepEqual(await listed(two, b), [id])

    const closedElsewhere = nextEvent(aOther, 'direct:closed', (p) => p.roomId === id)
    assert.equal((await one.api('POST', `/api/dms/${id}/close`, { token: a.token })).status, 204)
    await closedElsewhere
    assert.deepEqual(await listed(one, a), [], 'closed for a')
    assert.deepEqual(await listed(two, b), [id], 'still open for b')
    // Closed is not gone: a still reads it (and may post), like any member.
    assert.equal((await one.api('GET', `/api/rooms/${id}/messages`, { token: a.token })).status, 200)

    const back = nextEvent<DirectDto>(aOther, 'direct:opened', (c) => c.room.id === id)
    assert.equal((await post(two, b, id, 'are you there?')).status, 201)
    await back
    assert.deepEqual(await listed(one, a), [id], 'a new message brings it back')

    assert.equal((await one.api('POST', `/api/dms/${id}/close`, { token: a.token })).status, 204)
    assert.equal((await open(two, a, [b])).status, 200, 'opening it again reopens the same one')
    await eventually(async () => (await listed(one, a)).includes(id), 5000, 'reopened')
    bSocket.close()
    aOther.close()
  })
})
