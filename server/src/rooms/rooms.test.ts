import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  ack,
  api,
  clientMsgId,
  connect,
  eventually,
  nextEvent,
  record,
  register,
  sleep,
  startServer,
  type TestServer,
  uniqueName,
} from '../../test/helpers'
import { LOBBY_ID } from '../contract/limits'
import type { MessageDto } from '../contract/messages'
import type { RoomPresenceDto } from '../contract/rooms'

let server: TestServer
before(async () => {
  server = await startServer()
})
after(() => server.stop())

const createRoom = (token: string, body: Record<string, unknown>) =>
  api(server.url, 'POST', '/api/rooms', { token, body })

describe('creating rooms', () => {
  test('names are trimmed, 1–64 characters, unique case-insensitively among public rooms', async () => {
    const { token } = await register(server.url)
    const name = uniqueName('Study')
    const created = await createRoom(token, { name: `  ${name}  `, description: 'for the course' })
    assert.equal(created.status, 201)
    assert.equal(created.body.room.name, name)
    assert.equal(created.body.room.isPrivate, false)
    assert.equal(created.body.room.participantCount, 1)
    assert.equal(created.body.room.lastSeq, 0)
    const dup = await createRoom(token, { name: name.toUpperCase() })
    assert.equal(dup.status, 409)
    assert.equal(dup.body.error.fields.name, 'is already taken')
    const privateSameName = await createRoom(token, { name, isPrivate: true })
    assert.equal(privateSameName.status, 201, 'private rooms do not reserve public names')
    for (const bad of ['', '   ', 'x'.repeat(65), 'a\u0000b']) {
      const res = await createRoom(token, { name: bad })
      assert.equal(res.status, 400, JSON.stringify(bad))
      assert.ok(res.body.error.fields.name)
    }
    const lobby = await createRoom(token, { name: 'LOBBY' })
    assert.equal(lobby.status, 409, 'the lobby name is taken')
  })

  test('unknown participants are refused with 400 naming them; nothing is created', async () => {
    const { token } = await register(server.url)
    const friend = await register(server.url)
    const name = uniqueName('p')
    const res = await createRoom(token, {
      name,
      isPrivate: true,
      participants: [friend.user.username, 'nobody_here_1', 'nobody_here_2'],
    })
    assert.equal(res.status, 400)
    assert.match(res.body.error.fields.participants, /nobody_here_1, nobody_here_2/)
    assert.equal(await server.prisma.room.count({ where: { name } }), 0)
  })

  test('public rooms take no participant list', async () => {
    const { token } = await register(server.url)
    const friend = await register(server.url)
    const res = await createRoom(token, { name: uniqueName('p'), participants: [friend.user.username] })
    assert.equal(res.status, 400)
    assert.ok(res.body.error.fields.participants)
  })

  test('a new public room appears live for everyone; a private one only for its participants', async () => {
    const alice = await register(server.url)
    const bob = await register(server.url)
    const carol = await register(server.url)
    const bobSocket = await connect(server.url, bob.token)
    const carolSocket = await connect(server.url, carol.token)
    const guest = await connect(server.url)
    const carolEvents = record(carolSocket)
    const guestEvents = record(guest)

    const publicName = uniqueName('open')
    const seenByGuest = nextEvent(guest, 'room:added', (r) => r.name === publicName)
    await createRoom(alice.token, { name: publicName })
    await seenByGuest

    const privateName = uniqueName('secret')
    const seenByBob = nextEvent(bobSocket, 'room:added', (r) => r.name === privateName)
    const res = await createRoom(alice.token, { name: privateName, isPrivate: true, participants: [bob.user.username] })
    const room = await seenByBob
    assert.equal(room.id, res.body.room.id)
    assert.equal(room.participantCount, 2)
    await sleep(200)
    assert.ok(!carolEvents.text().includes(privateName))
    assert.ok(!guestEvents.text().includes(privateName))
    for (const s of [bobSocket, carolSocket, guest]) s.close()
  })
})

describe('participants', () => {
  test('adding someone sends room:added to all their sockets; they can then read and post', async () => {
    const alice = await register(server.url)
    const bob = await register(server.url)
    const { body } = await createRoom(alice.token, { name: uniqueName('p'), isPrivate: true })
    const roomId = body.room.id
    const tabs = await Promise.all([connect(server.url, bob.token), connect(server.url, bob.token)])
    const added = tabs.map((t) => nextEvent(t, 'room:added', (r) => r.id === roomId))
    const creatorSocket = await connect(server.url, alice.token)
    const updated = nextEvent(creatorSocket, 'room:updated', (r) => r.id === roomId)
    const res = await api(server.url, 'POST', `/api/rooms/${roomId}/participants`, {
      token: alice.token,
      body: { username: bob.user.username.toUpperCase() },
    })
    assert.equal(res.status, 201)
    assert.deepEqual(
      res.body.participants.map((p: { username: string }) => p.username).sort(),
      [alice.user.username, bob.user.username].sort(),
    )
    await Promise.all(added)
    assert.equal((await updated).participantCount, 2, 'existing participants hear the new count')
    creatorSocket.close()
    const join = await ack(tabs[0], 'room:join', roomId)
    assert.equal(join.ok, true)
    const send = await ack(tabs[0], 'message:send', { roomId, content: 'thanks', clientMsgId: clientMsgId() })
    assert.equal(send.ok, true)
    // Adding again is a no-op; unknown users are named.
    const again = await api(server.url, 'POST', `/api/rooms/${roomId}/participants`, {
      token: alice.token,
      body: { username: bob.user.username },
    })
    assert.equal(again.status, 201)
    assert.equal(again.body.participants.length, 2)
    const unknown = await api(server.url, 'POST', `/api/rooms/${roomId}/participants`, {
      token: alice.token,
      body: { username: 'ghost_user_x' },
    })
    assert.equal(unknown.status, 400)
    assert.equal(unknown.body.error.fields.username, 'unknown user')
    for (const t of tabs) t.close()
  })

  test('removal is immediate: the removed participant’s other tab receives nothing sent after the removal ack', async () => {
    const alice = await register(server.url)
    const bob = await register(server.url)
    const { body } = await createRoom(alice.token, {
      name: uniqueName('p'),
      isPrivate: true,
      participants: [bob.user.username],
    })
    const roomId = body.room.id
    const aliceSocket = await connect(server.url, alice.token)
    await ack(aliceSocket, 'room:join', roomId)
    const [tab1, tab2] = await Promise.all([connect(server.url, bob.token), connect(server.url, bob.token)])
    const settled = nextEvent<RoomPresenceDto>(
      tab2,
      'room:presence',
      (p) => p.roomId === roomId && p.users.length === 2,
    )
    for (const t of [tab1, tab2]) assert.equal((await ack(t, 'room:join', roomId)).ok, true)
    await settled // presence from the joins was sent before the removal; wait for it before listening
    await sleep(300)
    const tab2Events = record(tab2)
    const removed = nextEvent(tab2, 'room:removed', (p) => p.roomId === roomId)
    const tab1Removed = nextEvent(tab1, 'room:removed', (p) => p.roomId === roomId)

    const res = await api(server.url, 'DELETE', `/api/rooms/${roomId}/participants/${bob.user.username}`, {
      token: alice.token,
    })
    assert.equal(res.status, 204)
    const canary = `after-removal-${clientMsgId()}`
    const sent = await ack(aliceSocket, 'message:send', { roomId, content: canary, clientMsgId: clientMsgId() })
    assert.equal(sent.ok, true)
    await ack(aliceSocket, 'typing:set', { roomId, typing: true })
    await Promise.all([removed, tab1Removed])
    await sleep(400)
    const after = tab2Events.events.filter((e) => e.event !== 'room:removed' && e.event !== 'presence:changed')
    assert.deepEqual(after, [], 'nothing from the room after removal')
    assert.ok(!tab2Events.text().includes(canary))
    // And they cannot get back in on their own.
    const rejoin = await ack(tab2, 'room:join', roomId)
    assert.equal(!rejoin.ok && rejoin.error.code, 'not_found')
    const post = await ack(tab2, 'message:send', { roomId, content: 'x', clientMsgId: clientMsgId() })
    assert.equal(!post.ok && post.error.code, 'not_found')
    for (const s of [aliceSocket, tab1, tab2]) s.close()
  })

  test('a participant can leave; the creator cannot', async () => {
    const alice = await register(server.url)
    const bob = await register(server.url)
    const { body } = await createRoom(alice.token, {
      name: uniqueName('p'),
      isPrivate: true,
      participants: [bob.user.username],
    })
    const roomId = body.room.id
    const bobSocket = await connect(server.url, bob.token)
    const aliceSocket = await connect(server.url, alice.token)
    const updated = nextEvent(aliceSocket, 'room:updated', (r) => r.id === roomId)
    const gone = nextEvent(bobSocket, 'room:removed', (p) => p.roomId === roomId)
    assert.equal(
      (await api(server.url, 'DELETE', `/api/rooms/${roomId}/participants/${bob.user.username}`, { token: bob.token }))
        .status,
      204,
    )
    await gone
    assert.equal((await updated).participantCount, 1, 'the others hear the new participant count')
    aliceSocket.close()
    const creator = await api(server.url, 'DELETE', `/api/rooms/${roomId}/participants/${alice.user.username}`, {
      token: alice.token,
    })
    assert.equal(creator.status, 403)
    assert.match(creator.body.error.message, /creator/)
    bobSocket.close()
  })

  test('deleting a room removes it for every participant and stores nothing more', async () => {
    const alice = await register(server.url)
    const bob = await register(server.url)
    const { body } = await createRoom(alice.token, {
      name: uniqueName('p'),
      isPrivate: true,
      participants: [bob.user.username],
    })
    const roomId = body.room.id
    const bobSocket = await connect(server.url, bob.token)
    await ack(bobSocket, 'room:join', roomId)
    await ack(bobSocket, 'message:send', { roomId, content: 'soon gone', clientMsgId: clientMsgId() })
    const gone = nextEvent(bobSocket, 'room:removed', (p) => p.roomId === roomId)
    assert.equal((await api(server.url, 'DELETE', `/api/rooms/${roomId}`, { token: alice.token })).status, 204)
    await gone
    assert.equal(await server.prisma.message.count({ where: { roomId } }), 0)
    const send = await ack(bobSocket, 'message:send', { roomId, content: 'x', clientMsgId: clientMsgId() })
    assert.equal(!send.ok && send.error.code, 'not_found')
    assert.equal((await api(server.url, 'GET', `/api/rooms/${roomId}`, { token: alice.token })).status, 404)
    bobSocket.close()
  })

  test('the lobby cannot be deleted', async () => {
    const { token } = await register(server.url)
    const res = await api(server.url, 'DELETE', `/api/rooms/${LOBBY_ID}`, { token })
    assert.equal(res.status, 403)
  })
})

describe('per-room presence', () => {
  test('lists who is viewing, only to those who may read the room', async () => {
    const alice = await register(server.url)
    const bob = await register(server.url)
    const carol = await register(server.url)
    const { body } = await createRoom(alice.token, {
      name: uniqueName('p'),
      isPrivate: true,
      participants: [bob.user.username],
    })
    const roomId = body.room.id
    const a = await connect(server.url, alice.token)
    const b = await connect(server.url, bob.token)
    const c = await connect(server.url, carol.token)
    const carolEvents = record(c)
    await ack(a, 'room:join', roomId)
    const both = nextEvent<RoomPresenceDto>(a, 'room:presence', (p) => p.roomId === roomId && p.users.length === 2)
    await ack(b, 'room:join', roomId)
    assert.deepEqual((await both).users, [alice.user.username, bob.user.username].sort())
    const one = nextEvent<RoomPresenceDto>(a, 'room:presence', (p) => p.roomId === roomId && p.users.length === 1)
    b.close()
    assert.deepEqual((await one).users, [alice.user.username])
    await sleep(200)
    assert.ok(!carolEvents.events.some((e) => e.event === 'room:presence'))
    a.close()
    c.close()
  })

  test('counts guests in public rooms', async () => {
    const alice = await register(server.url)
    const { body } = await createRoom(alice.token, { name: uniqueName('open') })
    const roomId = body.room.id
    const a = await connect(server.url, alice.token)
    await ack(a, 'room:join', roomId)
    const g = await connect(server.url)
    const seen = nextEvent<RoomPresenceDto>(a, 'room:presence', (p) => p.roomId === roomId && p.guests === 1)
    await ack(g, 'room:join', roomId)
    assert.deepEqual(await seen, { roomId, users: [alice.user.username], guests: 1 })
    a.close()
    g.close()
  })
})

describe('user search', () => {
  test('prefix search, at most 20, no emails, % and _ matched literally', async () => {
    const stem = `zq${clientMsgId().slice(0, 6)}`
    for (let i = 0; i < 22; i++) await register(server.url, `${stem}_${String(i).padStart(2, '0')}`)
    const other = await register(server.url, `${stem}x_other`)
    const res = await api(server.url, 'GET', `/api/users?query=${stem.toUpperCase()}`, { token: other.token })
    assert.equal(res.status, 200)
    assert.equal(res.body.users.length, 20)
    assert.ok(
      res.body.users.every((u: Record<string, unknown>) => !('email' in u) && String(u.username).startsWith(stem)),
    )
    const underscore = await api(server.url, 'GET', `/api/users?query=${stem}_`, { token: other.token })
    assert.ok(underscore.body.users.every((u: { username: string }) => u.username.startsWith(`${stem}_`)))
    assert.ok(!underscore.body.users.some((u: { username: string }) => u.username === other.user.username))
    const percent = await api(server.url, 'GET', `/api/users?query=${encodeURIComponent('%')}`, { token: other.token })
    assert.deepEqual(percent.body.users, [])
  })
})

describe('leak canary', () => {
  test('an outsider and a guest listening to everything never see a private room’s id, name or content', async () => {
    const alice = await register(server.url)
    const bob = await register(server.url)
    const outsider = await register(server.url)
    const outsiderSocket = await connect(server.url, outsider.token)
    const guestSocket = await connect(server.url)
    const outsiderEvents = record(outsiderSocket)
    const guestEvents = record(guestSocket)
    // They join every room they can see, to be in the way of any fan-out mistake.
    const visible = (await api(server.url, 'GET', '/api/rooms', { token: outsider.token })).body.rooms
    for (const r of visible) {
      await ack(outsiderSocket, 'room:join', r.id)
      await ack(guestSocket, 'room:join', r.id)
    }

    const name = `canary-room-${clientMsgId()}`
    const canary = `canary-text-${clientMsgId()}`
    const created = await createRoom(alice.token, { name, isPrivate: true, description: canary })
    const roomId = created.body.room.id
    const a = await connect(server.url, alice.token)
    const b = await connect(server.url, bob.token)
    await ack(a, 'room:join', roomId)
    await api(server.url, 'POST', `/api/rooms/${roomId}/participants`, {
      token: alice.token,
      body: { username: bob.user.username },
    })
    await ack(b, 'room:join', roomId)
    const received: MessageDto[] = []
    b.on('message:created', (m) => received.push(m))
    for (let i = 0; i < 5; i++)
      await ack(a, 'message:send', { roomId, topic: canary, content: `${canary} ${i}`, clientMsgId: clientMsgId() })
    await ack(b, 'typing:set', { roomId, typing: true })
    await api(server.url, 'DELETE', `/api/rooms/${roomId}/participants/${bob.user.username}`, { token: alice.token })
    await api(server.url, 'POST', `/api/rooms/${roomId}/participants`, {
      token: alice.token,
      body: { username: bob.user.username },
    })
    await ack(b, 'room:join', roomId)
    await ack(a, 'message:send', { roomId, content: `${canary} again`, clientMsgId: clientMsgId() })
    await eventually(() => received.length >= 5, 3000, 'bob got the messages')
    await api(server.url, 'DELETE', `/api/rooms/${roomId}`, { token: alice.token })
    await sleep(400)

    const listings = [
      await api(server.url, 'GET', '/api/rooms', { token: outsider.token }),
      await api(server.url, 'GET', '/api/rooms'),
      await api(server.url, 'GET', `/api/users?query=${name}`, { token: outsider.token }),
    ]
    for (const haystack of [outsiderEvents.text(), guestEvents.text(), JSON.stringify(listings.map((l) => l.body))]) {
      for (const needle of [roomId, name, canary]) assert.ok(!haystack.includes(needle), `leaked ${needle}`)
    }
    assert.ok(outsiderEvents.events.length > 0, 'the outsider socket was listening')
    for (const s of [a, b, outsiderSocket, guestSocket]) s.close()
  })
})

describe('typing', () => {
  test('typing:changed reaches the other participants of the room and is not echoed to the sender', async () => {
    const alice = await register(server.url)
    const bob = await register(server.url)
    const { body } = await createRoom(alice.token, {
      name: uniqueName('typing'),
      isPrivate: true,
      participants: [bob.user.username],
    })
    const roomId = body.room.id
    const a = await connect(server.url, alice.token)
    const b = await connect(server.url, bob.token)
    for (const s of [a, b]) assert.equal((await ack(s, 'room:join', roomId)).ok, true)
    const aliceHeard = record(a)

    const started = nextEvent(b, 'typing:changed', (p) => p.roomId === roomId && p.typing === true)
    assert.equal((await ack(a, 'typing:set', { roomId, typing: true })).ok, true)
    assert.deepEqual(await started, { roomId, username: alice.user.username, typing: true })
    const stopped = nextEvent(b, 'typing:changed', (p) => p.roomId === roomId && p.typing === false)
    assert.equal((await ack(a, 'typing:set', { roomId, typing: false })).ok, true)
    assert.deepEqual(await stopped, { roomId, username: alice.user.username, typing: false })

    // Bob's notice reaches Alice after any echo of her own two would have (one ordered channel per socket),
    // so once it is in, her log is complete.
    const fromBob = nextEvent(a, 'typing:changed', (p) => p.roomId === roomId)
    assert.equal((await ack(b, 'typing:set', { roomId, typing: true })).ok, true)
    assert.deepEqual(await fromBob, { roomId, username: bob.user.username, typing: true })
    assert.deepEqual(
      aliceHeard.events.filter((e) => e.event === 'typing:changed').map((e) => e.args[0]),
      [{ roomId, username: bob.user.username, typing: true }],
      'the sender is not sent her own notices',
    )
    for (const s of [a, b]) s.close()
  })
})
