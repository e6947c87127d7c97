import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { api, connect, register, startServer, type TestServer } from '../../test/helpers'
import { LOBBY_ID } from '../contract/limits'

let server: TestServer
before(async () => {
  server = await startServer()
})
after(() => server.stop())

test('/healthz and /readyz', async () => {
  assert.deepEqual((await api(server.url, 'GET', '/healthz')).body, { status: 'ok' })
  const ready = await api(server.url, 'GET', '/readyz')
  assert.equal(ready.status, 200)
  assert.deepEqual(ready.body.checks, { database: 'ok', redis: 'ok' })
})

test('unknown API paths answer a JSON 404', async () => {
  const res = await api(server.url, 'GET', '/api/nope')
  assert.equal(res.status, 404)
  assert.equal(res.body.error.code, 'not_found')
})

test('bodies over the JSON limit get 413 and nothing is stored', async () => {
  const { token } = await register(server.url)
  const res = await api(server.url, 'POST', '/api/rooms', {
    token,
    body: { name: 'big', description: 'x'.repeat(100_000) },
  })
  assert.equal(res.status, 413)
  assert.equal(res.body.error.code, 'payload_too_large')
  assert.equal(await server.prisma.room.count({ where: { name: 'big' } }), 0)
})

test('security headers: CSP, no x-powered-by, request id', async () => {
  const res = await api(server.url, 'GET', '/healthz')
  const csp = res.headers.get('content-security-policy') ?? ''
  for (const part of [
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "connect-src 'self'",
  ]) {
    assert.ok(csp.includes(part), part)
  }
  assert.equal(res.headers.get('x-powered-by'), null)
  assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/)
})

test('errors never leak internals', async () => {
  const res = await api(server.url, 'GET', '/api/rooms/not-a-uuid')
  assert.equal(res.status, 400)
  assert.deepEqual(Object.keys(res.body), ['error'])
  assert.ok(!JSON.stringify(res.body).includes('prisma'))
})

test('/metrics exposes sockets, messages, ack latency, rate-limit hits and errors', async () => {
  const { token } = await register(server.url)
  const socket = await connect(server.url, token)
  const res = await socket.timeout(5000).emitWithAck('message:send', {
    roomId: LOBBY_ID,
    content: 'counted',
    clientMsgId: `m${Date.now()}`,
  })
  assert.equal(res.ok, true)
  await socket.timeout(5000).emitWithAck('room:join', 'not-an-id')
  ;(socket as unknown as { emit(event: string): void }).emit('no:such:event')
  await new Promise((r) => setTimeout(r, 100))
  const text = await (await fetch(`${server.url}/metrics`)).text()
  /** The value of the first sample of `name` carrying all `labels` (label order does not matter). */
  const value = (name: string, labels: Record<string, string> = {}) => {
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    return Number(line?.split(' ').at(-1) ?? Number.NaN)
  }
  assert.ok(value('parlor_sockets', { kind: 'user' }) >= 1)
  assert.ok(value('parlor_messages_sent_total') >= 1)
  assert.ok(value('parlor_ack_latency_seconds_count', { event: 'message:send' }) >= 1)
  assert.ok(value('parlor_errors_total', { code: 'invalid_input', transport: 'socket' }) >= 1)
  assert.ok(value('parlor_unknown_events_total') >= 1)
  assert.match(text, /parlor_rate_limited_total/)
  assert.match(text, /parlor_messages_delivered_total/)
  socket.close()
})

test('logs carry request ids but never passwords or tokens', async () => {
  const logs: string[] = []
  const logged = await startServer({ LOG_LEVEL: 'debug' }, { logs })
  try {
    const password = 'a-very-secret-password-123'
    const username = `logcheck_${Date.now().toString(36)}`
    const reg = await api(logged.url, 'POST', '/api/auth/register', {
      body: { username, email: `${username}@example.com`, password },
    })
    assert.equal(reg.status, 201)
    await api(logged.url, 'POST', '/api/auth/login', { body: { login: username, password } })
    await api(logged.url, 'POST', '/api/auth/login', { body: { login: username, password: `${password}-wrong` } })
    await api(logged.url, 'GET', '/api/auth/me', { token: reg.body.token })
    await api(logged.url, 'GET', `/api/rooms?token=${reg.body.token}`)
    const socket = await connect(logged.url, reg.body.token)
    socket.close()
    await new Promise((r) => setTimeout(r, 100))
    const text = logs.join('')
    assert.ok(logs.length >= 4, 'requests were logged')
    assert.match(text, /"reqId"|"req":\{"id":"[0-9a-f-]{36}"/)
    assert.ok(!text.includes(password), 'a password reached the logs')
    assert.ok(!text.includes(reg.body.token), 'a token reached the logs')
    assert.ok(!text.includes(reg.body.token.split('.')[2]), 'a token signature reached the logs')
  } finally {
    await logged.stop()
  }
})
