// Rate limits at their real sizes (RATE_LIMIT_SCALE=1), kept in Redis and shared by instances.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { MessageDto } from '../contract/messages'
import { LIMITS } from './limits'
import {
  ack,
  api,
  clientMsgId,
  connect,
  eventually,
  LOBBY_ID,
  newPrefix,
  sleep,
  startServer,
  type TestServer,
  uniqueName,
} from '../../test/helpers'

const password = 'correct horse battery'
let a: TestServer
let b: TestServer
before(async () => {
  // Two instances sharing one Redis prefix: limits must count across them.
  const shared = { RATE_LIMIT_SCALE: '1', REDIS_PREFIX: newPrefix() }
  a = await startServer(shared)
  b = await startServer(shared)
})
after(async () => {
  await a.stop()
  await b.stop()
})

/** Registers without going through the (limited) register route. */
async function directUser(server: TestServer) {
  const username = uniqueName('rl')
  const res = await api(server.url, 'POST', '/api/auth/register', {
    body: { username, email: `${username}@example.com`, password },
    headers: { 'x-forwarded-for': `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` },
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body as { token: string; user: { username: string; id: string } }
}

describe('logins', () => {
  test('300 failed logins on one account are throttled, across instances, before bcrypt — even the right password waits', async () => {
    const { user } = await directUser(a)
    const statuses: number[] = []
    for (let i = 0; i < 300; i++) {
      const server = i % 2 ? b : a
      const res = await api(server.url, 'POST', '/api/auth/login', {
        body: { login: user.username, password: `wrong-${i}` },
        headers: { 'x-forwarded-for': `10.1.${i % 250}.${i % 7}` }, // many addresses: the per-account limit does it
      })
      statuses.push(res.status)
    }
    const failures = statuses.filter((s) => s === 401).length
    const limited = statuses.filter((s) => s === 429).length
    assert.equal(failures, LIMITS.loginAccount.points)
    assert.equal(limited, 300 - LIMITS.loginAccount.points)
    const right = await api(b.url, 'POST', '/api/auth/login', { body: { login: user.username, password } })
    assert.equal(right.status, 429)
    assert.equal(right.body.error.code, 'rate_limited')
    assert.ok(right.body.error.retryAfter > 0)
    assert.ok(Number(right.headers.get('retry-after')) > 0)
  })

  test('logins from one address are limited', async () => {
    const ip = '10.2.3.4'
    let limitedAt = -1
    for (let i = 0; i < LIMITS.loginIp.points + 5; i++) {
      const res = await api(a.url, 'POST', '/api/auth/login', {
        body: { login: uniqueName('nobody'), password: 'whatever-1' },
        headers: { 'x-forwarded-for': ip },
      })
      if (res.status === 429) {
        limitedAt = i
        break
      }
    }
    assert.equal(limitedAt, LIMITS.loginIp.points)
  })
})

test('registrations from one address are limited', async () => {
  const ip = '10.3.4.5'
  const statuses: number[] = []
  for (let i = 0; i < LIMITS.registerIp.points + 2; i++) {
    const username = uniqueName('reg')
    const res = await api(i % 2 ? b.url : a.url, 'POST', '/api/auth/register', {
      body: { username, email: `${username}@example.com`, password },
      headers: { 'x-forwarded-for': ip },
    })
    statuses.push(res.status)
  }
  assert.equal(statuses.filter((s) => s === 201).length, LIMITS.registerIp.points)
  assert.deepEqual(statuses.slice(-2), [429, 429])
})

test('flood: a socket sending 1000 events/s is limited while other clients keep chatting', async () => {
  const flooder = await directUser(a)
  const alice = await directUser(a)
  const bob = await directUser(b)
  const f = await connect(a.url, flooder.token)
  const x = await connect(a.url, alice.token)
  const y = await connect(b.url, bob.token)
  await ack(y, 'room:join', LOBBY_ID)
  const bobGot: MessageDto[] = []
  y.on('message:created', (m) => {
    if (m.author?.id === alice.user.id) bobGot.push(m)
  })

  const flood: Promise<{ ok: boolean; error?: { code: string } }>[] = []
  // 1000 events in bursts of 10 every 10 ms (about 1000/s; a fixed count, however busy the machine).
  for (let burst = 0; burst < 100; burst++) {
    for (let i = 0; i < 10; i++) {
      flood.push(
        f
          .timeout(10_000)
          .emitWithAck('message:send', { roomId: LOBBY_ID, content: 'flood', clientMsgId: clientMsgId() }),
      )
    }
    await sleep(10)
  }
  // Meanwhile alice talks to bob through the other instance.
  for (let i = 0; i < 5; i++) {
    assert.equal(
      (await ack(x, 'message:send', { roomId: LOBBY_ID, content: `hi ${i}`, clientMsgId: clientMsgId() })).ok,
      true,
    )
  }
  const results = await Promise.all(flood)
  const ok = results.filter((r) => r.ok).length
  const limited = results.filter((r) => !r.ok && r.error?.code === 'rate_limited').length
  console.log('flood figures:', JSON.stringify({ events: results.length, stored: ok, limited }))
  assert.equal(results.length, 1000)
  assert.equal(ok, LIMITS.messageBurst.points)
  assert.equal(limited, results.length - ok)
  await eventually(() => bobGot.length === 5, 5000, "bob receives alice's messages")
  assert.equal((await api(a.url, 'GET', '/healthz')).status, 200)
  const stored = await a.prisma.message.count({ where: { authorId: flooder.user.id } })
  assert.equal(stored, LIMITS.messageBurst.points)
  for (const s of [f, x, y]) s.close()
})

test('a person sending through two instances is held to the cluster-wide message limit (a send or two over per instance at most)', async () => {
  const sender = await directUser(a)
  const onA = await connect(a.url, sender.token)
  const onB = await connect(b.url, sender.token)
  const results: boolean[] = []
  for (let i = 0; i < 4 * LIMITS.messageBurst.points; i++) {
    const socket = i % 2 === 0 ? onA : onB
    const res = await ack(socket, 'message:send', { roomId: LOBBY_ID, content: `two ${i}`, clientMsgId: clientMsgId() })
    results.push(res.ok)
    if (!res.ok) assert.equal(res.error.code, 'rate_limited')
  }
  const stored = await a.prisma.message.count({ where: { authorId: sender.user.id } })
  console.log('two-instance figures:', JSON.stringify({ sent: results.length, stored }))
  assert.equal(stored, results.filter(Boolean).length)
  // Counted per instance only, the two would allow twice the limit; shared, a send or two more per
  // instance at most (one while Redis's answer is on its way back).
  assert.ok(stored >= LIMITS.messageBurst.points, `stored ${stored}`)
  assert.ok(stored <= LIMITS.messageBurst.points + 4, `stored ${stored}`)
  onA.close()
  onB.close()
})

test('room joins and typing are limited per person', async () => {
  const u = await directUser(a)
  const s = await connect(a.url, u.token)
  const joins = []
  for (let i = 0; i < LIMITS.roomJoin.points + 3; i++) joins.push(await ack(s, 'room:join', LOBBY_ID))
  assert.equal(joins.filter((r) => r.ok).length, LIMITS.roomJoin.points)
  assert.equal(joins.at(-1)?.ok === false && joins.at(-1)?.error.code, 'rate_limited')
  const typing = []
  for (let i = 0; i < LIMITS.typing.points + 3; i++)
    typing.push(await ack(s, 'typing:set', { roomId: LOBBY_ID, typing: i % 2 === 0 }))
  assert.equal(typing.filter((r) => r.ok).length, LIMITS.typing.points)
  s.close()
})

// Votes and reactions (issue 16) are limited like messages: a burst per person, from every instance's count.
test('votes and reactions are limited per person like messages', async () => {
  const u = await directUser(a)
  const s = await connect(a.url, u.token)
  const sent = await ack(s, 'message:send', { roomId: LOBBY_ID, content: 'vote on me', clientMsgId: clientMsgId() })
  assert.equal(sent.ok, true)
  const target = { roomId: LOBBY_ID, messageId: sent.message.id }
  const toggles = []
  for (let i = 0; i < LIMITS.toggleBurst.points + 3; i++) {
    toggles.push(await ack(s, i % 2 ? 'message:react' : 'message:vote', { ...target, vote: 'up', emoji: '👍' }))
  }
  assert.equal(toggles.filter((r) => r.ok).length, LIMITS.toggleBurst.points)
  const last = toggles.at(-1)
  assert.equal(last?.ok === false && last.error.code, 'rate_limited')
  assert.ok(last?.ok === false && (last.error.retryAfter ?? 0) >= 1)
  s.close()
})

test('connections per address are capped', async () => {
  const server = await startServer({ MAX_CONNECTIONS_PER_IP: '3' })
  try {
    const open = await Promise.all([1, 2, 3].map(() => connect(server.url)))
    await assert.rejects(connect(server.url), (err: { data?: { code: string } }) => err.data?.code === 'rate_limited')
    open[0].close()
    await sleep(100)
    const again = await connect(server.url)
    for (const s of [...open, again]) s.close()
  } finally {
    await server.stop()
  }
})

// Search (issue 17)
test('search is limited per user and per guest, across instances, with retryAfter', async () => {
  const user = await directUser(a)
  const guest = (await api(a.url, 'POST', '/api/auth/guest')).body as { token: string } | null
  for (const token of [user.token, guest?.token].filter(Boolean) as string[]) {
    const statuses: number[] = []
    for (let i = 0; i < LIMITS.search.points + 2; i++) {
      const res = await api(i % 2 ? b.url : a.url, 'GET', `/api/search?q=anything${i}`, { token })
      statuses.push(res.status)
      if (res.status === 429) assert.ok(res.body.error.retryAfter > 0)
    }
    assert.equal(statuses.filter((s) => s === 200).length, LIMITS.search.points)
    assert.deepEqual(statuses.slice(-2), [429, 429])
  }
})
