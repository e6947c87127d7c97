// The newest-page cache (page-cache.ts) across two instances joined through Redis: room:join is
// served from it, and every change that alters what the page shows reaches the other instance's
// readers (by the room's rev, or through the user-change channel for authors' profiles).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type pg from 'pg'
import type { MessageDto } from '../contract/messages'
import { HARNESS_PASSWORD } from '../../test/harness'
import {
  ack,
  api,
  clientMsgId,
  type ClientSocket,
  connect,
  countStatements,
  eventually,
  newPrefix,
  register,
  startServer,
  type TestServer,
  uniqueName,
} from '../../test/helpers'

/** Counts the newest-page reads (repo.bySeq without a cursor) each pool runs. */
const countPageReads = (pool: pg.Pool) => countStatements(pool, (text) => text.includes('ORDER BY m."seq" DESC'))

describe('newest-page cache across instances', () => {
  let a: TestServer
  let b: TestServer
  let readsOnB: { readonly n: number }
  before(async () => {
    const prefix = newPrefix()
    a = await startServer({ REDIS_PREFIX: prefix })
    b = await startServer({ REDIS_PREFIX: prefix })
    readsOnB = countPageReads(b.pool)
  })
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()])
  })

  /** A public room made by a new author on A, with two messages; its sockets on A and B. */
  async function setUp() {
    const author = await register(a.url)
    const reader = await register(a.url)
    const res = await api(a.url, 'POST', '/api/rooms', { token: author.token, body: { name: uniqueName('pc') } })
    assert.equal(res.status, 201)
    const roomId: string = res.body.room.id
    const onA = await connect(a.url, author.token)
    const sent: MessageDto[] = []
    for (const content of ['first', 'second']) {
      const r = await ack(onA, 'message:send', { roomId, content, clientMsgId: clientMsgId() })
      assert.equal(r.ok, true)
      sent.push(r.message)
    }
    const onB = await connect(b.url, reader.token)
    return { author, reader, roomId, onA, onB, sent }
  }

  async function pageOnB(socket: ClientSocket, roomId: string): Promise<MessageDto[]> {
    const joined = await ack(socket, 'room:join', roomId)
    assert.equal(joined.ok, true, JSON.stringify(joined))
    return joined.messages
  }

  test('a second room:join of the room on an instance does not read the page again', async () => {
    const { roomId, onA, onB } = await setUp()
    const before = readsOnB.n
    await pageOnB(onB, roomId)
    assert.equal(readsOnB.n, before + 1, 'the first join reads the page')
    const other = await connect(b.url, (await register(a.url)).token)
    assert.deepEqual(
      (await pageOnB(other, roomId)).map((m) => m.content),
      ['first', 'second'],
    )
    assert.equal(readsOnB.n, before + 1, 'the second join is served from the cache')
    for (const s of [onA, onB, other]) s.close()
  })

  // Changes to messages are numbered by the room's rev, which the next reader's access check reads
  // from the database: its join sees them at once. A profile change reaches the other instance
  // through the user-change channel (Redis pub/sub), a moment after the response: `eventually`.
  const changes: [string, (ctx: Awaited<ReturnType<typeof setUp>>) => Promise<void>, (page: MessageDto[]) => void][] = [
    [
      'a new message',
      async ({ onA, roomId }) => {
        assert.equal(
          (await ack(onA, 'message:send', { roomId, content: 'third', clientMsgId: clientMsgId() })).ok,
          true,
        )
      },
      (page) =>
        assert.deepEqual(
          page.map((m) => m.content),
          ['first', 'second', 'third'],
        ),
    ],
    [
      'an edit',
      async ({ author, roomId, sent }) => {
        const r = await api(a.url, 'PATCH', `/api/rooms/${roomId}/messages/${sent[0].id}`, {
          token: author.token,
          body: { content: 'first, edited' },
        })
        assert.equal(r.status, 200, JSON.stringify(r.body))
      },
      (page) => assert.equal(page[0].content, 'first, edited'),
    ],
    [
      'a deletion',
      async ({ author, roomId, sent }) => {
        const r = await api(a.url, 'DELETE', `/api/rooms/${roomId}/messages/${sent[1].id}`, { token: author.token })
        assert.ok(r.status < 300, JSON.stringify(r.body))
      },
      (page) => assert.equal(page[1].content, '', 'the deleted message is a tombstone'),
    ],
    [
      'a vote and a reaction',
      async ({ author, roomId, sent }) => {
        const base = `/api/rooms/${roomId}/messages/${sent[0].id}`
        assert.equal(
          (await api(a.url, 'POST', `${base}/vote`, { token: author.token, body: { vote: 'up' } })).status,
          200,
        )
        const r = await api(a.url, 'POST', `${base}/reactions`, { token: author.token, body: { emoji: '🎉' } })
        assert.equal(r.status, 200)
      },
      (page) => {
        assert.equal(page[0].upvotes, 1)
        assert.deepEqual(
          page[0].reactions.map((r) => [r.emoji, r.count]),
          [['🎉', 1]],
        )
      },
    ],
    [
      "the author's display name",
      async ({ author }) => {
        const r = await api(a.url, 'PATCH', '/api/profile', { token: author.token, body: { displayName: 'Renamed' } })
        assert.equal(r.status, 200, JSON.stringify(r.body))
      },
      (page) => assert.equal(page[0].author?.displayName, 'Renamed'),
    ],
    [
      "the author's email",
      async ({ author }) => {
        const email = `${uniqueName('moved')}@example.test`
        const r = await api(a.url, 'POST', '/api/auth/email', {
          token: author.token,
          body: { email, currentPassword: HARNESS_PASSWORD },
        })
        assert.equal(r.status, 200, JSON.stringify(r.body))
        ;(author as { movedTo?: string }).movedTo = email
      },
      (page) => assert.match(page[0].email, /^moved_/),
    ],
  ]

  for (const [name, change, check] of changes) {
    test(`${name} on one instance is in the next room:join on the other`, async () => {
      const ctx = await setUp()
      await pageOnB(ctx.onB, ctx.roomId) // now cached on B
      await change(ctx)
      // A reader whose join starts after the change committed: B's next join of the room.
      const fresh = await connect(b.url, (await register(a.url)).token)
      if (name.startsWith("the author's")) {
        let last: unknown
        await eventually(
          async () => {
            try {
              check(await pageOnB(fresh, ctx.roomId))
              return true
            } catch (err) {
              last = err
              return false
            }
          },
          5000,
          `B's page to show the change (${String(last)})`,
        )
      } else check(await pageOnB(fresh, ctx.roomId))
      for (const s of [ctx.onA, ctx.onB, fresh]) s.close()
    })
  }

  test('a participant removed on one instance cannot read the cached page on the other', async () => {
    const owner = await register(a.url)
    const member = await register(a.url)
    const res = await api(a.url, 'POST', '/api/rooms', {
      token: owner.token,
      body: { name: uniqueName('pcp'), isPrivate: true, participants: [member.user.username] },
    })
    assert.equal(res.status, 201)
    const roomId: string = res.body.room.id
    const onA = await connect(a.url, owner.token)
    assert.equal((await ack(onA, 'message:send', { roomId, content: 'secret', clientMsgId: clientMsgId() })).ok, true)
    const onB = await connect(b.url, member.token)
    assert.equal((await pageOnB(onB, roomId))[0].content, 'secret') // cached on B
    const removed = await api(a.url, 'DELETE', `/api/rooms/${roomId}/participants/${member.user.username}`, {
      token: owner.token,
    })
    assert.equal(removed.status, 204)
    const again = await ack(onB, 'room:join', roomId)
    assert.equal(!again.ok && again.error.code, 'not_found')
    onA.close()
    onB.close()
  })
})
