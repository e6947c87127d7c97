// Ephemeral messages and /escalate across two real server processes joined by the Redis adapter
// (issue 20): delivery to the viewers of every instance, and one escalation for a command retried
// through each instance.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import pg from 'pg'
import {
  ack,
  clientMsgId,
  createPrivateDatabase,
  newPrefix,
  record,
  type ServerProcess,
  spawnServer,
  tableCounts as countRows,
} from '../../test/helpers'

// Its own database: the "every table's row count" check must not see other files' writes.
let one: ServerProcess
let two: ServerProcess
let database: Awaited<ReturnType<typeof createPrivateDatabase>>
const tableCounts = () => countRows(database.url)
const withDatabase = async <T>(work: (c: pg.Client) => Promise<T>): Promise<T> => {
  const c = new pg.Client({ connectionString: database.url })
  await c.connect()
  try {
    return await work(c)
  } finally {
    await c.end()
  }
}
before(async () => {
  database = await createPrivateDatabase()
  const shared = { REDIS_PREFIX: newPrefix(), DATABASE_URL: database.url }
  ;[one, two] = await Promise.all([spawnServer(shared), spawnServer(shared)])
})
after(async () => {
  one?.kill('SIGKILL')
  two?.kill('SIGKILL')
  await Promise.all([one?.exited, two?.exited])
  await database?.drop()
})

describe('two instances', () => {
  test('an ephemeral message reaches the viewers on both instances, and nobody else', async () => {
    const [alice, bob, eve] = await Promise.all([one.user(), two.user(), two.user()])
    const room = await one.room({ by: alice, private: true, with: [bob, eve] })
    const a = await one.socket(alice)
    const b = await two.socket(bob)
    const e = await two.socket(eve) // a participant, connected, but viewing nothing
    for (const s of [a, b]) assert.equal((await ack(s, 'room:join', room.id)).ok, true)
    const eveLog = record(e)
    const before = await tableCounts()
    const atAlice = new Promise<any>((resolve) => a.once('ephemeral:created', resolve))
    const sent = await ack(b, 'ephemeral:send', { roomId: room.id, content: 'across', clientMsgId: clientMsgId() })
    assert.equal(sent.ok, true)
    assert.equal((await atAlice).content, 'across')
    assert.deepEqual(await tableCounts(), before, 'every table has the same row count')
    // Eve opens the room now; a stored message sent after that reaches her on the same ordered
    // channel. The ephemeral one never does.
    assert.equal((await ack(e, 'room:join', room.id)).ok, true)
    const marker = new Promise<any>((resolve) => e.once('message:created', resolve))
    await ack(a, 'message:send', { roomId: room.id, content: 'marker', clientMsgId: clientMsgId() })
    assert.equal((await marker).content, 'marker')
    assert.equal(eveLog.text().includes('across'), false)
    for (const s of [a, b, e]) s.close()
  })

  test('the same /escalate retried through each instance opens one escalation', async () => {
    const [owner, asker] = await Promise.all([one.user(), one.user()])
    const room = await one.room({ by: owner })
    const o = await two.socket(owner)
    const toOwner = new Promise<any>((resolve) => o.once('escalation:updated', resolve))
    const s1 = await one.socket(asker)
    const s2 = await two.socket(asker)
    const payload = { roomId: room.id, text: '/escalate need a hand', clientMsgId: clientMsgId() }
    const [r1, r2] = await Promise.all([ack(s1, 'command:run', payload), ack(s2, 'command:run', payload)])
    assert.equal(r1.ok && r2.ok, true)
    assert.equal(r1.result.escalation.id, r2.result.escalation.id)
    assert.equal(r1.result.message.id, r2.result.message.id)
    const again = await ack(s2, 'command:run', payload)
    assert.equal(again.result.escalation.id, r1.result.escalation.id)
    const counts = await withDatabase(async (c) => ({
      escalations: Number(
        (await c.query('SELECT count(*) FROM "Escalation" WHERE "roomId" = $1', [room.id])).rows[0].count,
      ),
      messages: Number((await c.query('SELECT count(*) FROM "Message" WHERE "roomId" = $1', [room.id])).rows[0].count),
    }))
    assert.deepEqual(counts, { escalations: 1, messages: 1 })
    assert.equal((await toOwner).asker, asker.user.username, 'the creator on the other instance heard it live')
    for (const s of [o, s1, s2]) s.close()
  })
})
