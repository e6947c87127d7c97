import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { api, register, startServer, type TestServer } from '../../test/helpers'

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
