// Messages v2 (issue 14): edit and delete, the change stream, system notices. Two instances joined
// through Redis, real PostgreSQL, real socket.io clients.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import pg from 'pg'
import {
  ack,
  api,
  type ClientSocket,
  clientMsgId,
  connect,
  eventually,
  newPrefix,
  record,
  sleep,
  startServer,
  type TestServer,
  testEnv,
  uniqueName,
} from '../../test/helpers'
import type { SessionDto } from '../contract/auth'
import type { ChangesDto, MessageDto } from '../contract/messages'

let a: TestServer
let b: TestServer
let db: pg.Client
before(async () => {
  const prefix = newPrefix()
  ;[a, b] = await Promise.all([startServer({ REDIS_PREFIX: prefix }), startServer({ REDIS_PREFIX: prefix })])
  db = new pg.Client({ connectionString: testEnv.databaseUrl })
  await db.connect()
})
after(async () => {
  await db.end()
  await Promise.all([a.stop(), b.stop()])
})

const room = async (owner: SessionDto, opts: { private?: boolean; with?: SessionDto[] } = {}) =>
  (await a.room({ by: owner, ...opts })).id

async function post(base: string, who: SessionDto, roomId: string, content: string): Promise<MessageDto> {
  const res = await api(base, 'POST', `/api/rooms/${roomId}/messages`, {
    token: who.token,
    body: { content, topic: 'plans', clientMsgId: clientMsgId() },
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.message
}

async function joinedSocket(base: string, who: SessionDto | null, roomId: string) {
  const socket = await connect(base, who?.token)
  const events = record(socket)
  const res = await ack(socket, 'room:join', roomId)
  assert.equal(res.ok, true, JSON.stringify(res))
  return { socket, events }
}

const edit = (base: string, who: SessionDto, m: { roomId: string; id: string }, body: object) =>
  api(base, 'PATCH', `/api/rooms/${m.roomId}/messages/${m.id}`, { token: who.token, body })
const del = (base: string, who: SessionDto, m: { roomId: string; id: string }) =>
  api(base, 'DELETE', `/api/rooms/${m.roomId}/messages/${m.id}`, { token: who.token })
const changes = async (who: SessionDto | null, roomId: string, after: number): Promise<ChangesDto> => {
  const res = await api(b.url, 'GET', `/api/rooms/${roomId}/changes?after=${after}&limit=100`, { token: who?.token })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body
}

describe('edit and delete', () => {
  test('an edit and a delete on instance A reach a socket on instance B, in rev order, ids only for the delete', async () => {
    const [maya, jonas] = await Promise.all([a.user(), a.user()])
    const roomId = await room(maya)
    const watcher = await joinedSocket(b.url, jonas, roomId)
    const guest = await joinedSocket(b.url, null, roomId)
    const m = await post(a.url, maya, roomId, 'the deadline is friday')
    const edited = await edit(a.url, maya, m, { content: 'the deadline is monday' })
    assert.equal(edited.status, 200)
    assert.equal(edited.body.message.content, 'the deadline is monday')
    assert.ok(edited.body.message.editedAt)
    assert.equal(edited.body.message.rev, m.rev + 1)
    const deleted = await del(a.url, maya, m)
    assert.equal(deleted.status, 200)
    assert.equal(deleted.body.message.content, '')
    assert.ok(deleted.body.message.deletedAt)

    for (const who of [watcher, guest]) {
      await eventually(() => who.events.events.some((e) => e.event === 'message:deleted'), 5000, 'the delete arrives')
      const mine = who.events.events.filter((e) => e.event.startsWith('message:'))
      assert.deepEqual(
        mine.map((e) => e.event),
        ['message:created', 'message:updated', 'message:deleted'],
      )
      const revs = mine.map((e) => (e.args[0] as { rev: number }).rev)
      assert.deepEqual(revs, [m.rev, m.rev + 1, m.rev + 2])
      assert.deepEqual(mine[2].args[0], { roomId, id: m.id, seq: m.seq, rev: m.rev + 2 }, 'ids only')
    }
    const guestUpdate = guest.events.events.find((e) => e.event === 'message:updated')?.args[0] as MessageDto
    assert.notEqual(guestUpdate.email, maya.user.email, 'guests get the masked email on edits too')
    // Every event after the deletion, and the row itself, hold none of the text.
    const after = watcher.events.text().slice(watcher.events.text().indexOf('message:deleted'))
    assert.doesNotMatch(after, /deadline/)
    const { rows } = await db.query('SELECT content, topic FROM "Message" WHERE id = $1', [m.id])
    assert.deepEqual(rows[0], { content: '', topic: '' })
    const history = await api(b.url, 'GET', `/api/rooms/${roomId}/messages`)
    assert.equal(history.body.messages[0].deletedAt !== null, true)
    assert.doesNotMatch(JSON.stringify(history.body), /deadline/)
    for (const s of [watcher.socket, guest.socket]) s.close()
  })

  test('only the author edits; the author or the room creator deletes; guests neither (REST and sockets)', async () => {
    const [owner, author, other] = await Promise.all([a.user(), a.user(), a.user()])
    const roomId = await room(owner)
    const m = await post(a.url, author, roomId, 'mine')
    assert.equal((await edit(a.url, other, m, { content: 'hijack' })).status, 403)
    assert.equal((await edit(a.url, owner, m, { content: 'creator edit' })).status, 403, 'creators delete, not edit')
    assert.equal((await del(a.url, other, m)).status, 403)
    const guestEdit = await api(a.url, 'PATCH', `/api/rooms/${roomId}/messages/${m.id}`, { body: { content: 'x' } })
    assert.equal(guestEdit.status, 401)
    const guestSocket = await connect(a.url)
    const guestAck = await ack(guestSocket, 'message:edit', { roomId, messageId: m.id, content: 'x' })
    assert.equal(guestAck.ok, false)
    assert.equal(!guestAck.ok && guestAck.error.code, 'unauthenticated')
    guestSocket.close()

    const otherSocket = await connect(a.url, other.token)
    const refused = await ack(otherSocket, 'message:delete', { roomId, messageId: m.id })
    assert.equal(!refused.ok && refused.error.code, 'forbidden')
    otherSocket.close()
    const authorSocket = await connect(a.url, author.token)
    const ok = await ack(authorSocket, 'message:edit', { roomId, messageId: m.id, topic: 'new topic' })
    assert.equal(ok.ok, true)
    assert.equal(ok.ok && (ok as unknown as { message: MessageDto }).message.topic, 'new topic')
    const bad = await ack(authorSocket, 'message:edit', { roomId, messageId: m.id })
    assert.equal(!bad.ok && bad.error.code, 'invalid_input', 'content or topic is required')
    authorSocket.close()
    // The creator deletes someone else's message; then it cannot be edited; deleting again is harmless.
    assert.equal((await del(a.url, owner, m)).status, 200)
    assert.equal((await edit(a.url, author, m, { content: 'back' })).status, 404)
    const again = await del(a.url, author, m)
    assert.equal(again.status, 200)
    const { rows } = await db.query('SELECT rev FROM "Room" WHERE id = $1', [roomId])
    assert.equal(rows[0].rev, m.rev + 2, 'the second delete changed nothing')
    assert.equal(
      (await edit(a.url, author, { roomId, id: '00000000-0000-4000-8000-00000000abcd' }, { content: 'x' })).status,
      404,
    )
  })

  test('the edit window: an edit after MESSAGE_EDIT_WINDOW_SECONDS is refused, a delete is not', async () => {
    const short = await startServer({ MESSAGE_EDIT_WINDOW_SECONDS: '1', REDIS_URL: '' })
    try {
      const maya = await short.user()
      const roomId = (
        await api(short.url, 'POST', '/api/rooms', { token: maya.token, body: { name: uniqueName('w') } })
      ).body.room.id
      const m = await post(short.url, maya, roomId, 'quick')
      assert.equal((await edit(short.url, maya, m, { content: 'quick fix' })).status, 200)
      await sleep(1200)
      const late = await edit(short.url, maya, m, { content: 'too late' })
      assert.equal(late.status, 403)
      assert.match(late.body.error.message, /edited for 1 seconds/)
      assert.equal((await del(short.url, maya, m)).status, 200)
    } finally {
      await short.stop()
    }
  })

  test('a concurrent edit and delete of one message end deleted, whatever the order', async () => {
    const maya = await a.user()
    const roomId = await room(maya)
    for (let i = 0; i < 5; i++) {
      const m = await post(a.url, maya, roomId, `race ${i}`)
      const [e, d] = await Promise.all([
        edit(i % 2 ? a.url : b.url, maya, m, { content: `edited ${i}` }),
        del(i % 2 ? b.url : a.url, maya, m),
      ])
      assert.equal(d.status, 200)
      assert.ok([200, 404].includes(e.status), `edit answered ${e.status}`)
      const { rows } = await db.query('SELECT content, "deletedAt" FROM "Message" WHERE id = $1', [m.id])
      assert.equal(rows[0].content, '')
      assert.ok(rows[0].deletedAt)
    }
  })
})

describe('the change stream', () => {
  test('a client offline during 3 edits, 2 deletes and 5 new messages catches up exactly', async () => {
    const [maya, jonas] = await Promise.all([a.user(), a.user()])
    const roomId = await room(maya, { private: true, with: [jonas] })
    const first = await Promise.all([1, 2, 3, 4].map((i) => post(a.url, maya, roomId, `before ${i}`)))
    // jonas holds everything up to here, then goes away.
    const held = await changes(jonas, roomId, 0)
    assert.equal(held.hasMore, false)
    const lastRev = Math.max(held.rev, ...held.changes.map((c) => c.rev))
    const state = new Map(held.changes.map((c) => [c.id, c]))

    await edit(a.url, maya, first[0], { content: 'before 1, edited' })
    await edit(b.url, maya, first[1], { content: 'before 2, edited' })
    await edit(a.url, maya, first[0], { topic: 'later' })
    await del(b.url, maya, first[2])
    const fresh = []
    for (let i = 1; i <= 5; i++) fresh.push(await post(i % 2 ? a.url : b.url, maya, roomId, `while away ${i}`))
    await del(a.url, maya, fresh[4])

    // Page by page (limit 2 to cross pages), in rev order.
    let after = lastRev
    const seen: number[] = []
    for (;;) {
      const res = await api(b.url, 'GET', `/api/rooms/${roomId}/changes?after=${after}&limit=2`, { token: jonas.token })
      const page = res.body as ChangesDto
      for (const c of page.changes) {
        state.set(c.id, c)
        seen.push(c.rev)
      }
      after = page.changes.at(-1)?.rev ?? after
      if (!page.hasMore) {
        after = Math.max(after, page.rev)
        break
      }
    }
    assert.deepEqual(
      seen,
      [...seen].sort((x, y) => x - y),
      'in rev order',
    )
    assert.equal(new Set(seen).size, seen.length, 'each change once')
    // What jonas now holds equals the database, message by message.
    const truth = await api(b.url, 'GET', `/api/rooms/${roomId}/messages?limit=100`, { token: jonas.token })
    const expected = new Map((truth.body.messages as MessageDto[]).map((m) => [m.id, m]))
    assert.deepEqual(new Map([...state].sort()), new Map([...expected].sort()))
    assert.equal(state.get(first[0].id)?.topic, 'later')
    assert.equal(state.get(first[2].id)?.content, '')
    assert.equal(state.size, 9)
    const { rows } = await db.query('SELECT rev FROM "Room" WHERE id = $1', [roomId])
    assert.equal(after, rows[0].rev, 'the client ends at the room rev')
  })
})

describe('private rooms: edit and delete events and system notices', () => {
  test('removed participants, outsiders and guests receive no edit or delete of a private room; notices reach the room', async () => {
    const [maya, jonas, lea, eve] = await Promise.all([1, 2, 3, 4].map(() => a.user()))
    const roomId = await room(maya, { private: true, with: [jonas, lea] })
    const member = await joinedSocket(b.url, lea, roomId)
    const removed = await joinedSocket(a.url, jonas, roomId)
    const outsider = await connect(b.url, eve.token)
    const outsiderEvents = record(outsider)
    const guest = await connect(a.url)
    const guestEvents = record(guest)
    assert.equal(((await ack(outsider, 'room:join', roomId)) as { ok: boolean }).ok, false)

    const removal = await api(a.url, 'DELETE', `/api/rooms/${roomId}/participants/${jonas.user.username}`, {
      token: maya.token,
    })
    assert.equal(removal.status, 204, JSON.stringify(removal.body))
    await eventually(() => removed.events.events.some((e) => e.event === 'room:removed'), 5000, 'jonas is out')
    const m = await post(a.url, maya, roomId, 'secret plan')
    await edit(b.url, maya, m, { content: 'secret plan v2' })
    await del(a.url, maya, m)
    await eventually(() => member.events.events.some((e) => e.event === 'message:deleted'), 5000, 'lea sees the delete')

    const notice = member.events.events.find(
      (e) => e.event === 'message:created' && (e.args[0] as MessageDto).kind === 'system',
    )?.args[0] as MessageDto
    assert.deepEqual(notice.notice, {
      type: 'participant_removed',
      actor: maya.user.username,
      target: jonas.user.username,
    })
    assert.equal(notice.author, null)
    assert.equal(notice.email, '')

    await sleep(300)
    const afterRemoval = removed.events.text().slice(removed.events.text().indexOf('room:removed'))
    for (const [who, text] of [
      ['removed participant', afterRemoval],
      ['outsider', outsiderEvents.text()],
      ['guest', guestEvents.text()],
    ]) {
      assert.doesNotMatch(text, /message:(created|updated|deleted)|secret|participant_removed/, `${who} saw nothing`)
    }
    // Nor can they read the change stream: same answer as a room that does not exist.
    const asOutsider = await api(a.url, 'GET', `/api/rooms/${roomId}/changes?after=0`, { token: eve.token })
    const missing = await api(a.url, 'GET', `/api/rooms/00000000-0000-4000-8000-00000000dead/changes?after=0`, {
      token: eve.token,
    })
    assert.equal(asOutsider.status, 404)
    assert.deepEqual(asOutsider.body, missing.body)
    assert.equal((await api(a.url, 'GET', `/api/rooms/${roomId}/changes?after=0`, { token: jonas.token })).status, 404)
    assert.equal((await api(a.url, 'GET', `/api/rooms/${roomId}/changes?after=0`)).status, 404)

    // Leaving writes a notice too; the one who left does not get it live.
    const leave = await api(a.url, 'DELETE', `/api/rooms/${roomId}/participants/${lea.user.username}`, {
      token: lea.token,
    })
    assert.equal(leave.status, 204)
    const feed = await changes(maya, roomId, 0)
    assert.deepEqual(
      feed.changes.filter((c) => c.kind === 'system').map((c) => c.notice?.type),
      ['participant_removed', 'participant_left'],
    )
    const adding = await api(a.url, 'POST', `/api/rooms/${roomId}/participants`, {
      token: maya.token,
      body: { username: jonas.user.username },
    })
    assert.ok([200, 201].includes(adding.status), JSON.stringify(adding.body))
    const later = await changes(maya, roomId, feed.rev)
    assert.deepEqual(
      later.changes.map((c) => c.notice),
      [{ type: 'participant_added', actor: maya.user.username, target: jonas.user.username }],
    )
    for (const s of [member.socket, removed.socket, outsider, guest] as ClientSocket[]) s.close()
  })
})
