// The client/server agreement property on the embedded PGlite (in process, no services): the web's
// `matchesQuery` equals the server's search statement for random messages and queries, with the real
// migrations, indexes and pg_trgm. search.test.ts runs the same property on PostgreSQL over HTTP.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { extractHashtags, matchesQuery } from '../contract/search-query'
import { parsed, randomMessage, randomQuery, rng, TIME_ZONES } from './search.property'
import { compileQuery, searchStatement } from './search.sql'

const MIGRATIONS = join(import.meta.dirname, '../../../prisma/migrations')
let db: PGlite
const people = ['alice', 'bob', 'carol'].map((name, i) => ({ id: `00000000-0000-4000-8000-00000000010${i}`, name }))
const rooms = [
  { id: '00000000-0000-4000-8000-000000000201', name: 'General Talk', isPrivate: false, viewerIn: false },
  { id: '00000000-0000-4000-8000-000000000202', name: 'Ünïcödé', isPrivate: true, viewerIn: true },
  { id: '00000000-0000-4000-8000-000000000203', name: 'secret', isPrivate: true, viewerIn: false },
]
const viewer = people[0]
type Row = {
  id: string
  roomId: string
  topic: string
  content: string
  author: string
  createdAt: Date
  deleted: boolean
}
const messages: Row[] = []

before(async () => {
  db = await PGlite.create({ extensions: { pg_trgm } })
  for (const dir of readdirSync(MIGRATIONS)
    .filter((d) => /^\d/.test(d))
    .sort()) {
    await db.exec(readFileSync(join(MIGRATIONS, dir, 'migration.sql'), 'utf8'))
  }
  for (const p of people) {
    await db.query(`INSERT INTO "User" ("id", "username", "email", "passwordHash") VALUES ($1, $2, $3, 'x')`, [
      p.id,
      p.name,
      `${p.name}@example.com`,
    ])
  }
  for (const r of rooms) {
    await db.query(`INSERT INTO "Room" ("id", "name", "isPrivate") VALUES ($1, $2, $3)`, [r.id, r.name, r.isPrivate])
    if (r.viewerIn)
      await db.query(`INSERT INTO "RoomParticipant" ("roomId", "userId") VALUES ($1, $2)`, [r.id, viewer.id])
  }
  const r = rng(17)
  const seqs = new Map<string, number>()
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], []]
  for (let i = 0; i < 400; i++) {
    const m = randomMessage(r, people.length, rooms.length)
    const room = rooms[m.room]
    const seq = (seqs.get(room.id) ?? 0) + 1
    seqs.set(room.id, seq)
    const content = m.deleted ? '' : m.content
    const topic = m.deleted ? '' : m.topic
    const deletedAt = m.deleted ? m.createdAt.toISOString() : null
    const row = [room.id, seq, people[m.author].id, topic, content, `c${i}`, m.createdAt.toISOString(), deletedAt]
    row.forEach((v, c) => cols[c].push(v))
    cols[8].push(extractHashtags(content).join(' '))
    messages.push({
      id: '',
      roomId: room.id,
      topic,
      content,
      author: people[m.author].name,
      createdAt: m.createdAt,
      deleted: m.deleted,
    })
  }
  // One multi-row insert (in order, so the returned ids line up with `messages`).
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO "Message" ("roomId", "seq", "rev", "authorId", "topic", "content", "clientMsgId", "createdAt", "deletedAt", "hashtags")
     SELECT t.room, t.seq, t.seq, t.author, t.topic, t.content, t.cid, t.at, t.del, string_to_array(t.tags, ' ')
     FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::text[])
       WITH ORDINALITY AS t(room, seq, author, topic, content, cid, at, del, tags, ord)
     ORDER BY t.ord RETURNING "id", "clientMsgId"`,
    cols,
  )
  const ids = new Map(rows.map((x: any) => [x.clientMsgId, x.id]))
  messages.forEach((m, i) => (m.id = ids.get(`c${i}`)!))
})

after(() => db?.close())

test('client evaluation equals the SQL answer for 300 random queries (PGlite, full-text and pg_trgm)', async () => {
  const r = rng(1717)
  const readable = new Set(rooms.filter((x) => !x.isPrivate || x.viewerIn).map((x) => x.id))
  const roomName = (id: string) => (readable.has(id) ? rooms.find((x) => x.id === id)?.name : undefined)
  let nonEmpty = 0
  for (let i = 0; i < 300; i++) {
    const text = randomQuery(r, { people: people.map((p) => p.name), rooms: rooms.map((x) => x.name) })
    const query = parsed(text)
    const timeZone = r.pick(TIME_ZONES)
    const { rows } = await db.query<{ id: string }>(
      ...(Object.values(searchStatement({ viewerId: viewer.id, query, timeZone, limit: 10_000 })) as [
        string,
        unknown[],
      ]),
    )
    const server = rows.map((x) => x.id).sort()
    const client = messages
      .filter((m) => readable.has(m.roomId))
      .filter((m) =>
        matchesQuery(
          query,
          {
            roomId: m.roomId,
            kind: 'user',
            author: { username: m.author },
            topic: m.topic,
            content: m.content,
            createdAt: m.createdAt.toISOString(),
            deletedAt: m.deleted ? m.createdAt.toISOString() : null,
            threadRootId: null,
          },
          { roomName, timeZone },
        ),
      )
      .map((m) => m.id)
      .sort()
    assert.deepEqual(client, server, `query #${i} ${JSON.stringify(text)} in ${timeZone}`)
    if (server.length > 0) nonEmpty++
  }
  assert.ok(nonEmpty > 100, `most queries find something (${nonEmpty}/300), so the property is not vacuous`)
})

test('each compiled term is the expression its index was built on (plans on PGlite)', async () => {
  // Tiny tables: the planner would rather scan them, so only index scans are allowed here; each term's
  // SQL (what searchStatement puts in its WHERE) must then be answered from its own index.
  await db.exec('SET enable_seqscan = off; SET enable_indexscan = off')
  try {
    for (const [text, index] of [
      ['deploy', 'Message_words_idx'],
      ['db.json', 'Message_content_trgm_idx'],
      ['#release', 'Message_hashtags_idx'],
      ['on:2026-01-12', 'Message_createdAt_idx'],
    ] as const) {
      const values: unknown[] = []
      const where = compileQuery(parsed(text), { timeZone: 'UTC', params: values })
      const { rows } = await db.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT m."id" FROM "Message" m WHERE ${where}`,
        values,
      )
      const plan = rows.map((x) => x['QUERY PLAN']).join('\n')
      assert.ok(plan.includes(index), `${text} → ${index}:\n${plan}`)
    }
  } finally {
    await db.exec('RESET enable_seqscan; RESET enable_indexscan')
  }
})
