// Unread counts, read pointers, mentions and receipts (issue 18), on two in-process instances joined by
// the Redis adapter, with real PostgreSQL and Socket.IO clients: two devices of one person on two
// instances, counts after a reconnect, own and deleted messages, mentions in code and of outsiders,
// @room, edits that add a mention, guests, public rooms followed only by those who opened them.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  ack,
  type ClientSocket,
  clientMsgId,
  eventually,
  newPrefix,
  record,
  sleep,
  startServer,
  type TestServer,
} from '../../test/helpers'
import type { SessionDto } from '../contract/auth'
import type { RoomActivityDto, UnreadDto } from '../contract/unread'

let a: TestServer
let b: TestServer
const sockets: ClientSocket[] = []

before(async () => {
  const shared = { REDIS_PREFIX: newPrefix() }
  a = await startServer(shared)
  b = await startServer(shared)
})
after(async () => {
  for (const s of sockets) s.close()
  await a.stop()
  await b.stop()
})

async function device(server: TestServer, who: SessionDto | null) {
  const s = await server.socket(who)
  sockets.push(s)
  return { socket: s, log: record(s) }
}
const activities = (log: ReturnType<typeof record>, roomId: string) =>
  log.events
    .filter((e) => e.event === 'room:activity' && (e.args[0] as RoomActivityDto).roomId === roomId)
    .map((e) => e.args[0] as RoomActivityDto)
const changes = (log: ReturnType<typeof record>, roomId: string) =>
  log.events
    .filter((e) => e.event === 'read:changed' && (e.args[0] as UnreadDto).roomId === roomId)
    .map((e) => e.args[0] as UnreadDto)

async function post(server: TestServer, who: SessionDto, roomId: string, content: string) {
  const res = await server.api('POST', `/api/rooms/${roomId}/messages`, {
    token: who.token,
    body: { content, clientMsgId: clientMsgId() },
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.message as { id: string; seq: number }
}
async function badge(server: TestServer, who: SessionDto, roomId: string): Promise<UnreadDto | undefined> {
  const res = await server.api('GET', '/api/unread', { token: who.token })
  assert.equal(res.status, 200)
  return (res.body.rooms as UnreadDto[]).find((r) => r.roomId === roomId)
}

describe('unread counts', () => {
  test('two devices of one person on two instances: the signal reaches both, reading on one clears the other', async () => {
    const [alice, bob] = await Promise.all([a.user(), a.user()])
    const room = await a.room({ by: bob, private: true, with: [alice] })
    const one = await device(a, alice)
    const two = await device(b, alice)
    await post(b, bob, room.id, 'hello alice')
    const second = await post(a, bob, room.id, 'are you there')
    for (const d of [one, two]) {
      await eventually(() => activities(d.log, room.id).length === 2, 5000, 'activity on both devices')
      const [first] = activities(d.log, room.id)
      assert.equal(first.kind, 'created')
      assert.equal(first.author, bob.user.username)
      assert.equal(first.counts, true)
      assert.equal(first.mentioned, false)
    }
    assert.equal((await badge(b, alice, room.id))?.unread, 2)
    const marked = await ack(one.socket, 'read:mark', { roomId: room.id, seq: second.seq })
    assert.equal(marked.ok, true)
    assert.equal(marked.unread.unread, 0)
    await eventually(() => changes(two.log, room.id).some((c) => c.unread === 0 && c.lastReadSeq === second.seq))
    assert.equal((await badge(a, alice, room.id))?.unread, 0)
    // The author's sockets get no activity for their own messages.
    const bobs = await device(a, bob)
    await post(a, bob, room.id, 'one more')
    await eventually(() => activities(one.log, room.id).length === 3)
    assert.equal(activities(bobs.log, room.id).length, 0)
  })

  test('counts never include your own or deleted messages, and are the same after a reconnect', async () => {
    const [alice, bob] = await Promise.all([a.user(), a.user()])
    const room = await a.room({ by: alice, private: true, with: [bob] })
    await post(a, alice, room.id, 'mine 1')
    const theirs = await post(a, bob, room.id, 'theirs 1')
    await post(a, bob, room.id, 'theirs 2')
    await post(a, alice, room.id, 'mine 2') // moves alice past everything
    assert.equal((await badge(a, alice, room.id))?.unread, 0)
    await post(a, bob, room.id, 'theirs 3')
    const gone = await post(a, bob, room.id, 'theirs 4')
    const watching = await device(b, alice)
    assert.equal((await badge(b, alice, room.id))?.unread, 2)
    const del = await b.api('DELETE', `/api/rooms/${room.id}/messages/${gone.id}`, { token: bob.token })
    assert.equal(del.status, 200)
    await eventually(() => activities(watching.log, room.id).some((x) => x.kind === 'deleted' && x.seq === gone.seq))
    watching.socket.close()
    const again = await device(a, alice)
    void again
    assert.equal((await badge(a, alice, room.id))?.unread, 1, 'after a reconnect, on the other instance')
    // Bob never sees his own messages as unread; his pointer moved past each send.
    const bobs = await badge(a, bob, room.id)
    assert.equal(bobs?.unread, 0)
    assert.ok((bobs?.lastReadSeq ?? 0) >= theirs.seq)
  })

  test('a socket viewing the room gets the message, not its activity too; the same person elsewhere gets the activity', async () => {
    const [alice, bob] = await Promise.all([a.user(), a.user()])
    const room = await a.room({ by: bob, private: true, with: [alice] })
    const viewing = await device(a, alice)
    const elsewhere = await device(b, alice)
    assert.equal((await ack(viewing.socket, 'room:join', room.id)).ok, true)
    await post(b, bob, room.id, 'seen live')
    await eventually(() => activities(elsewhere.log, room.id).length === 1)
    await eventually(() => viewing.log.events.some((e) => e.event === 'message:created'))
    await post(b, bob, room.id, 'and again')
    await eventually(() => activities(elsewhere.log, room.id).length === 2)
    await eventually(() => viewing.log.events.filter((e) => e.event === 'message:created').length === 2)
    assert.equal(activities(viewing.log, room.id).length, 0)
  })

  test('opening a room you take part in does not read it: only shown messages do', async () => {
    const [alice, bob] = await Promise.all([a.user(), a.user()])
    const room = await a.room({ by: bob, private: true, with: [alice] })
    await post(a, bob, room.id, 'one')
    await post(a, bob, room.id, 'two')
    const s = (await device(b, alice)).socket
    assert.equal((await ack(s, 'room:join', room.id)).ok, true)
    assert.equal((await badge(a, alice, room.id))?.unread, 2)
    assert.equal((await badge(a, alice, room.id))?.lastReadSeq, 0)
  })

  test('only forward, never past the newest message; mark unread from here goes back', async () => {
    const [alice, bob] = await Promise.all([a.user(), a.user()])
    const room = await a.room({ by: bob, private: true, with: [alice] })
    const m1 = await post(a, bob, room.id, 'one')
    await post(a, bob, room.id, 'two')
    const m3 = await post(a, bob, room.id, 'three')
    const s = (await device(a, alice)).socket
    assert.equal((await ack(s, 'read:mark', { roomId: room.id, seq: 10_000 })).unread.lastReadSeq, m3.seq)
    const back = await ack(s, 'read:mark', { roomId: room.id, seq: m1.seq })
    assert.equal(back.unread.lastReadSeq, m3.seq, 'a lower seq does not move it back')
    const unread = await ack(s, 'read:mark', { roomId: room.id, seq: m1.seq, unread: true })
    assert.equal(unread.unread.lastReadSeq, m1.seq)
    assert.equal(unread.unread.unread, 2)
    const all = await a.api('POST', `/api/rooms/${room.id}/read`, { token: alice.token, body: {} })
    assert.equal(all.status, 200)
    assert.equal(all.body.unread.unread, 0, 'mark all as read')
  })

  test('a public room is followed by those who opened it, and by nobody else', async () => {
    const [alice, bob, carol] = await Promise.all([a.user(), a.user(), a.user()])
    const room = await a.room({ by: bob })
    const aliceDevice = await device(a, alice)
    const carolDevice = await device(b, carol)
    const guest = await device(b, null)
    assert.equal((await ack(aliceDevice.socket, 'room:join', room.id)).ok, true)
    assert.equal((await ack(guest.socket, 'room:join', room.id)).ok, true)
    await ack(aliceDevice.socket, 'room:leave', room.id)
    await post(a, bob, room.id, 'news')
    await eventually(() => activities(aliceDevice.log, room.id).length === 1, 5000, 'the follower hears of it')
    assert.equal((await badge(a, alice, room.id))?.unread, 1)
    await sleep(200) // the broadcast to Alice went out; Carol and the guest must have nothing
    assert.equal(activities(carolDevice.log, room.id).length, 0)
    assert.equal(await badge(a, carol, room.id), undefined)
    assert.ok(!guest.log.text().includes('room:activity') && !guest.log.text().includes('read:changed'))
  })

  test('someone added later starts at the newest message; someone removed hears nothing more', async () => {
    const [alice, bob, dan] = await Promise.all([a.user(), a.user(), a.user()])
    const room = await a.room({ by: alice, private: true, with: [bob] })
    await post(a, alice, room.id, 'before dan')
    const added = await a.api('POST', `/api/rooms/${room.id}/participants`, {
      token: alice.token,
      body: { username: dan.user.username },
    })
    assert.equal(added.status, 201)
    assert.equal((await badge(a, dan, room.id))?.unread, 0)
    const bobDevice = await device(b, bob)
    // Bob holds a pointer (he read the room) before he is removed: it must not keep him following it.
    assert.equal((await ack(bobDevice.socket, 'read:mark', { roomId: room.id })).ok, true)
    const removed = await a.api('DELETE', `/api/rooms/${room.id}/participants/${bob.user.username}`, {
      token: alice.token,
    })
    assert.equal(removed.status, 204)
    const danDevice = await device(b, dan)
    await post(a, alice, room.id, 'after bob')
    await eventually(() => activities(danDevice.log, room.id).length === 1)
    await sleep(200)
    assert.equal(activities(bobDevice.log, room.id).length, 0, 'nothing reaches a removed participant')
    assert.equal(await badge(a, bob, room.id), undefined)
  })
})

describe('mentions', () => {
  test('word boundaries, code ignored, outsiders of a private room mentioned by nobody', async () => {
    const [alice, bob, eve] = await Promise.all([a.user(), a.user(), a.user()])
    const room = await a.room({ by: bob, private: true, with: [alice] })
    const aliceDevice = await device(a, alice)
    const eveDevice = await device(b, eve)
    const name = alice.user.username
    await post(a, bob, room.id, `@${name}x is not you, \`@${name}\` neither, nor mail${'@'}${name}`)
    await post(a, bob, room.id, `\`\`\`\ncode @${name}\n\`\`\``)
    await post(a, bob, room.id, `hey @${eve.user.username}, can you see this?`)
    await eventually(() => activities(aliceDevice.log, room.id).length === 3)
    assert.deepEqual(
      activities(aliceDevice.log, room.id).map((x) => x.mentioned),
      [false, false, false],
    )
    assert.equal((await badge(a, alice, room.id))?.mentions, 0)
    await sleep(200)
    assert.equal(eveDevice.log.events.length > 0 && eveDevice.log.text().includes(room.id), false, 'eve learns nothing')
    assert.equal(await badge(a, eve, room.id), undefined)
    await post(a, bob, room.id, `thanks @${name}!`)
    await eventually(() => activities(aliceDevice.log, room.id).some((x) => x.mentioned))
    assert.equal((await badge(b, alice, room.id))?.mentions, 1, 'stored: survives a reload, on every instance')
  })

  test('@room only from the creator', async () => {
    const [alice, bob, carol] = await Promise.all([a.user(), a.user(), a.user()])
    const room = await a.room({ by: alice, private: true, with: [bob, carol] })
    await post(a, bob, room.id, '@room from bob')
    await eventually(async () => (await badge(a, carol, room.id))?.unread === 1)
    assert.equal((await badge(a, carol, room.id))?.mentions, 0)
    await post(a, alice, room.id, '@room from the creator')
    await eventually(async () => (await badge(a, carol, room.id))?.mentions === 1)
    assert.equal((await badge(a, bob, room.id))?.mentions, 1)
    assert.equal((await badge(a, alice, room.id))?.mentions, 0, 'not yourself')
  })

  test('an edit that adds a mention notifies once; saving it again does not', async () => {
    const [alice, bob] = await Promise.all([a.user(), a.user()])
    const room = await a.room({ by: bob, private: true, with: [alice] })
    const aliceDevice = await device(b, alice)
    const bobSocket = (await device(a, bob)).socket
    const sent = await ack(bobSocket, 'message:send', { roomId: room.id, content: 'hi', clientMsgId: clientMsgId() })
    const messageId = sent.message.id
    const edit = (content: string) => ack(bobSocket, 'message:edit', { roomId: room.id, messageId, content })
    assert.equal((await edit(`hi @${alice.user.username}`)).ok, true)
    await eventually(() => activities(aliceDevice.log, room.id).some((x) => x.kind === 'mentioned'))
    assert.equal((await edit(`hi @${alice.user.username}!`)).ok, true)
    assert.equal((await edit(`hi @${alice.user.username}!`)).ok, true)
    await sleep(300)
    assert.equal(activities(aliceDevice.log, room.id).filter((x) => x.kind === 'mentioned').length, 1)
    assert.equal((await badge(a, alice, room.id))?.mentions, 1)
    assert.equal((await edit('hi all')).ok, true)
    await eventually(() => activities(aliceDevice.log, room.id).some((x) => x.kind === 'unmentioned'))
    assert.equal((await badge(a, alice, room.id))?.mentions, 0)
  })
})

describe('guests and receipts', () => {
  test('guests have no pointers, badges or activity', async () => {
    const guest = (await a.api('POST', '/api/auth/guest')).body.token as string
    assert.equal((await a.api('GET', '/api/unread', { token: guest })).status, 401)
    const s = await a.socket({ token: guest } as SessionDto)
    sockets.push(s)
    const res = await ack(s, 'read:mark', { roomId: '5f0c6a36-2f0e-4a55-9d59-1d3b1a1b0c7e' })
    assert.equal(res.ok, false)
    assert.equal(res.error.code, 'unauthenticated')
  })

  test('"Seen by" comes from the pointers of participants who share it', async () => {
    const [alice, bob, carol] = await Promise.all([a.user(), a.user(), a.user()])
    const room = await a.room({ by: alice, private: true, with: [bob, carol] })
    const m = await post(a, alice, room.id, 'read me')
    const aliceSocket = (await device(a, alice)).socket
    assert.equal((await ack(aliceSocket, 'room:join', room.id)).ok, true)
    const seen = new Promise<any>((resolve) => aliceSocket.once('receipt:changed', resolve))
    await b.api('POST', `/api/rooms/${room.id}/read`, { token: bob.token, body: { seq: m.seq } })
    assert.deepEqual(await seen, { roomId: room.id, username: bob.user.username, lastReadSeq: m.seq })
    const off = await a.api('PATCH', '/api/read-settings', { token: carol.token, body: { readReceipts: false } })
    assert.equal(off.status, 200)
    await a.api('POST', `/api/rooms/${room.id}/read`, { token: carol.token, body: { seq: m.seq } })
    const receipts = await a.api('GET', `/api/rooms/${room.id}/receipts`, { token: alice.token })
    assert.equal(receipts.status, 200)
    assert.equal(receipts.body.enabled, true)
    assert.deepEqual(
      receipts.body.receipts.map((r: { username: string }) => r.username),
      [bob.user.username],
    )
    const pub = await a.room({ by: alice })
    assert.equal((await a.api('GET', `/api/rooms/${pub.id}/receipts`, { token: alice.token })).body.enabled, false)
  })
})
