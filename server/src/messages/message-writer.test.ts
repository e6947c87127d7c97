// The batched insert against real PostgreSQL: seqs, batching, access re-check, clientMsgId races.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { clientMsgId, uniqueName } from '../../test/helpers'
import { createDatabase, type Database } from '../db/prisma'
import { createMessageWriter, type NewMessage } from './message-writer'

let db: Database
let counted: Database // same database; counts the statements its writer sends
let statements = 0
before(() => {
  const url = process.env.PARLOR_TEST_DATABASE_URL as string
  db = createDatabase({ url, poolSize: 4 })
  counted = createDatabase({ url, poolSize: 4 })
  const query = counted.pool.query.bind(counted.pool) as (...args: unknown[]) => unknown
  counted.pool.query = ((...args: unknown[]) => {
    statements++
    return query(...args)
  }) as typeof counted.pool.query
})
after(async () => {
  await db.prisma.$disconnect()
  await counted.prisma.$disconnect()
})

async function user() {
  const name = uniqueName('w')
  return db.prisma.user.create({ data: { username: name, email: `${name}@example.com`, passwordHash: 'x' } })
}
async function room(isPrivate = false, participants: string[] = []) {
  const r = await db.prisma.room.create({
    data: { name: uniqueName('room'), isPrivate, publicNameKey: isPrivate ? null : uniqueName('key') },
  })
  if (participants.length > 0) {
    await db.prisma.roomParticipant.createMany({ data: participants.map((userId) => ({ roomId: r.id, userId })) })
  }
  return r
}
const msg = (roomId: string, authorId: string, content = 'hi'): NewMessage => ({
  roomId,
  authorId,
  topic: 't',
  content,
  clientMsgId: clientMsgId(),
})
async function seqsOf(roomId: string) {
  const rows = await db.prisma.message.findMany({ where: { roomId }, orderBy: { seq: 'asc' }, select: { seq: true } })
  return rows.map((r) => r.seq)
}

test('messages sent together go out in few statements, each room numbered 1, 2, 3… in arrival order', async () => {
  const author = await user()
  const rooms = [await room(), await room(), await room()]
  const writer = createMessageWriter(counted.pool)
  statements = 0
  const sent = Array.from({ length: 90 }, (_, i) => msg(rooms[i % 3].id, author.id, `m${i}`))
  const results = await Promise.all(sent.map((m) => writer.write(m)))
  assert.ok(statements < 90 / 2, `90 messages took ${statements} statements`)
  for (const r of rooms) {
    const mine = results.filter((_, i) => sent[i].roomId === r.id)
    assert.deepEqual(
      mine.map((x) => (x.stored ? x.row.seq : -1)),
      Array.from({ length: 30 }, (_, i) => i + 1),
      'seqs follow arrival order',
    )
    assert.deepEqual(
      await seqsOf(r.id),
      Array.from({ length: 30 }, (_, i) => i + 1),
    )
    const stored = await db.prisma.room.findUniqueOrThrow({ where: { id: r.id } })
    assert.equal(stored.lastSeq, 30)
  }
})

test('two writers (two instances) on the same rooms: no deadlock, no gap, no duplicate seq', async () => {
  const author = await user()
  const rooms = [await room(), await room(), await room(), await room()]
  const a = createMessageWriter(db.pool)
  const b = createMessageWriter(counted.pool)
  const writes: Promise<unknown>[] = []
  for (let round = 0; round < 20; round++) {
    // Opposite room orders on the two writers, so unordered locking would deadlock.
    for (const r of rooms) writes.push(a.write(msg(r.id, author.id)))
    for (const r of [...rooms].reverse()) writes.push(b.write(msg(r.id, author.id)))
    await new Promise((done) => setImmediate(done))
  }
  const results = (await Promise.all(writes)) as { stored: boolean }[]
  assert.ok(results.every((r) => r.stored))
  for (const r of rooms)
    assert.deepEqual(
      await seqsOf(r.id),
      Array.from({ length: 40 }, (_, i) => i + 1),
    )
})

test('in one batch: a removed participant and a missing room store nothing, the others are stored', async () => {
  const [member, outsider] = [await user(), await user()]
  const open = await room()
  const secret = await room(true, [member.id])
  const writer = createMessageWriter(db.pool)
  const [ok, denied, allowed, missing] = await Promise.all([
    writer.write(msg(open.id, outsider.id)),
    writer.write(msg(secret.id, outsider.id)),
    writer.write(msg(secret.id, member.id)),
    writer.write(msg('00000000-0000-4000-8000-000000000000', member.id)),
  ])
  assert.equal(ok.stored, true)
  assert.deepEqual(denied, { stored: false })
  assert.equal(allowed.stored && allowed.row.seq, 1, 'a refused row burns no seq')
  assert.deepEqual(missing, { stored: false })
  assert.deepEqual(await seqsOf(secret.id), [1])
})

test('a clientMsgId already stored, or repeated in the same batch, stores one row and burns no seq', async () => {
  const author = await user()
  const r = await room()
  const writer = createMessageWriter(db.pool)
  const first = msg(r.id, author.id)
  assert.equal((await writer.write(first)).stored, true)
  const again = await Promise.all([writer.write(first), writer.write(first), writer.write(msg(r.id, author.id))])
  assert.deepEqual(again[0], { stored: false })
  assert.deepEqual(again[1], { stored: false })
  assert.equal(again[2].stored && again[2].row.seq, 2)

  const twice = msg(r.id, author.id)
  const both = await Promise.all([writer.write(twice), writer.write(twice)])
  assert.equal(both.filter((x) => x.stored).length, 1, 'one of two identical writes stores')
  assert.deepEqual(await seqsOf(r.id), [1, 2, 3])
})

test('two instances racing on one clientMsgId: one row; the other batch still stores its other messages', async () => {
  const author = await user()
  const r = await room()
  for (let i = 0; i < 10; i++) {
    const a = createMessageWriter(db.pool)
    const b = createMessageWriter(counted.pool)
    const shared = msg(r.id, author.id)
    const results = await Promise.all([
      a.write(shared),
      a.write(msg(r.id, author.id)),
      b.write(shared),
      b.write(msg(r.id, author.id)),
    ])
    assert.equal(results.filter((x) => x.stored).length, 3, `round ${i}: ${JSON.stringify(results)}`)
  }
  const seqs = await seqsOf(r.id)
  assert.deepEqual(
    seqs,
    Array.from({ length: 30 }, (_, i) => i + 1),
  )
})

test('a failed statement rejects every message in it; the next batch works again', async () => {
  const author = await user()
  const r = await room()
  const writer = createMessageWriter(db.pool)
  const bad = { ...msg(r.id, author.id), authorId: 'not-a-uuid' }
  const results = await Promise.allSettled([writer.write(bad), writer.write(msg(r.id, author.id))])
  assert.deepEqual(
    results.map((x) => x.status),
    ['rejected', 'rejected'],
  )
  assert.equal((await writer.write(msg(r.id, author.id))).stored, true)
  assert.deepEqual(await seqsOf(r.id), [1])
})
