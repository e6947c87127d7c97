// The handshake / REST user lookup cache (viewer-cache.ts) across two instances joined through Redis:
// it is used, and every change that revokes a token or changes what a viewer carries reaches the
// other instance's cache.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type pg from 'pg'
import { LOBBY_ID } from '../contract/limits'
import {
  ack,
  api,
  clientMsgId,
  connect,
  countStatements,
  eventually,
  handshakeError,
  newPrefix,
  register,
  startServer,
  startTcpProxy,
  testEnv,
  type TestServer,
  uniqueName,
} from '../../test/helpers'
import { HARNESS_PASSWORD } from '../../test/harness'

/** Counts the user lookups (`resolveViewer`'s statement) each pool runs. */
const countLookups = (pool: pg.Pool) => countStatements(pool, (text) => text.includes('FROM "User" WHERE "id"'))

const me = (server: TestServer, token: string) => api(server.url, 'GET', '/api/auth/me', { token })

describe('viewer cache across instances', () => {
  let a: TestServer
  let b: TestServer
  let lookupsOnB: { readonly n: number }
  before(async () => {
    const prefix = newPrefix()
    a = await startServer({ REDIS_PREFIX: prefix })
    b = await startServer({ REDIS_PREFIX: prefix })
    lookupsOnB = countLookups(b.pool)
  })
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()])
  })

  /** Signs a new user up on A and gets them into B's cache; returns the session. */
  async function cachedOnB() {
    const session = await register(a.url)
    assert.equal((await me(b, session.token)).status, 200)
    return session
  }

  test('a second handshake or request of the same user on an instance does not look the user up again', async () => {
    const session = await register(a.url)
    const before = lookupsOnB.n
    assert.equal((await me(b, session.token)).status, 200)
    assert.equal(lookupsOnB.n, before + 1, 'the first request reads the user')
    assert.equal((await me(b, session.token)).status, 200)
    const socket = await connect(b.url, session.token)
    socket.close()
    assert.equal(lookupsOnB.n, before + 1, 'the second request and the handshake are served from the cache')
  })

  for (const [name, revoke] of [
    [
      'password change',
      (token: string) =>
        api(a.url, 'POST', '/api/auth/password', {
          token,
          body: { currentPassword: HARNESS_PASSWORD, newPassword: 'another good passphrase' },
        }),
    ],
    ['sign out others', (token: string) => api(a.url, 'POST', '/api/auth/logout-others', { token })],
    ['log out', (token: string) => api(a.url, 'POST', '/api/auth/logout', { token })],
  ] as const) {
    test(`${name} on A: the old token stops working on B (request and handshake), a new one works`, async () => {
      const session = await cachedOnB()
      const res = await revoke(session.token)
      assert.ok(res.status === 200 || res.status === 204, `${name}: ${res.status}`)
      await eventually(async () => (await me(b, session.token)).status === 401, 5000, 'old token refused on B')
      assert.equal((await handshakeError(b.url, session.token))?.message, 'unauthenticated')
      if (res.status === 200) {
        const fresh = (res.body as { token: string }).token
        assert.equal((await me(b, fresh)).status, 200)
        assert.equal(await handshakeError(b.url, fresh), null)
      }
    })
  }

  test('account deletion on A: its token stops working on B', async () => {
    const session = await cachedOnB()
    const res = await api(a.url, 'DELETE', '/api/auth/account', {
      token: session.token,
      body: { currentPassword: HARNESS_PASSWORD },
    })
    assert.equal(res.status, 204)
    await eventually(async () => (await me(b, session.token)).status === 401, 5000, 'deleted user refused on B')
    assert.equal((await handshakeError(b.url, session.token))?.message, 'unauthenticated')
  })

  test('email change on A: what B says about the viewer carries the new email', async () => {
    const session = await cachedOnB()
    const email = `${uniqueName('new')}@example.com`
    const res = await api(a.url, 'POST', '/api/auth/email', {
      token: session.token,
      body: { email, currentPassword: HARNESS_PASSWORD },
    })
    assert.equal(res.status, 200)
    // The viewer's email is what an ephemeral message carries (sessions are kept by an email change).
    const emailOnB = async () => {
      const socket = await connect(b.url, session.token)
      try {
        const sent = await ack<{ message: { email: string } }>(socket, 'ephemeral:send', {
          roomId: LOBBY_ID,
          content: 'hello',
          clientMsgId: clientMsgId(),
        })
        assert.ok(sent.ok, JSON.stringify(sent))
        return sent.message.email
      } finally {
        socket.close()
      }
    }
    await eventually(async () => (await emailOnB()) === email, 5000, 'B carries the new email')
  })
})

describe('viewer cache and a lost Redis link', () => {
  test('changes missed while the subscription was down are not served from the cache afterwards', async () => {
    const redis = new URL(testEnv.redisUrl)
    const proxy = await startTcpProxy(`${redis.hostname}:${redis.port || 6379}`)
    const prefix = newPrefix()
    const a = await startServer({ REDIS_PREFIX: prefix })
    const b = await startServer({ REDIS_PREFIX: prefix, REDIS_URL: `redis://127.0.0.1:${proxy.port}` })
    const lookups = countLookups(b.pool)
    try {
      const session = await register(a.url)
      assert.equal((await me(b, session.token)).status, 200) // cached on B

      proxy.cut() // B misses what A publishes from here on
      const res = await api(a.url, 'POST', '/api/auth/logout-others', { token: session.token })
      assert.equal(res.status, 200)
      proxy.restore()

      // Wait until B's cache is in use again (its subscription is back): a second request of another
      // user does not read the user again.
      const probe = await register(a.url)
      await eventually(
        async () => {
          assert.equal((await me(b, probe.token)).status, 200)
          const n = lookups.n
          assert.equal((await me(b, probe.token)).status, 200)
          return lookups.n === n
        },
        10_000,
        "B's cache in use again",
      )
      assert.equal((await me(b, session.token)).status, 401, 'the missed revocation is not hidden by the cache')
    } finally {
      await Promise.all([a.stop(), b.stop()])
      await proxy.stop()
    }
  })
})
