// Replies, votes and reactions (issue 16), against real PostgreSQL, Redis and Socket.IO clients, on two
// in-process instances joined by the Redis adapter: toggles, absolute counts broadcast with a rev, your
// own state on every socket of yours (and nobody else's), the change stream for clients that were
// away, thread summaries recomputed (deleted replies excluded), the top view, and 50 concurrent toggles
// spread over both instances ending where the database is.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  ack,
  type ClientSocket,
  clientMsgId,
  eventually,
  newPrefix,
  record,
  startServer,
  type TestServer,
  withDatabase,
} from '../../test/helpers'
import type { SessionDto } from '../contract/auth'
import type { MessageDto } from '../contract/messages'
import type { OwnStateChangedDto } from '../contract/reactions'

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

async function joined(server: TestServer, who: SessionDto | null, roomId: string): Promise<ClientSocket> {
  const s = await server.socket(who)
  sockets.push(s)
  // 50 joins at once on a busy 2-core machine can take longer than ack's usual 5 s.
  const res = await s.timeout(30_000).emitWithAck('room:join', roomId)
  assert.equal(res.ok, true, JSON.stringify(res))
  return s
}

async function post(server: TestServer, who: SessionDto, roomId: string, content: string, extra = {}) {
  const res = await server.api('POST', `/api/rooms/${roomId}/messages`, {
    token: who.token,
    body: { content, clientMsgId: clientMsgId(), ...extra },
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.message as MessageDto
}

/** The newest copy of a message among the `message:updated` broadcasts a socket received (by rev). */
function latest(log: ReturnType<typeof record>, id: string): MessageDto | undefined {
  return log.events
    .filter((e) => e.event === 'message:updated' && (e.args[0] as MessageDto).id === id)
    .map((e) => e.args[0] as MessageDto)
    .sort((x, y) => y.rev - x.rev)[0]
}

const stored = (id: string) =>
  withDatabase(async (c) => {
    const m = (await c.query('SELECT upvotes, downvotes, reactions, rev FROM "Message" WHERE id = $1', [id])).rows[0]
    const v = (
      await c.query(
        `SELECT count(*) FILTER (WHERE value = 1)::int AS up, count(*) FILTER (WHERE value = -1)::int AS down
         FROM "MessageVote" WHERE "messageId" = $1`,
        [id],
      )
    ).rows[0]
    const r = (
      await c.query(
        'SELECT emoji, count(*)::int AS n FROM "MessageReaction" WHERE "messageId" = $1 GROUP BY emoji ORDER BY emoji',
        [id],
      )
    ).rows
    return { message: m, votes: v, reactions: r as { emoji: string; n: number }[] }
  })

describe('votes', () => {
  test('up, up again removes, down flips: absolute counts to the room, your own vote to your sockets only', async () => {
    const room = await a.room()
    const [voter, other] = [await a.user(), await a.user()]
    const m = await post(a, room.owner, room.id, 'vote on me')
    const voterTab1 = await joined(a, voter, room.id)
    const voterTab2 = await joined(b, voter, room.id) // another tab, on the other instance
    const otherSocket = await joined(b, other, room.id)
    const guest = await joined(b, null, room.id)
    const [tab2Log, otherLog, guestLog] = [record(voterTab2), record(otherSocket), record(guest)]

    const up = await ack(voterTab1, 'message:vote', { roomId: room.id, messageId: m.id, vote: 'up' })
    assert.equal(up.ok, true)
    assert.deepEqual([up.message.upvotes, up.message.downvotes, up.message.mine], [1, 0, { vote: 'up', reactions: [] }])
    assert.ok(up.message.rev > m.rev, 'a vote is a change of the room: a new rev')
    const down = await ack(voterTab1, 'message:vote', { roomId: room.id, messageId: m.id, vote: 'down' })
    assert.deepEqual([down.message.upvotes, down.message.downvotes, down.message.mine.vote], [0, 1, 'down'])
    const again = await ack(voterTab1, 'message:vote', { roomId: room.id, messageId: m.id, vote: 'down' })
    assert.deepEqual([again.message.upvotes, again.message.downvotes, again.message.mine.vote], [0, 0, null])

    for (const log of [tab2Log, otherLog, guestLog]) {
      await eventually(() => latest(log, m.id)?.rev === again.message.rev, 5000, 'the last count on every socket')
      const seen = latest(log, m.id) as MessageDto
      assert.deepEqual([seen.upvotes, seen.downvotes], [0, 0])
      assert.equal('mine' in seen, false, 'room broadcasts never say who voted')
    }
    // Your own vote reaches your other tab (other instance), in rev order; nobody else hears of it.
    await eventually(() => tab2Log.events.filter((e) => e.event === 'mine:changed').length === 3)
    const mine = tab2Log.events.filter((e) => e.event === 'mine:changed').map((e) => e.args[0] as OwnStateChangedDto)
    assert.deepEqual(
      mine.map((x) => x.vote),
      ['up', 'down', null],
    )
    assert.equal(mine.at(-1)?.rev, again.message.rev)
    assert.equal(otherLog.text().includes('mine:changed'), false)
    assert.equal(guestLog.text().includes('mine:changed'), false)

    // Fetched, each viewer gets their own vote; counts are the same for all, and a guest gets none.
    await ack(voterTab1, 'message:vote', { roomId: room.id, messageId: m.id, vote: 'up' })
    const [asVoter, asOther, asGuest] = await Promise.all([
      a.api('GET', `/api/rooms/${room.id}/messages`, { token: voter.token }),
      a.api('GET', `/api/rooms/${room.id}/messages`, { token: other.token }),
      a.api('GET', `/api/rooms/${room.id}/messages`),
    ])
    const find = (res: { body: { messages: MessageDto[] } }) => res.body.messages.find((x) => x.id === m.id)
    assert.deepEqual(find(asVoter)?.mine, { vote: 'up', reactions: [] })
    assert.deepEqual(find(asOther)?.mine, { vote: null, reactions: [] })
    assert.equal(find(asGuest)?.mine, undefined)
    assert.deepEqual([find(asGuest)?.upvotes, find(asGuest)?.downvotes], [1, 0])
  })

  test('guests cannot vote or react; notices, deleted messages and other rooms messages are not found', async () => {
    const room = await a.room()
    const elsewhere = await a.room()
    const m = await post(a, room.owner, room.id, 'target')
    const foreign = await post(a, elsewhere.owner, elsewhere.id, 'not in this room')
    const guest = await joined(a, null, room.id)
    const vote = { roomId: room.id, messageId: m.id, vote: 'up' }
    assert.equal((await ack(guest, 'message:vote', vote)).error.code, 'unauthenticated')
    assert.equal((await ack(guest, 'message:react', { ...vote, emoji: '👍' })).error.code, 'unauthenticated')
    const owner = await joined(a, room.owner, room.id)
    const cross = await ack(owner, 'message:vote', { ...vote, messageId: foreign.id })
    assert.equal(cross.error.code, 'not_found', 'a message id from another room is not found in this one')
    await a.api('DELETE', `/api/rooms/${room.id}/messages/${m.id}`, { token: room.owner.token })
    assert.equal((await ack(owner, 'message:vote', vote)).error.code, 'not_found')
    const s = await stored(m.id)
    assert.deepEqual([s.votes.up, s.votes.down], [0, 0])
  })
})

describe('reactions', () => {
  test('toggle an emoji: count and who reacted, per emoji, in first-use order; one emoji per toggle', async () => {
    const room = await a.room()
    const [x, y] = [await a.user(), await a.user()]
    const m = await post(a, room.owner, room.id, 'react to me')
    const sx = await joined(a, x, room.id)
    const sy = await joined(b, y, room.id)
    const target = { roomId: room.id, messageId: m.id }
    await ack(sx, 'message:react', { ...target, emoji: '🎉' })
    await ack(sy, 'message:react', { ...target, emoji: '🎉' })
    const heart = await ack(sy, 'message:react', { ...target, emoji: '\u2764' }) // ❤ without its selector
    assert.equal(heart.ok, true)
    assert.deepEqual(heart.message.reactions, [
      { emoji: '🎉', count: 2, users: [x.user.username, y.user.username] },
      { emoji: '\u2764\uFE0F', count: 1, users: [y.user.username] },
    ])
    assert.deepEqual(heart.message.mine, { vote: null, reactions: ['🎉', '\u2764\uFE0F'] })
    const sameHeart = await ack(sy, 'message:react', { ...target, emoji: '\u2764\uFE0F' })
    assert.deepEqual(
      sameHeart.message.reactions.map((r: { emoji: string }) => r.emoji),
      ['🎉'],
      'both spellings of ❤ are one reaction: toggled off',
    )
    for (const bad of ['ab', '👍👍', ':)', '1', '', ' 👍']) {
      const res = await ack(sx, 'message:react', { ...target, emoji: bad })
      assert.equal(res.ok === false && res.error.code, 'invalid_input', `refused: ${JSON.stringify(bad)}`)
    }
    for (const good of ['👍🏽', '👨‍👩‍👧', '🇫🇷', '#️⃣']) {
      const res = await ack(sx, 'message:react', { ...target, emoji: good })
      assert.equal(res.ok, true, `accepted: ${good}`)
    }
  })

  test('at most 20 distinct emoji per message; more of an existing one is fine', async () => {
    const room = await a.room()
    const m = await post(a, room.owner, room.id, 'full of emoji')
    const s = await joined(a, room.owner, room.id)
    const emoji = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙🥲😚🙂🤗']
    for (const e of emoji.slice(0, 20))
      assert.equal((await ack(s, 'message:react', { roomId: room.id, messageId: m.id, emoji: e })).ok, true)
    const over = await ack(s, 'message:react', { roomId: room.id, messageId: m.id, emoji: emoji[20] })
    assert.equal(over.ok === false && over.error.code, 'forbidden')
    const other = await joined(a, await a.user(), room.id)
    const more = await ack(other, 'message:react', { roomId: room.id, messageId: m.id, emoji: emoji[0] })
    assert.equal(more.ok, true)
    assert.equal(more.message.reactions.length, 20)
    assert.equal((await stored(m.id)).reactions.length, 20)
  })

  test('a client that was away catches up through the change stream, with its own state', async () => {
    const room = await a.room()
    const [x, y] = [await a.user(), await a.user()]
    const m = await post(a, room.owner, room.id, 'while you were away')
    const before = (await a.api('GET', `/api/rooms/${room.id}/changes?after=0`, { token: x.token })).body.rev
    const sy = await joined(b, y, room.id)
    await ack(sy, 'message:react', { roomId: room.id, messageId: m.id, emoji: '👀' })
    await a.api('POST', `/api/rooms/${room.id}/messages/${m.id}/vote`, { token: x.token, body: { vote: 'down' } })
    const changes = (await a.api('GET', `/api/rooms/${room.id}/changes?after=${before}`, { token: x.token })).body
    assert.equal(changes.changes.length, 1, 'one message, in its latest state')
    const [now] = changes.changes as MessageDto[]
    assert.deepEqual([now.downvotes, now.reactions[0].count, now.mine?.vote], [1, 1, 'down'])
    assert.equal(changes.rev, now.rev)
  })
})

describe('replies', () => {
  test('a thread: replies attach to the root, which counts them (recomputed, deleted ones excluded)', async () => {
    const room = await a.room()
    const [x, y] = [await a.user(), await a.user()]
    const root = await post(a, room.owner, room.id, 'the question')
    const watcher = await joined(b, null, room.id)
    const log = record(watcher)
    const r1 = await post(a, x, room.id, 'first answer', { replyTo: root.id })
    const r2 = await post(a, y, room.id, 'reply to the reply', { replyTo: r1.id, alsoInRoom: true })
    assert.equal(r1.threadRootId, root.id)
    assert.equal(r2.threadRootId, root.id, 'a reply to a reply joins the root: one level')
    assert.deepEqual([r1.alsoInRoom, r2.alsoInRoom], [false, true])
    assert.equal(r2.content, 'reply to the reply', 'a reply never copies its parent text')

    let thread = (await a.api('GET', `/api/rooms/${room.id}/messages/${r1.id}/thread`)).body
    assert.equal(thread.root.id, root.id, 'any message of the thread names it')
    assert.deepEqual(
      thread.replies.map((m: MessageDto) => m.id),
      [r1.id, r2.id],
    )
    assert.equal(thread.root.replyCount, 2)
    assert.equal(thread.root.lastReplyAt, r2.createdAt)
    assert.deepEqual(thread.root.repliers, [y.user.username, x.user.username])

    // Live: the watcher (a guest, on the other instance) holds the replies and the root's counts.
    await eventually(() => latest(log, root.id)?.replyCount === 2, 5000, 'root counts live')
    assert.ok(log.events.some((e) => e.event === 'message:created' && (e.args[0] as MessageDto).id === r2.id))

    // Deleting a reply recomputes the root in the same transaction: the count excludes it.
    const del = await a.api('DELETE', `/api/rooms/${room.id}/messages/${r2.id}`, { token: y.token })
    assert.equal(del.status, 200)
    thread = (await a.api('GET', `/api/rooms/${room.id}/messages/${root.id}/thread`)).body
    assert.deepEqual(
      [thread.root.replyCount, thread.root.lastReplyAt, thread.root.repliers],
      [1, r1.createdAt, [x.user.username]],
    )
    await eventually(() => latest(log, root.id)?.replyCount === 1, 5000, 'recount live')
    const truth = await withDatabase(
      async (c) =>
        (
          await c.query(
            `SELECT r."replyCount", (SELECT count(*)::int FROM "Message" m WHERE m."threadRootId" = r.id AND m."deletedAt" IS NULL) AS live
             FROM "Message" r WHERE r.id = $1`,
            [root.id],
          )
        ).rows[0],
    )
    assert.equal(truth.replyCount, truth.live)

    // Edits of the root show through (nothing is copied); a deleted root keeps its thread readable.
    await a.api('PATCH', `/api/rooms/${room.id}/messages/${root.id}`, {
      token: room.owner.token,
      body: { content: 'the edited question' },
    })
    thread = (await a.api('GET', `/api/rooms/${room.id}/messages/${r1.id}/thread`)).body
    assert.equal(thread.root.content, 'the edited question')
    await a.api('DELETE', `/api/rooms/${room.id}/messages/${root.id}`, { token: room.owner.token })
    thread = (await a.api('GET', `/api/rooms/${room.id}/messages/${r1.id}/thread`)).body
    assert.notEqual(thread.root.deletedAt, null)
    assert.equal(thread.root.content, '')
    assert.equal(thread.replies[0].content, 'first answer')
    const late = await post(a, x, room.id, 'still talking under the tombstone', { replyTo: root.id })
    assert.equal(late.threadRootId, root.id)
  })

  test('replies are refused to notices, to a deleted message without a thread, across rooms, and for guests', async () => {
    const room = await a.room({ private: true, with: [await a.user()] })
    const other = await a.room()
    const m = await post(a, room.owner, room.id, 'here')
    const foreign = await post(a, other.owner, other.id, 'there')
    const refused = async (replyTo: string, token?: string) =>
      a.api('POST', `/api/rooms/${room.id}/messages`, {
        token,
        body: { content: 'r', clientMsgId: clientMsgId(), replyTo },
      })
    assert.equal((await refused(foreign.id, room.owner.token)).status, 404)
    const notice = await withDatabase(
      async (c) =>
        (await c.query(`SELECT id FROM "Message" WHERE "roomId" = $1 AND kind = 'system' LIMIT 1`, [room.id])).rows[0],
    )
    if (notice) assert.equal((await refused(notice.id, room.owner.token)).status, 404)
    assert.equal((await refused(m.id)).status, 401)
    const outsider = await a.user()
    const hidden = await refused(m.id, outsider.token)
    const missing = await a.api('POST', `/api/rooms/00000000-0000-4000-8000-00000000abcd/messages`, {
      token: outsider.token,
      body: { content: 'r', clientMsgId: clientMsgId(), replyTo: m.id },
    })
    assert.deepEqual([hidden.status, hidden.body], [missing.status, missing.body], 'the same not_found as no room')
    await a.api('DELETE', `/api/rooms/${room.id}/messages/${m.id}`, { token: room.owner.token })
    assert.equal((await refused(m.id, room.owner.token)).status, 404)
  })

  test('a retried reply (same clientMsgId) is stored once and counted once', async () => {
    const room = await a.room()
    const root = await post(a, room.owner, room.id, 'root')
    const body = { content: 'once', clientMsgId: clientMsgId(), replyTo: root.id }
    const sends = await Promise.all(
      [a, b, a, b].map((s) => s.api('POST', `/api/rooms/${room.id}/messages`, { token: room.owner.token, body })),
    )
    assert.deepEqual(sends.map((r) => r.status).sort(), [200, 200, 200, 201])
    const thread = (await a.api('GET', `/api/rooms/${room.id}/messages/${root.id}/thread`)).body
    assert.equal(thread.replies.length, 1)
    assert.equal(thread.root.replyCount, 1)
  })
})

test('the top view: by score (up minus down), then newest first; replies only if also sent to the room', async () => {
  const room = await a.room()
  const voters = await Promise.all([1, 2, 3].map(() => a.user()))
  const [m1, m2, m3] = [
    await post(a, room.owner, room.id, 'one'),
    await post(a, room.owner, room.id, 'two'),
    await post(a, room.owner, room.id, 'three'),
  ]
  const hiddenReply = await post(a, room.owner, room.id, 'thread only', { replyTo: m1.id })
  const shownReply = await post(a, room.owner, room.id, 'also in room', { replyTo: m1.id, alsoInRoom: true })
  const vote = (who: SessionDto, m: MessageDto, v: string) =>
    a.api('POST', `/api/rooms/${room.id}/messages/${m.id}/vote`, { token: who.token, body: { vote: v } })
  for (const v of voters) await vote(v, m1, 'up')
  await vote(voters[0], m3, 'up')
  await vote(voters[0], m2, 'down')
  await vote(voters[0], hiddenReply, 'up')
  const top = (await a.api('GET', `/api/rooms/${room.id}/messages?order=top`)).body
  assert.deepEqual(
    top.messages.map((m: MessageDto) => m.content),
    ['one', 'three', 'also in room', 'two'],
  )
  assert.equal(hiddenReply.alsoInRoom, false)
  const page = (await a.api('GET', `/api/rooms/${room.id}/messages?order=top&limit=2&offset=2`)).body
  assert.deepEqual(
    page.messages.map((m: MessageDto) => m.id),
    [shownReply.id, m2.id],
  )
  assert.equal(page.hasMore, false)
})

describe('concurrency', () => {
  test('50 users toggle one vote and one reaction at once over two instances: counts = database = last broadcast', async () => {
    const room = await a.room()
    const m = await post(a, room.owner, room.id, 'everyone at once')
    const users = await Promise.all(Array.from({ length: 50 }, () => a.user()))
    const clients = await Promise.all(users.map((u, i) => joined(i % 2 ? b : a, u, room.id)))
    const logs = clients.map(record)
    const target = { roomId: room.id, messageId: m.id }
    // 100 toggles of one row run one after the other: give the acks more than the usual 5 s on a busy machine.
    const ack = (s: ClientSocket, event: 'message:vote' | 'message:react', payload: object) =>
      s.timeout(30_000).emitWithAck(event, payload as never) as Promise<any>
    // Everyone votes up and reacts; then the even ones flip to down and take their reaction back.
    const first = await Promise.all(
      clients.flatMap((s) => [
        ack(s, 'message:vote', { ...target, vote: 'up' }),
        ack(s, 'message:react', { ...target, emoji: '🔥' }),
      ]),
    )
    assert.ok(
      first.every((r) => r.ok),
      JSON.stringify(first.find((r) => !r.ok)),
    )
    const second = await Promise.all(
      clients
        .filter((_, i) => i % 2 === 0)
        .flatMap((s) => [
          ack(s, 'message:vote', { ...target, vote: 'down' }),
          ack(s, 'message:react', { ...target, emoji: '🔥' }),
        ]),
    )
    assert.ok(second.every((r) => r.ok))
    const truth = await stored(m.id)
    assert.deepEqual([truth.votes.up, truth.votes.down], [25, 25])
    assert.deepEqual([truth.message.upvotes, truth.message.downvotes], [25, 25], 'the counts equal the rows')
    assert.deepEqual(truth.reactions, [{ emoji: '🔥', n: 25 }])
    assert.equal(truth.message.reactions[0].count, 25)
    // Every client's newest broadcast (by rev) is the database's state.
    await eventually(() => logs.every((log) => latest(log, m.id)?.rev === truth.message.rev), 10_000, 'last broadcast')
    for (const log of logs) {
      const seen = latest(log, m.id) as MessageDto
      assert.deepEqual([seen.upvotes, seen.downvotes, seen.reactions[0]?.count], [25, 25, 25])
    }
    // Each user's own newest state (by rev) is what they did.
    for (const [i, log] of logs.entries()) {
      const mine = log.events
        .filter((e) => e.event === 'mine:changed')
        .map((e) => e.args[0] as OwnStateChangedDto)
        .sort((x, y) => y.rev - x.rev)[0]
      assert.deepEqual([mine.vote, mine.reactions], i % 2 === 0 ? ['down', []] : ['up', ['🔥']])
    }
  })

  test('a double click (the same toggle twice at once, on two tabs) ends consistent everywhere', async () => {
    const room = await a.room()
    const m = await post(a, room.owner, room.id, 'double click me')
    const me = await a.user()
    const [tab1, tab2] = [await joined(a, me, room.id), await joined(b, me, room.id)]
    const [log1, log2] = [record(tab1), record(tab2)]
    const target = { roomId: room.id, messageId: m.id }
    const clicks = await Promise.all([
      ack(tab1, 'message:vote', { ...target, vote: 'up' }),
      ack(tab2, 'message:vote', { ...target, vote: 'up' }),
      ack(tab1, 'message:react', { ...target, emoji: '👍' }),
      ack(tab1, 'message:react', { ...target, emoji: '👍' }),
    ])
    assert.ok(clicks.every((c) => c.ok))
    const truth = await stored(m.id)
    assert.deepEqual([truth.votes.up, truth.message.upvotes, truth.reactions.length], [0, 0, 0], 'two toggles: none')
    for (const log of [log1, log2]) {
      await eventually(() => latest(log, m.id)?.rev === truth.message.rev)
      const mine = log.events
        .filter((e) => e.event === 'mine:changed')
        .map((e) => e.args[0] as OwnStateChangedDto)
        .sort((x, y) => y.rev - x.rev)[0]
      assert.equal(mine.rev, truth.message.rev)
      assert.deepEqual([mine.vote, mine.reactions], [null, []])
    }
  })
})
