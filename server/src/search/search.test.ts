// Search and live filters (issue 17) against the real PostgreSQL and Redis: the client/server agreement
// property over HTTP, the write path (hashtags on send and edit, deletions), no leaks over every path
// that takes a query, literal input, saved filters on every device, rooms:watch, and the embedded PGlite.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { SessionDto } from '../contract/auth'
import type { MessageDto } from '../contract/messages'
import type { FilterDto, SearchResultsDto } from '../contract/search'
import { extractHashtags, matchesQuery, parseQuery } from '../contract/search-query'
import {
  ack,
  api,
  type ClientSocket,
  clientMsgId,
  nextEvent,
  record,
  spawnServer,
  startServer,
  type TestServer,
  uniqueName,
  withDatabase,
} from '../../test/helpers'
import { parsed, randomMessage, randomQuery, rng, TIME_ZONES } from './search.property'

let server: TestServer
let alice: SessionDto // reads the public room and the private one
let outsider: SessionDto
let removed: SessionDto // was in the private room, then removed
let guestToken: string
let pub: { id: string; name: string }
let priv: { id: string; name: string }
const sockets: ClientSocket[] = []
const mark = uniqueName('m').replace(/[^a-z0-9]/g, '') // unique words per run: the database is shared by files

before(async () => {
  server = await startServer()
  ;[alice, outsider, removed] = await Promise.all([server.user(), server.user(), server.user()])
  pub = await server.room({ by: alice, name: uniqueName('Pub') })
  priv = await server.room({ by: alice, private: true, with: [removed], name: uniqueName('Secret') })
  guestToken = (await server.api('POST', '/api/auth/guest')).body.token
})
after(async () => {
  for (const s of sockets) s.close()
  await server.stop()
})

const search = (token: string | undefined, q: string, extra = '') =>
  server.api<SearchResultsDto>('GET', `/api/search?q=${encodeURIComponent(q)}${extra}`, { token })

async function send(
  who: SessionDto,
  roomId: string,
  content: string,
  topic = 'general',
  replyTo?: string,
): Promise<MessageDto> {
  const res = await server.api('POST', `/api/rooms/${roomId}/messages`, {
    token: who.token,
    body: { content, topic, clientMsgId: clientMsgId(), replyTo },
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.message
}

async function socketOf(who: SessionDto | null): Promise<ClientSocket> {
  const s = await server.socket(who)
  sockets.push(s)
  return s
}

describe('the client evaluator agrees with the server (random messages × random queries, PostgreSQL)', () => {
  test('150 random queries over 300 random messages, every page through the cursor', async () => {
    const people = [alice, outsider, removed]
    const rooms = [pub, priv, await server.room({ by: outsider, name: uniqueName('Other') })]
    // Every message and query carries this run's `mark`, so other suites' messages never interfere.
    const r = rng(2017)
    const stored: MessageDto[] = []
    const cols: unknown[][] = [[], [], [], [], [], [], [], []]
    const generated = Array.from({ length: 300 }, () => randomMessage(r, people.length, rooms.length))
    const { rows: seqs } = await withDatabase(async (c) => {
      // Multi-row insert straight into the table (as the bench does), with the hashtags the writer computes.
      for (const [i, m] of generated.entries()) {
        const content = m.deleted ? '' : `${m.content} ${mark}`
        cols[0].push(rooms[m.room].id)
        cols[1].push(people[m.author].user.id)
        cols[2].push(m.deleted ? '' : m.topic)
        cols[3].push(content)
        cols[4].push(`p${i}`)
        cols[5].push(m.createdAt.toISOString())
        cols[6].push(m.deleted ? m.createdAt.toISOString() : null)
        cols[7].push(extractHashtags(content).join(' '))
      }
      return c.query(
        `WITH input AS (
           SELECT *, row_number() OVER (PARTITION BY t.room ORDER BY t.ord) AS n
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[])
             WITH ORDINALITY AS t(room, author, topic, content, cid, at, del, tags, ord)),
         bumped AS (
           UPDATE "Room" r SET "lastSeq" = r."lastSeq" + c.k, "rev" = r."rev" + c.k
           FROM (SELECT room, count(*)::int AS k FROM input GROUP BY room) c WHERE r."id" = c.room
           RETURNING r."id", r."lastSeq" - c.k AS base, r."rev" - c.k AS rbase)
         INSERT INTO "Message" ("roomId", "seq", "rev", "authorId", "topic", "content", "clientMsgId", "createdAt", "deletedAt", "hashtags")
         SELECT i.room, b.base + i.n, b.rbase + i.n, i.author, i.topic, i.content, i.cid, i.at, i.del, string_to_array(i.tags, ' ')
         FROM input i JOIN bumped b ON b."id" = i.room
         RETURNING "id", "clientMsgId"`,
        cols,
      )
    })
    const idOf = new Map(seqs.map((x: { id: string; clientMsgId: string }) => [x.clientMsgId, x.id]))
    generated.forEach((m, i) =>
      stored.push({
        id: idOf.get(`p${i}`),
        roomId: rooms[m.room].id,
        kind: 'user',
        author: { id: people[m.author].user.id, username: people[m.author].user.username },
        topic: cols[2][i] as string,
        content: cols[3][i] as string,
        createdAt: m.createdAt.toISOString(),
        deletedAt: (cols[6][i] as string | null) ?? null,
        threadRootId: null,
      } as MessageDto),
    )
    // Alice reads the public rooms and her private one; the evaluator sees what she would receive.
    const readable = new Set([pub.id, priv.id, rooms[2].id])
    const roomName = (id: string) => rooms.find((x) => x.id === id && readable.has(id))?.name
    let nonEmpty = 0
    for (let i = 0; i < 150; i++) {
      const text = `${randomQuery(r, { people: people.map((p) => p.user.username), rooms: rooms.map((x) => x.name) })} ${mark}`
      const timeZone = r.pick(TIME_ZONES)
      const found: string[] = []
      let cursor = ''
      do {
        const res = await search(alice.token, text, `&tz=${encodeURIComponent(timeZone)}&limit=50${cursor}`)
        assert.equal(res.status, 200, JSON.stringify(res.body))
        found.push(...res.body.results.map((h) => h.message.id))
        const times = res.body.results.map((h) => h.message.createdAt)
        assert.deepEqual(times, [...times].sort().reverse(), 'newest first')
        cursor = res.body.nextCursor ? `&cursor=${res.body.nextCursor}` : ''
      } while (cursor)
      const expected = stored
        .filter((m) => readable.has(m.roomId) && matchesQuery(parsed(text), m, { roomName, timeZone }))
        .map((m) => m.id)
      assert.equal(new Set(found).size, found.length, `no duplicates across pages: ${text}`)
      assert.deepEqual([...found].sort(), expected.sort(), `query #${i} ${JSON.stringify(text)} in ${timeZone}`)
      if (found.length) nonEmpty++
    }
    assert.ok(nonEmpty > 40, `the property is not vacuous (${nonEmpty}/150 found something)`)
  })
})

describe('the write path', () => {
  test('hashtags are written on send (alone and in a batch) and on edit; edits are found by their new text only; deletions never', async () => {
    const w = `${mark}wp`
    const one = await send(alice, pub.id, `first #Ship-It ${w}alpha`)
    // A burst over one socket: the writer stores them in one multi-row statement.
    const s = await socketOf(alice)
    const burst = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        ack<{ message: MessageDto }>(s, 'message:send', {
          roomId: pub.id,
          content: `burst ${i} #ship-it #b${i} ${w}beta`,
          clientMsgId: clientMsgId(),
        }),
      ),
    )
    assert.ok(burst.every((a) => a.ok))
    const rows = await server.prisma.message.findMany({
      where: { content: { contains: w } },
      select: { hashtags: true, content: true },
    })
    for (const row of rows) assert.deepEqual(row.hashtags, extractHashtags(row.content))
    const tagged = await search(alice.token, `#ship-it ${w}`)
    assert.equal(tagged.body.results.length, 6)
    assert.deepEqual(tagged.body.results.at(-1)?.marks[0], [6, 14], 'the hashtag is marked')
    assert.equal(tagged.body.results.at(-1)?.room.name, pub.name)
    assert.equal(tagged.body.results.at(-1)?.message.author?.username, alice.user.username)

    const edited = await server.api('PATCH', `/api/rooms/${pub.id}/messages/${one.id}`, {
      token: alice.token,
      body: { content: `changed #Landed ${w}gamma` },
    })
    assert.equal(edited.status, 200)
    assert.deepEqual((await search(alice.token, `${w}alpha`)).body.results, [], 'the old text is gone at once')
    assert.equal((await search(alice.token, `#ship-it ${w}`)).body.results.length, 5, 'and its old tag')
    const found = await search(alice.token, `#landed ${w}gamma`)
    assert.deepEqual(
      found.body.results.map((h) => h.message.id),
      [one.id],
    )

    const del = await server.api('DELETE', `/api/rooms/${pub.id}/messages/${one.id}`, { token: alice.token })
    assert.equal(del.status, 200)
    assert.deepEqual((await search(alice.token, `${w}gamma`)).body.results, [])
    assert.deepEqual(
      (await search(alice.token, '#landed')).body.results.filter((h) => h.message.id === one.id),
      [],
    )
  })
})

describe('replies', () => {
  test('is:reply finds replies only, -is:reply only the rest; a reply carries its hashtags; the client agrees', async () => {
    const w = `${mark}th`
    const root = await send(alice, pub.id, `root #thread-tag ${w}`)
    const reply = await send(alice, pub.id, `reply #thread-tag ${w}`, 'general', root.id)
    assert.equal(reply.threadRootId, root.id)
    const ids = async (q: string) => (await search(alice.token, q)).body.results.map((h) => h.message.id)
    assert.deepEqual(await ids(`is:reply ${w}`), [reply.id])
    assert.deepEqual(await ids(`-is:reply ${w}`), [root.id])
    assert.deepEqual(await ids(`#thread-tag ${w}`), [reply.id, root.id], 'newest first, the reply included')
    const ctx = { roomName: () => pub.name, timeZone: 'UTC' }
    for (const q of [`is:reply ${w}`, `-is:reply ${w}`]) {
      const parsed = parseQuery(q)
      assert.ok(parsed.ok)
      const client = [reply, root].filter((m) => matchesQuery(parsed.query, m, ctx)).map((m) => m.id)
      assert.deepEqual(client, await ids(q), q)
    }
  })
})

describe('no leaks', () => {
  let secret: string
  before(async () => {
    secret = `${mark}secretword`
    await send(alice, priv.id, `only here ${secret} #${secret} t-${secret}`, secret)
    const res = await server.api('DELETE', `/api/rooms/${priv.id}/participants/${removed.user.username}`, {
      token: alice.token,
    })
    assert.equal(res.status, 204, JSON.stringify(res.body))
  })

  test('a private-only word answers outsiders, removed participants, guests and anonymous callers exactly like a nonsense word', async () => {
    const nonsense = `${mark}qqzzxxnothing`
    const paths = (word: string) => [
      word,
      `#${word}`,
      `t-${word}`,
      `"only here ${word}"`,
      `topic:${word}`,
      `${word} in:${priv.name}`,
      `${word} from:${alice.user.username}`,
    ]
    // Alice (a participant) does find it, so the other answers are not empty for lack of data.
    for (const q of paths(secret)) assert.equal((await search(alice.token, q)).body.results.length, 1, q)
    for (const token of [outsider.token, removed.token, guestToken, undefined]) {
      for (const [i, q] of paths(secret).entries()) {
        const got = await search(token, q)
        const twin = await search(token, paths(nonsense)[i])
        assert.equal(got.status, twin.status, q)
        assert.equal(JSON.stringify(got.body), JSON.stringify(twin.body), q)
        assert.deepEqual(got.body, { results: [], nextCursor: null })
      }
    }
  })

  test('in:<private room> by an outsider answers exactly like a room that does not exist; roomId too', async () => {
    for (const token of [outsider.token, removed.token, guestToken]) {
      const a = await search(token, `in:${priv.name}`)
      const b = await search(token, `in:${uniqueName('Nope')}`)
      assert.equal(JSON.stringify([a.status, a.body]), JSON.stringify([b.status, b.body]))
      const c = await search(token, 'only', `&roomId=${priv.id}`)
      const d = await search(token, 'only', `&roomId=${crypto.randomUUID()}`)
      assert.equal(c.status, 404)
      assert.equal(JSON.stringify([c.status, c.body]), JSON.stringify([d.status, d.body]))
    }
  })

  test('saving a filter on a private room, and rooms:watch of it, answer exactly like a missing room', async () => {
    const save = (roomId: string) =>
      server.api('POST', '/api/filters', { token: outsider.token, body: { name: 'x', query: 'only', roomId } })
    const a = await save(priv.id)
    const b = await save(crypto.randomUUID())
    assert.equal(a.status, 404)
    assert.equal(JSON.stringify(a.body), JSON.stringify(b.body))
    for (const who of [outsider, removed, null]) {
      const s = await socketOf(who)
      const got = record(s)
      const w1 = await ack(s, 'rooms:watch', { roomIds: [priv.id] })
      const w2 = await ack(s, 'rooms:watch', { roomIds: [crypto.randomUUID()] })
      assert.deepEqual(w1, w2)
      assert.deepEqual(w1, { ok: true, roomIds: [] })
      await ack(s, 'rooms:watch', { roomIds: [priv.id, pub.id] })
      await send(alice, priv.id, `${secret} again`)
      // Broadcasts reach a socket in order: once the public canary is here, the private one would be too.
      const canary = nextEvent<MessageDto>(s, 'message:created', (m) => m.roomId === pub.id)
      await send(alice, pub.id, `${mark} canary`)
      await canary
      assert.ok(!got.text().includes(secret), 'nothing of the private room arrives')
    }
  })
})

describe('literal input', () => {
  const texts = [
    '100%',
    'a_b',
    "it's",
    'back\\slash',
    't-shirt',
    'db.json',
    'foo.png',
    'a/b',
    'PLT-3699',
    '日本語',
    '🎉',
  ]
  const ids = new Map<string, string>()
  before(async () => {
    for (const t of texts) ids.set(t, (await send(alice, pub.id, `${mark}lit ${t} end`)).id)
    ids.set('decoy', (await send(alice, pub.id, `${mark}lit 100 ab its backslash tshirt dbjson foopng ab PLT 3699`)).id)
  })

  test('%, _, quote, backslash, punctuation, CJK and emoji find exactly the message holding them', async () => {
    for (const t of texts) {
      const res = await search(alice.token, `${t} ${mark}lit`)
      assert.equal(res.status, 200, t)
      assert.deepEqual(
        res.body.results.map((h) => h.message.id),
        [ids.get(t)],
        t,
      )
      const [start, end] =
        res.body.results[0].marks.find(([s, e]) => res.body.results[0].message.content.slice(s, e) === t) ?? []
      assert.ok(start !== undefined && end !== undefined, `${t} is marked`)
    }
    // Wildcards alone match only themselves.
    assert.deepEqual(
      (await search(alice.token, `% ${mark}lit`)).body.results.map((h) => h.message.id),
      [ids.get('100%')],
    )
    assert.deepEqual(
      (await search(alice.token, `_ ${mark}lit`)).body.results.map((h) => h.message.id),
      [ids.get('a_b')],
    )
  })

  test('an empty query, a 1 000-character query, a malformed date and a bad cursor or zone are clear errors', async () => {
    for (const [q, extra, needle] of [
      ['', '', 'Type something'],
      ['   ', '', 'Type something'],
      ['x'.repeat(1000), '', 'at most 500'],
      ['deploy on:2026-02-30', '', 'on:2026-02-30'],
      ['deploy', '&cursor=bm9wZQ', 'cursor'],
      ['deploy', '&tz=Mars%2FOlympus', 'time zone'],
    ] as const) {
      const res: { status: number; body: any } = await search(alice.token, q, extra)
      assert.equal(res.status, 400, q)
      assert.equal(res.body.error.code, 'invalid_input')
      assert.ok(JSON.stringify(res.body.error).includes(needle), `${q}: ${JSON.stringify(res.body.error)}`)
    }
  })
})

describe('saved filters', () => {
  test('CRUD, the same on every device (user channel), invisible to everyone else, validated', async () => {
    const tab1 = await socketOf(alice)
    const tab2 = await socketOf(alice)
    const other = record(await socketOf(outsider))
    const saved = nextEvent<FilterDto>(tab2, 'filter:saved')
    const created = await server.api('POST', '/api/filters', {
      token: alice.token,
      body: { name: 'Releases', query: '#release -draft', roomId: null },
    })
    assert.equal(created.status, 201)
    const filter: FilterDto = created.body.filter
    assert.deepEqual(await saved, filter)
    assert.deepEqual((await server.api('GET', '/api/filters', { token: alice.token })).body.filters, [filter])

    const renamed = nextEvent<FilterDto>(tab1, 'filter:saved', (f) => f.name === 'Shipped')
    const patched = await server.api('PATCH', `/api/filters/${filter.id}`, {
      token: alice.token,
      body: { name: 'Shipped', roomId: priv.id },
    })
    assert.equal(patched.status, 200)
    assert.equal((await renamed).roomId, priv.id)

    // Someone else's filter is not_found, exactly like a missing one.
    for (const [method, body] of [
      ['PATCH', { name: 'mine' }],
      ['DELETE', undefined],
    ] as const) {
      const a = await server.api(method, `/api/filters/${filter.id}`, { token: outsider.token, body })
      const b = await server.api(method, `/api/filters/${crypto.randomUUID()}`, { token: outsider.token, body })
      assert.equal(a.status, 404)
      assert.equal(JSON.stringify(a.body), JSON.stringify(b.body))
    }
    assert.deepEqual((await server.api('GET', '/api/filters', { token: outsider.token })).body.filters, [])
    assert.equal((await server.api('GET', '/api/filters', { token: guestToken })).status, 401)

    const bad = await server.api('POST', '/api/filters', {
      token: alice.token,
      body: { name: 'x', query: 'after:2026-99-01' },
    })
    assert.equal(bad.status, 400)
    assert.match(bad.body.error.message, /after:2026-99-01/)

    const gone = nextEvent(tab2, 'filter:removed')
    assert.equal((await server.api('DELETE', `/api/filters/${filter.id}`, { token: alice.token })).status, 204)
    assert.deepEqual(await gone, { id: filter.id })
    assert.ok(!other.text().includes(filter.id), 'nobody else hears of it')
  })
})

describe('rooms:watch (live filters)', () => {
  test('a watcher receives new, edited and deleted messages without joining, and loses them with access', async () => {
    const member = await server.user()
    const room = await server.room({ by: alice, private: true, with: [member], name: uniqueName('W') })
    const s = await socketOf(member)
    const seen = record(s)
    assert.deepEqual(await ack(s, 'rooms:watch', { roomIds: [room.id, pub.id] }), {
      ok: true,
      roomIds: [room.id, pub.id],
    })
    const created = nextEvent<MessageDto>(s, 'message:created', (m) => m.roomId === room.id)
    const m = await send(alice, room.id, `${mark} watched #live`)
    assert.equal((await created).id, m.id)
    const updated = nextEvent<MessageDto>(s, 'message:updated', (x) => x.id === m.id)
    await server.api('PATCH', `/api/rooms/${room.id}/messages/${m.id}`, {
      token: alice.token,
      body: { content: 'new' },
    })
    assert.equal((await updated).content, 'new')
    assert.ok(!seen.events.some((e) => e.event === 'room:presence' || e.event === 'typing:changed'), 'only messages')

    const removedEvent = nextEvent(s, 'room:removed')
    await server.api('DELETE', `/api/rooms/${room.id}/participants/${member.user.username}`, { token: alice.token })
    await removedEvent
    const after = `${mark}afterremoval`
    await send(alice, room.id, after)
    const canary = nextEvent<MessageDto>(s, 'message:created', (x) => x.roomId === pub.id)
    await send(alice, pub.id, `${mark} still watching the public room`)
    await canary // delivered after the private one was broadcast: had it been sent, it would be here
    assert.ok(!seen.text().includes(after))

    // A new list replaces the old one.
    const other = await server.room({ by: alice, name: uniqueName('W2') })
    assert.deepEqual(await ack(s, 'rooms:watch', { roomIds: [other.id] }), { ok: true, roomIds: [other.id] })
    const quiet = record(s)
    await send(alice, pub.id, `${mark} unwatched`)
    const last = nextEvent<MessageDto>(s, 'message:created', (x) => x.roomId === other.id)
    await send(alice, other.id, `${mark} canary`)
    await last
    assert.ok(!quiet.text().includes('unwatched'))
  })
})

test(
  'on the embedded PGlite (no DATABASE_URL): words, phrases, substrings with punctuation, hashtags and dates',
  { timeout: 300_000 },
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parlor-search-pglite-'))
    const embedded = await spawnServer(
      {
        NODE_ENV: 'development',
        DATABASE_URL: '',
        REDIS_URL: '',
        REDIS_PREFIX: '',
        MIGRATE_ON_START: '',
        DATA_DIR: dataDir,
      },
      { readyTimeoutMs: 240_000 },
    )
    try {
      const me = await embedded.user()
      const post = (content: string) =>
        api(embedded.url, 'POST', `/api/rooms/${'00000000-0000-4000-8000-000000000001'}/messages`, {
          token: me.token,
          body: { content, clientMsgId: clientMsgId() },
        })
      const a = (await post('Deploying db.json to the t-shirt shop #Release 日本語')).body.message
      const b = (await post('hello world, PLT-3699 is 100% done')).body.message
      const q = async (text: string) =>
        (
          await api<SearchResultsDto>(embedded.url, 'GET', `/api/search?q=${encodeURIComponent(text)}`, {
            token: me.token,
          })
        ).body.results.map((h) => h.message.id)
      assert.deepEqual(await q('deploy'), [a.id], 'full-text prefix')
      assert.deepEqual(await q('"hello world"'), [b.id], 'phrase')
      assert.deepEqual(await q('db.json'), [a.id], 'pg_trgm with punctuation')
      assert.deepEqual(await q('PLT-3699'), [b.id])
      assert.deepEqual(await q('100%'), [b.id])
      assert.deepEqual(await q('日本'), [a.id])
      assert.deepEqual(await q('#release'), [a.id], 'hashtag column')
      const today = new Date().toISOString().slice(0, 10)
      assert.deepEqual((await q(`on:${today}`)).sort(), [a.id, b.id].sort(), 'date range')
      assert.deepEqual(await q(`before:${today}`), [])
    } finally {
      embedded.kill()
      await embedded.exited
      rmSync(dataDir, { recursive: true, force: true })
    }
  },
)
