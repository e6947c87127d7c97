// JWT suite (issue 7): every way a token can be bad is refused at the Socket.IO handshake and on REST
// (never downgraded to an anonymous guest, never a 500, nothing written); and a live socket is cut when its
// token expires or is revoked. The Origin check (cross-site WebSocket hijacking) is in
// ../realtime/handshake-origin.test.ts.
import assert from 'node:assert/strict'
import { createHmac, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import jwt from 'jsonwebtoken'
import { io as ioClient } from 'socket.io-client'
import {
  ack,
  api,
  type ClientSocket,
  clientMsgId,
  connect,
  LOBBY_ID,
  nextEvent,
  register,
  startServer,
  type TestServer,
} from '../../test/helpers'
import type { SessionDto } from '../contract/auth'

let server: TestServer
before(async () => {
  server = await startServer()
})
after(async () => {
  const passed = results.filter((r) => r.pass).length
  console.log(
    `JWT suite: ${TOKEN_CASES.length} bad tokens × (handshake, REST) = ${TOKEN_CASES.length * 2} checks, ` +
      `${passed} passed, ${results.length - passed} failed`,
  )
  for (const r of results.filter((x) => !x.pass)) console.log(`  FAILED ${r.name} (${r.where}): ${r.observed}`)
  await server.stop()
})

const b64 = (value: object | string) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const secret = () => server.config.JWT_SECRET
const inTenMinutes = () => Math.floor(Date.now() / 1000) + 600

/** Signs like the server does (HS256, issuer/audience 'parlor'); `options` override. */
function sign(payload: object, options: jwt.SignOptions = {}, key: jwt.Secret = secret()) {
  return jwt.sign(payload, key, { algorithm: 'HS256', issuer: 'parlor', audience: 'parlor', ...options })
}

/** A token assembled by hand: any header, any payload, HMAC-SHA256 with `key` (or no signature). */
function handmade(header: object, payload: object, key?: string, algorithm = 'sha256') {
  const input = `${b64(header)}.${b64(payload)}`
  const signature = key === undefined ? '' : createHmac(algorithm, key).update(input).digest('base64url')
  return `${input}.${signature}`
}

const userClaims = (sub: string, extra: object = {}) => ({
  kind: 'user',
  tv: 0,
  sub,
  iss: 'parlor',
  aud: 'parlor',
  exp: inTenMinutes(),
  ...extra,
})

const { privateKey: rsaKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })

type TokenCase = { name: string; make: (user: SessionDto) => Promise<string> | string }

/** Each is made for a fresh registered user (the token would be theirs if it were good). */
const TOKEN_CASES: TokenCase[] = [
  {
    name: 'alg none, no signature',
    make: ({ user }) => handmade({ alg: 'none', typ: 'JWT' }, userClaims(user.id)),
  },
  {
    name: 'alg none, signature of a real token kept',
    make: ({ user, token }) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(userClaims(user.id))}.${token.split('.')[2]}`,
  },
  { name: 'alg NONE (upper case)', make: ({ user }) => handmade({ alg: 'NONE', typ: 'JWT' }, userClaims(user.id)) },
  {
    name: 'HS256 header, signature stripped',
    make: ({ token }) => `${token.split('.').slice(0, 2).join('.')}.`,
  },
  {
    name: 'wrong secret',
    make: ({ user }) => sign({ kind: 'user', tv: 0 }, { subject: user.id, expiresIn: 600 }, 'x'.repeat(48)),
  },
  {
    name: 'tampered sub (another user, original signature)',
    make: async ({ token }) => {
      const victim = await register(server.url)
      const [header, payload, signature] = token.split('.')
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
      return `${header}.${b64({ ...claims, sub: victim.user.id })}.${signature}`
    },
  },
  {
    name: 'tampered exp (extended, original signature)',
    make: ({ user }) => {
      const short = sign({ kind: 'user', tv: 0 }, { subject: user.id, expiresIn: -60 })
      const [header, payload, signature] = short.split('.')
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
      return `${header}.${b64({ ...claims, exp: inTenMinutes() + 86_400 })}.${signature}`
    },
  },
  {
    name: 'expired',
    make: ({ user }) => sign({ kind: 'user', tv: 0 }, { subject: user.id, expiresIn: -10 }),
  },
  { name: 'no exp', make: ({ user }) => sign({ kind: 'user', tv: 0 }, { subject: user.id }) },
  {
    name: 'exp as a string',
    make: ({ user }) => handmade({ alg: 'HS256', typ: 'JWT' }, userClaims(user.id, { exp: '9999999999' }), secret()),
  },
  {
    name: 'future nbf',
    make: ({ user }) => sign({ kind: 'user', tv: 0 }, { subject: user.id, expiresIn: 600, notBefore: 3600 }),
  },
  {
    name: '8 kB token (correctly signed)',
    make: ({ user }) => {
      const token = sign({ kind: 'user', tv: 0, pad: 'x'.repeat(6000) }, { subject: user.id, expiresIn: 600 })
      assert.ok(token.length >= 8000, `token is ${token.length} characters`)
      return token
    },
  },
  {
    name: 'deleted user',
    make: async ({ user, token }) => {
      await server.prisma.user.delete({ where: { id: user.id } })
      return token
    },
  },
  {
    name: 'revoked by logout',
    make: async ({ token }) => {
      assert.equal((await api(server.url, 'POST', '/api/auth/logout', { token })).status, 204)
      return token
    },
  },
  {
    name: 'revoked by a password change',
    make: async ({ token }) => {
      const res = await api(server.url, 'POST', '/api/auth/password', {
        token,
        body: { currentPassword: 'correct horse battery', newPassword: 'another horse battery' },
      })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      return token
    },
  },
  {
    name: 'wrong issuer',
    make: ({ user }) => sign({ kind: 'user', tv: 0 }, { subject: user.id, expiresIn: 600, issuer: 'evil' }),
  },
  {
    name: 'wrong audience',
    make: ({ user }) => sign({ kind: 'user', tv: 0 }, { subject: user.id, expiresIn: 600, audience: 'other-app' }),
  },
  {
    name: 'no issuer, no audience',
    make: ({ user }) => jwt.sign({ kind: 'user', tv: 0 }, secret(), { subject: user.id, expiresIn: 600 }),
  },
  {
    name: 'HS512 with the right secret (HS256 is pinned)',
    make: ({ user }) => sign({ kind: 'user', tv: 0 }, { subject: user.id, expiresIn: 600, algorithm: 'HS512' }),
  },
  {
    name: 'HS384 with the right secret',
    make: ({ user }) => sign({ kind: 'user', tv: 0 }, { subject: user.id, expiresIn: 600, algorithm: 'HS384' }),
  },
  {
    name: 'RS256 signed with an attacker key',
    make: ({ user }) => sign({ kind: 'user', tv: 0 }, { subject: user.id, expiresIn: 600, algorithm: 'RS256' }, rsaKey),
  },
  {
    name: 'RS256 header, HMAC-signed with the secret (key confusion)',
    make: ({ user }) => handmade({ alg: 'RS256', typ: 'JWT' }, userClaims(user.id), secret()),
  },
  {
    name: 'sub not a UUID (correctly signed)',
    make: () => sign({ kind: 'user', tv: 0 }, { subject: "' OR 1=1 --", expiresIn: 600 }),
  },
  {
    name: 'sub missing',
    make: () => sign({ kind: 'user', tv: 0 }, { expiresIn: 600 }),
  },
  {
    name: 'sub an object',
    make: () => handmade({ alg: 'HS256', typ: 'JWT' }, userClaims('x', { sub: { contains: '' } }), secret()),
  },
  {
    name: 'kind missing',
    make: ({ user }) => sign({ tv: 0 }, { subject: user.id, expiresIn: 600 }),
  },
  {
    name: 'kind admin',
    make: ({ user }) => sign({ kind: 'admin', tv: 0 }, { subject: user.id, expiresIn: 600 }),
  },
  {
    name: 'tv missing',
    make: ({ user }) => sign({ kind: 'user' }, { subject: user.id, expiresIn: 600 }),
  },
  {
    name: 'tv a string',
    make: ({ user }) => sign({ kind: 'user', tv: '0' }, { subject: user.id, expiresIn: 600 }),
  },
  {
    name: 'tv ahead of the user’s token version',
    make: ({ user }) => sign({ kind: 'user', tv: 1 }, { subject: user.id, expiresIn: 600 }),
  },
  { name: 'a valid token with an extra segment', make: ({ token }) => `${token}.AAAA` },
  { name: 'not a JWT', make: () => 'not.a.token' },
  { name: 'random bytes', make: () => randomBytes(48).toString('base64url') },
]

const results: { name: string; where: string; pass: boolean; observed: string }[] = []

/** Connects with any `auth` payload; resolves with the refusal, or null when it connected. */
function handshake(auth: Record<string, unknown>): Promise<{ message: string; data?: any } | null> {
  const socket: ClientSocket = ioClient(server.url, {
    transports: ['websocket'],
    auth,
    reconnection: false,
    forceNew: true,
  })
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.close()
      resolve(null)
    })
    socket.once('connect_error', (err: any) => {
      socket.close()
      resolve(err)
    })
  })
}

async function assertRestRefuses(token: string) {
  const marker = clientMsgId()
  const attempts = [
    ['GET /api/auth/me', await api(server.url, 'GET', '/api/auth/me', { token })],
    // An optional-auth route: a bad token must not be downgraded to an anonymous guest.
    ['GET /api/rooms', await api(server.url, 'GET', '/api/rooms', { token })],
    [
      'POST /api/rooms/:lobby/messages',
      await api(server.url, 'POST', `/api/rooms/${LOBBY_ID}/messages`, {
        token,
        body: { content: 'should not be stored', clientMsgId: marker },
      }),
    ],
  ] as const
  for (const [what, res] of attempts) {
    assert.equal(res.status, 401, `${what}: ${JSON.stringify(res.body)}`)
    assert.equal(res.body?.error?.code, 'unauthenticated', what)
    assert.equal(typeof res.body.error.message, 'string', what)
  }
  assert.equal(await server.prisma.message.count({ where: { clientMsgId: marker } }), 0, 'nothing stored')
}

describe('bad tokens', () => {
  test('control: a good token is accepted at the handshake and on REST', async () => {
    const { token } = await register(server.url)
    assert.equal(await handshake({ token }), null)
    assert.equal((await api(server.url, 'GET', '/api/auth/me', { token })).status, 200)
    const res = await api(server.url, 'POST', `/api/rooms/${LOBBY_ID}/messages`, {
      token,
      body: { content: 'control', clientMsgId: clientMsgId() },
    })
    assert.equal(res.status, 201)
  })

  for (const k of TOKEN_CASES) {
    for (const where of ['handshake', 'REST'] as const) {
      test(`${k.name}: refused ${where === 'handshake' ? 'at the Socket.IO handshake' : 'on REST'}`, async () => {
        const result = { name: k.name, where, pass: false, observed: '' }
        results.push(result)
        const token = await k.make(await register(server.url))
        try {
          if (where === 'handshake') {
            const err = await handshake({ token })
            result.observed = err ? `refused ${JSON.stringify(err.data)}` : 'connected'
            assert.ok(err, 'the handshake succeeded')
            assert.equal(err.data?.code, 'unauthenticated')
            assert.equal(typeof err.data?.message, 'string')
          } else {
            await assertRestRefuses(token)
          }
          result.pass = true
        } catch (err) {
          result.observed ||= err instanceof Error ? err.message.split('\n')[0] : String(err)
          throw err
        }
      })
    }
  }

  for (const [name, value] of [
    ['a number', 12345],
    ['an object', { contains: '' }],
    ['an array', ['a.b.c']],
    ['true', true],
  ] as const) {
    test(`a token that is ${name} is refused at the handshake`, async () => {
      const err = await handshake({ token: value })
      assert.ok(err, 'the handshake succeeded')
      assert.equal(err.data?.code, 'unauthenticated')
    })
  }

  for (const [name, header] of [
    ['a Basic scheme', `Basic ${Buffer.from('admin:admin').toString('base64')}`],
    ['an empty Bearer', 'Bearer '],
    ['Bearer with garbage', 'Bearer !!!'],
    ['no scheme', 'eyJhbGciOiJIUzI1NiJ9.e30.x'],
  ] as const) {
    test(`an Authorization header with ${name} gets 401 on REST`, async () => {
      for (const path of ['/api/auth/me', '/api/rooms']) {
        const res = await api(server.url, 'GET', path, { headers: { authorization: header } })
        assert.equal(res.status, 401, path)
        assert.equal(res.body.error.code, 'unauthenticated')
      }
    })
  }
})

describe('live sockets', () => {
  test('a user socket is cut when its token expires', async () => {
    const { user } = await register(server.url)
    const token = sign({ kind: 'user', tv: 0 }, { subject: user.id, expiresIn: 3 })
    const socket = await connect(server.url, token)
    const ended = nextEvent(socket, 'session:ended', () => true, 15_000)
    const disconnected = new Promise<string>((resolve) => socket.on('disconnect', resolve))
    assert.equal((await ack(socket, 'room:join', LOBBY_ID)).ok, true, 'works while the token is valid')
    assert.deepEqual(await ended, { reason: 'expired' })
    assert.equal(await disconnected, 'io server disconnect')
    const again = await handshake({ token })
    assert.equal(again?.data?.code, 'unauthenticated', 'the expired token cannot reconnect')
    socket.close()
  })

  test('a guest socket is cut when its guest token expires', async () => {
    const token = sign({ kind: 'guest' }, { subject: randomUUID(), expiresIn: 2 })
    const socket = await connect(server.url, token)
    const ended = nextEvent(socket, 'session:ended', () => true, 15_000)
    const disconnected = new Promise<string>((resolve) => socket.on('disconnect', resolve))
    assert.deepEqual(await ended, { reason: 'expired' })
    assert.equal(await disconnected, 'io server disconnect')
    socket.close()
  })

  test('a password change cuts every live socket of the user; the new token works', async () => {
    const { token } = await register(server.url)
    const tabs = await Promise.all([connect(server.url, token), connect(server.url, token)])
    const ended = tabs.map((t) => nextEvent(t, 'session:ended', () => true, 10_000))
    const gone = tabs.map((t) => new Promise<string>((resolve) => t.on('disconnect', resolve)))
    const res = await api(server.url, 'POST', '/api/auth/password', {
      token,
      body: { currentPassword: 'correct horse battery', newPassword: 'another horse battery' },
    })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    for (const e of await Promise.all(ended)) assert.deepEqual(e, { reason: 'revoked' })
    for (const reason of await Promise.all(gone)) assert.equal(reason, 'io server disconnect')
    assert.equal((await api(server.url, 'GET', '/api/auth/me', { token: res.body.token })).status, 200)
    assert.equal(await handshake({ token: res.body.token }), null)
    for (const t of tabs) t.close()
  })
})
