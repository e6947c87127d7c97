// Scale-out: several real server processes joined by the Redis adapter, with clients spread across
// them. Includes the crash (SIGKILL), Redis restart and rolling restart tests of the scale-out issue.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { ChatClient } from '../../test/chat-client'
import {
  ack,
  api,
  clientMsgId,
  connect,
  eventually,
  newPrefix,
  nextEvent,
  record,
  register,
  type ServerProcess,
  sleep,
  spawnServer,
  startPrivateRedis,
  uniqueName,
  createRoom,
  withDatabase,
} from '../../test/helpers'

const processes: ServerProcess[] = []
after(() => {
  for (const p of processes) p.kill('SIGKILL')
})

async function cluster(n: number, env: Record<string, string> = {}): Promise<ServerProcess[]> {
  const shared = { REDIS_PREFIX: newPrefix(), ...env }
  const servers = await Promise.all(Array.from({ length: n }, () => spawnServer(shared)))
  processes.push(...servers)
  return servers
}

const db = withDatabase

/** Seqs and ids stored for each room. */
async function stored(roomIds: string[]): Promise<Map<string, { seq: number; id: string }[]>> {
  const rows = await db(
    async (c) =>
      (
        await c.query(
          'SELECT "roomId", seq, id FROM "Message" WHERE "roomId" = ANY($1::uuid[]) ORDER BY "roomId", seq',
          [roomIds],
        )
      ).rows,
  )
  const byRoom = new Map<string, { seq: number; id: string }[]>(roomIds.map((r) => [r, []]))
  for (const r of rows) byRoom.get(r.roomId)?.push({ seq: r.seq, id: r.id })
  return byRoom
}

/** Checks the invariants every load test ends with; returns the figures for the report. */
async function verify(clients: ChatClient[], rooms: string[], roomOf: (i: number) => string, label: string) {
  const acked = clients.flatMap((c) => c.acked)
  const ackedIds = acked.map((m) => m.id)
  const persisted = await db(
    async (c) => (await c.query('SELECT id FROM "Message" WHERE id = ANY($1::uuid[])', [ackedIds])).rows,
  )
  const duplicates = await db(
    async (c) =>
      (
        await c.query(
          'SELECT content, count(*)::int AS n FROM "Message" WHERE "roomId" = ANY($1::uuid[]) GROUP BY content HAVING count(*) > 1',
          [rooms],
        )
      ).rows,
  )
  const truth = await stored(rooms)
  // Clients converge on what is stored: every message of their room exactly once, in seq order.
  await eventually(
    () =>
      clients.every((c, i) => {
        const expected = truth.get(roomOf(i)) ?? []
        const seqs = c.seqs(roomOf(i))
        return seqs.length === expected.length && seqs.every((s, k) => s === expected[k].seq)
      }),
    20_000,
    `${label}: every client's history equals the database`,
  )
  for (const [i, c] of clients.entries()) {
    const expected = truth.get(roomOf(i)) ?? []
    const view = c.views.get(roomOf(i)) ?? new Map()
    assert.deepEqual(
      expected.map((e) => view.get(e.seq)?.id),
      expected.map((e) => e.id),
    )
  }
  const totalStored = [...truth.values()].reduce((n, r) => n + r.length, 0)
  for (const [roomId, rows] of truth) {
    assert.deepEqual(
      rows.map((r) => r.seq),
      rows.map((_, k) => k + 1),
      `room ${roomId} seqs gap-free`,
    )
  }
  const figures = {
    acked: acked.length,
    persisted: totalStored,
    ackedLost: acked.length - persisted.length,
    duplicateRows: duplicates.length,
    deliveredToViews: clients.reduce((n, c, i) => n + c.seqs(roomOf(i)).length, 0),
    duplicateDeliveriesDeduped: clients.reduce((n, c) => n + c.duplicatesReceived, 0),
  }
  assert.equal(figures.ackedLost, 0, 'acknowledged messages lost')
  assert.equal(figures.duplicateRows, 0, 'duplicate rows')
  return figures
}

/** Starts `perRoom` clients in each of `roomCount` new public rooms, spread round-robin over `urls`. */
async function population(urls: string[], roomCount: number, perRoom: number) {
  const owner = await register(urls[0])
  const rooms: string[] = []
  for (let r = 0; r < roomCount; r++) {
    rooms.push((await createRoom(urls[0], { by: owner, name: uniqueName('load') })).id)
  }
  const sessions = await Promise.all(Array.from({ length: roomCount * perRoom }, () => register(urls[0])))
  const roomOf = (i: number) => rooms[i % roomCount]
  const clients = sessions.map((s, i) => new ChatClient(urls, s.token, [roomOf(i)], i))
  await Promise.all(clients.map((c) => c.start()))
  return { rooms, roomOf, clients }
}

/** Every client sends every `everyMs` until `stop()`; content is unique per logical message. */
function load(clients: ChatClient[], roomOf: (i: number) => string, everyMs: number) {
  let running = true
  let sent = 0
  const loops = clients.map(async (c, i) => {
    await sleep(Math.random() * everyMs)
    for (let n = 0; running; n++) {
      sent++
      await c.send(roomOf(i), `c${i}-m${n}-${clientMsgId()}`)
      await sleep(everyMs)
    }
  })
  return {
    sent: () => sent,
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}

describe('several instances behave as one', () => {
  test('exactly-once delivery on every instance; private rooms stay private; removal on A evicts on B', async () => {
    const [a, b, c] = await cluster(3)
    const alice = await register(a.url)
    const bob = await register(b.url)
    const carol = await register(c.url)
    const pub = (await a.room({ by: alice })).id
    const canary = `secret-${clientMsgId()}`
    const priv = (await a.room({ by: alice, name: canary, private: true, with: [bob] })).id

    // One socket per person per instance, all in the public room; alice and bob also in the private one.
    const sockets = {
      aliceA: await connect(a.url, alice.token),
      bobB: await connect(b.url, bob.token),
      bobC: await connect(c.url, bob.token),
      carolC: await connect(c.url, carol.token),
      guestB: await connect(b.url),
    }
    const received = new Map<string, number[]>()
    for (const [name, s] of Object.entries(sockets)) {
      received.set(name, [])
      s.on('message:created', (m) => {
        if (m.roomId === pub) received.get(name)?.push(m.seq)
      })
      assert.equal((await ack(s, 'room:join', pub)).ok, true)
    }
    for (const s of [sockets.aliceA, sockets.bobB, sockets.bobC])
      assert.equal((await ack(s, 'room:join', priv)).ok, true)
    const carolEvents = record(sockets.carolC)
    const guestEvents = record(sockets.guestB)

    const senders = [sockets.aliceA, sockets.bobB, sockets.carolC]
    const acks = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        ack(senders[i % 3], 'message:send', { roomId: pub, content: `p${i}`, clientMsgId: clientMsgId() }),
      ),
    )
    assert.ok(acks.every((r) => r.ok))
    for (let i = 0; i < 5; i++) {
      assert.equal(
        (
          await ack(sockets.aliceA, 'message:send', {
            roomId: priv,
            content: `${canary} ${i}`,
            clientMsgId: clientMsgId(),
          })
        ).ok,
        true,
      )
    }
    await eventually(() => [...received.values()].every((l) => l.length >= 30), 5000, 'public deliveries')
    await sleep(300)
    for (const [name, seqs] of received) {
      assert.deepEqual(
        [...seqs].sort((x, y) => x - y),
        Array.from({ length: 30 }, (_, i) => i + 1),
        `${name}: each message exactly once`,
      )
    }

    // Removal on A evicts bob's sockets on B and C at once.
    const evictedB = nextEvent(sockets.bobB, 'room:removed', (p) => p.roomId === priv)
    const evictedC = nextEvent(sockets.bobC, 'room:removed', (p) => p.roomId === priv)
    const bobAfter = record(sockets.bobB)
    assert.equal(
      (await api(a.url, 'DELETE', `/api/rooms/${priv}/participants/${bob.user.username}`, { token: alice.token }))
        .status,
      204,
    )
    const late = `${canary}-after-removal`
    assert.equal(
      (await ack(sockets.aliceA, 'message:send', { roomId: priv, content: late, clientMsgId: clientMsgId() })).ok,
      true,
    )
    await Promise.all([evictedB, evictedC])
    await sleep(400)
    assert.ok(!bobAfter.text().includes(late), 'removed participant received a message sent after the removal')
    for (const text of [carolEvents.text(), guestEvents.text()]) {
      assert.ok(!text.includes(canary) && !text.includes(priv), 'private room leaked to a non-participant')
    }
    for (const s of Object.values(sockets)) s.close()
  })

  test('presence counts distinct people across instances; logout cuts sockets on every instance', async () => {
    const [a, b] = await cluster(2)
    const alice = await register(a.url)
    const guest = (await api(a.url, 'POST', '/api/auth/guest')).body.token
    const sockets = [
      await connect(a.url, alice.token),
      await connect(b.url, alice.token), // same person on two instances
      await connect(a.url, guest),
      await connect(b.url, guest),
      await connect(b.url), // anonymous guest
    ]
    for (const s of [a, b]) {
      await eventually(
        async () => {
          const res = await api(s.url, 'GET', '/api/presence')
          return res.body.guests === 2 && res.body.users === 1
        },
        5000,
        'counts {guests:2, users:1} on every instance',
      )
    }
    // Logging out on A cuts alice's sockets on both instances.
    const cut = [sockets[0], sockets[1]].map((s) => new Promise((resolve) => s.once('disconnect', resolve)))
    const ended = nextEvent(sockets[1], 'session:ended')
    assert.equal((await api(a.url, 'POST', '/api/auth/logout', { token: alice.token })).status, 204)
    assert.deepEqual(await ended, { reason: 'revoked' })
    await Promise.all(cut)
    for (const s of sockets) s.close()
  })
})

describe('faults under load', () => {
  test(
    'crash: SIGKILL one of two instances mid-run — no acknowledged message lost, histories equal the database, presence converges',
    {
      timeout: 120_000,
    },
    async () => {
      const [a, b] = await cluster(2, { PRESENCE_TTL_SECONDS: '15', PRESENCE_HEARTBEAT_SECONDS: '5' })
      const { rooms, roomOf, clients } = await population([a.url, b.url], 5, 10) // 50 clients, half on each
      const ghosts = await Promise.all(Array.from({ length: 10 }, () => connect(a.url))) // guests that never come back
      await eventually(
        async () => (await api(b.url, 'GET', '/api/presence')).body.guests === 10,
        10_000,
        'guests counted',
      )
      const run = load(clients, roomOf, 400)
      const started = Date.now()
      await sleep(8_000)
      a.kill('SIGKILL')
      const killedAt = Date.now()
      await a.exited
      let convergedAfter = Number.NaN
      await eventually(
        async () => {
          const res = await api(b.url, 'GET', '/api/presence')
          const ok = res.body.guests === 0 && res.body.users === clients.length
          if (ok) convergedAfter = (Date.now() - killedAt) / 1000
          return ok
        },
        25_000,
        'presence converges after the crash',
      )
      const remaining = 22_000 - (Date.now() - started)
      if (remaining > 0) await sleep(remaining)
      await run.stop()
      const figures = await verify(clients, rooms, roomOf, 'crash')
      console.log(
        'crash test figures:',
        JSON.stringify({
          clients: clients.length,
          sent: run.sent(),
          ...figures,
          presenceConvergedSeconds: convergedAfter,
          sendSeconds: (Date.now() - started) / 1000,
        }),
      )
      assert.ok(convergedAfter <= 20, `presence converged in ${convergedAfter}s`)
      assert.ok(clients.filter((c) => c.connects > 1).length >= 20, 'clients of the killed instance failed over')
      for (const c of clients) c.stop()
      for (const g of ghosts) g.close()
    },
  )

  test('room presence drops the people of an instance killed with SIGKILL', { timeout: 60_000 }, async () => {
    const [a, b] = await cluster(2, { PRESENCE_TTL_SECONDS: '4', PRESENCE_HEARTBEAT_SECONDS: '1' })
    const xavier = await register(b.url)
    const yvonne = await register(b.url)
    const room = (await b.room({ by: yvonne })).id
    const onA = await connect(a.url, xavier.token)
    const onB = await connect(b.url, yvonne.token)
    const seen: string[][] = []
    onB.on('room:presence', (p) => {
      if (p.roomId === room) seen.push(p.users)
    })
    assert.equal((await ack(onA, 'room:join', room)).ok, true)
    assert.equal((await ack(onB, 'room:join', room)).ok, true)
    const both = [xavier.user.username, yvonne.user.username].sort()
    await eventually(() => JSON.stringify(seen.at(-1)) === JSON.stringify(both), 10_000, 'both in the room')
    onA.io.opts.reconnection = false
    a.kill('SIGKILL')
    await a.exited
    // Nobody joins or leaves from here on: only the reaping of the dead instance can correct the list.
    await eventually(
      () => JSON.stringify(seen.at(-1)) === JSON.stringify([yvonne.user.username]),
      20_000,
      'room presence without the dead instance',
    )
    onA.close()
    onB.close()
  })

  test(
    'Redis restart under load: sends keep being stored and acknowledged; fan-out resumes; clients fill the gap',
    {
      timeout: 90_000,
    },
    async () => {
      const redis = await startPrivateRedis()
      const [a, b] = await cluster(2, { REDIS_URL: redis.url })
      const { rooms, roomOf, clients } = await population([a.url, b.url], 4, 5)
      const run = load(clients, roomOf, 300)
      await sleep(3_000)
      await redis.stop()
      const ackedBefore = clients.reduce((n, c) => n + c.acked.length, 0)
      await sleep(3_000)
      const ackedDuringOutage = clients.reduce((n, c) => n + c.acked.length, 0) - ackedBefore
      const restarted = await startPrivateRedis(redis.port)
      await sleep(5_000)
      await run.stop()
      const figures = await verify(clients, rooms, roomOf, 'redis restart')
      console.log('redis restart figures:', JSON.stringify({ sent: run.sent(), ackedDuringOutage, ...figures }))
      assert.ok(ackedDuringOutage > 0, 'sends were acknowledged while Redis was down')
      // Live fan-out across instances works again.
      const x = await connect(a.url, (await register(a.url)).token)
      const y = await connect(b.url, (await register(b.url)).token)
      await ack(y, 'room:join', rooms[0])
      const seen = nextEvent(y, 'message:created', (m) => m.content === 'after-restart')
      assert.equal(
        (await ack(x, 'message:send', { roomId: rooms[0], content: 'after-restart', clientMsgId: clientMsgId() })).ok,
        true,
      )
      await seen
      x.close()
      y.close()
      for (const c of clients) c.stop()
      await restarted.stop()
    },
  )

  test(
    'rolling restart: SIGTERM each instance in turn under load — nothing acknowledged is lost',
    {
      timeout: 90_000,
    },
    async () => {
      const prefix = { REDIS_PREFIX: newPrefix() }
      const [a, b] = await cluster(2, prefix)
      const { rooms, roomOf, clients } = await population([a.url, b.url], 4, 5)
      const run = load(clients, roomOf, 300)
      for (const [i, instance] of [a, b].entries()) {
        await sleep(2_500)
        instance.kill('SIGTERM')
        assert.equal(await instance.exited, 0, `instance ${i} exits cleanly`)
        const again = await spawnServer({ ...prefix, PORT: String(instance.port) })
        processes.push(again)
      }
      await sleep(2_500)
      await run.stop()
      const figures = await verify(clients, rooms, roomOf, 'rolling restart')
      console.log('rolling restart figures:', JSON.stringify({ sent: run.sent(), ...figures }))
      for (const c of clients) c.stop()
    },
  )
})
