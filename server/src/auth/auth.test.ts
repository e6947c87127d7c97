import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import jwt from 'jsonwebtoken'
import {
  api,
  connect,
  handshakeError,
  nextEvent,
  register,
  startServer,
  type TestServer,
  uniqueName,
} from '../../test/helpers'

let server: TestServer
before(async () => {
  server = await startServer()
})
after(() => server.stop())

const password = 'correct horse battery'

describe('register', () => {
  test('creates an account and returns a working token', async () => {
    const username = uniqueName('Reg')
    const res = await api(server.url, 'POST', '/api/auth/register', {
      body: { username, email: `${username}@Example.com`, password },
    })
    assert.equal(res.status, 201)
    assert.equal(res.body.user.username, username.toLowerCase())
    assert.equal(res.body.user.email, `${username.toLowerCase()}@example.com`)
    assert.equal(res.body.user.passwordHash, undefined)
    const me = await api(server.url, 'GET', '/api/auth/me', { token: res.body.token })
    assert.equal(me.status, 200)
    assert.equal(me.body.user.id, res.body.user.id)
    const row = await server.prisma.user.findUniqueOrThrow({ where: { id: res.body.user.id } })
    assert.match(row.passwordHash, /^\$2[aby]\$04\$/, 'bcrypt hash with the configured cost')
  })

  const invalid: [string, Record<string, unknown>, string[]][] = [
    ['short username', { username: 'ab', email: 'ab@example.com', password }, ['username']],
    ['long username', { username: 'a'.repeat(33), email: 'x@example.com', password }, ['username']],
    ['username with space', { username: 'bad name', email: 'x@example.com', password }, ['username']],
    ['homoglyph username', { username: 'аlice', email: 'x@example.com', password }, ['username']],
    ['bad email', { username: uniqueName(), email: 'not-an-email', password }, ['email']],
    ['short password', { username: uniqueName(), email: 'x@example.com', password: 'short' }, ['password']],
    [
      'password over 72 bytes',
      { username: uniqueName(), email: 'x@example.com', password: 'é'.repeat(37) },
      ['password'],
    ],
    ['everything missing', {}, ['username', 'email', 'password']],
    ['wrong types', { username: 42, email: ['x'], password: { a: 1 } }, ['username', 'email', 'password']],
  ]
  for (const [name, body, fields] of invalid) {
    test(`400 for ${name}, naming ${fields.join(', ')}`, async () => {
      const res = await api(server.url, 'POST', '/api/auth/register', { body })
      assert.equal(res.status, 400)
      assert.equal(res.body.error.code, 'invalid_input')
      assert.deepEqual(Object.keys(res.body.error.fields).sort(), [...fields].sort())
    })
  }

  test('400 for a body that is not JSON', async () => {
    const res = await api(server.url, 'POST', '/api/auth/register', {
      body: '{"username":',
      headers: { 'content-type': 'application/json' },
    })
    assert.equal(res.status, 400)
    assert.equal(res.body.error.code, 'invalid_input')
  })

  test('409 for a duplicate username in another case, and for a duplicate email', async () => {
    const first = await register(server.url)
    const sameName = await api(server.url, 'POST', '/api/auth/register', {
      body: { username: first.user.username.toUpperCase(), email: `${uniqueName()}@example.com`, password },
    })
    assert.equal(sameName.status, 409)
    assert.equal(sameName.body.error.code, 'conflict')
    assert.ok(sameName.body.error.fields.username)
    const sameEmail = await api(server.url, 'POST', '/api/auth/register', {
      body: { username: uniqueName(), email: first.user.email.toUpperCase(), password },
    })
    assert.equal(sameEmail.status, 409)
    assert.ok(sameEmail.body.error.fields.email)
  })
})

describe('login', () => {
  test('by username or email, any case', async () => {
    const { user } = await register(server.url)
    for (const login of [user.username, user.email, user.email.toUpperCase()]) {
      const res = await api(server.url, 'POST', '/api/auth/login', { body: { login, password } })
      assert.equal(res.status, 200, login)
      assert.equal(res.body.user.id, user.id)
      assert.ok(res.body.token)
    }
  })

  test('wrong password and unknown user get the same 401', async () => {
    const { user } = await register(server.url)
    const wrong = await api(server.url, 'POST', '/api/auth/login', {
      body: { login: user.username, password: 'nope-nope-nope' },
    })
    const unknown = await api(server.url, 'POST', '/api/auth/login', { body: { login: uniqueName(), password } })
    assert.equal(wrong.status, 401)
    assert.deepEqual(wrong.body, unknown.body)
    assert.equal(wrong.body.error.code, 'invalid_credentials')
  })

  test('400 for missing fields', async () => {
    const res = await api(server.url, 'POST', '/api/auth/login', { body: { login: '' } })
    assert.equal(res.status, 400)
    assert.deepEqual(Object.keys(res.body.error.fields).sort(), ['login', 'password'])
  })
})

describe('tokens', () => {
  const sign = (payload: object, secret: string, options: jwt.SignOptions = {}) =>
    jwt.sign(payload, secret, { issuer: 'parlor', audience: 'parlor', ...options })

  async function badTokens() {
    const { user } = await register(server.url)
    const secret = server.config.JWT_SECRET
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
    const body = Buffer.from(
      JSON.stringify({
        kind: 'user',
        tv: 0,
        sub: user.id,
        iss: 'parlor',
        aud: 'parlor',
        exp: Math.floor(Date.now() / 1000) + 600,
      }),
    ).toString('base64url')
    return {
      expired: sign({ kind: 'user', tv: 0 }, secret, { subject: user.id, expiresIn: -10 }),
      'wrong secret': sign({ kind: 'user', tv: 0 }, 'x'.repeat(40), { subject: user.id, expiresIn: 600 }),
      'alg none': `${header}.${body}.`,
      'no exp': sign({ kind: 'user', tv: 0 }, secret, { subject: user.id }),
      'wrong audience': sign({ kind: 'user', tv: 0 }, secret, { subject: user.id, expiresIn: 600, audience: 'other' }),
      garbage: 'not.a.token',
    }
  }

  test('bad tokens are refused on REST with 401', async () => {
    for (const [name, token] of Object.entries(await badTokens())) {
      const res = await api(server.url, 'GET', '/api/auth/me', { token })
      assert.equal(res.status, 401, name)
      assert.equal(res.body.error.code, 'unauthenticated', name)
    }
  })

  test('bad tokens are refused on the socket handshake', async () => {
    for (const [name, token] of Object.entries(await badTokens())) {
      const err = await handshakeError(server.url, token)
      assert.ok(err, `${name} should be refused`)
      assert.equal(err.data?.code, 'unauthenticated', name)
    }
  })

  test('a valid token authenticates the socket as that user', async () => {
    const { token } = await register(server.url)
    const socket = await connect(server.url, token)
    assert.ok(socket.connected)
    socket.close()
  })

  test('logout revokes every token of the user and cuts their sockets', async () => {
    const { token } = await register(server.url)
    const socket = await connect(server.url, token)
    const ended = new Promise((resolve) => socket.on('session:ended', resolve))
    const disconnected = new Promise((resolve) => socket.on('disconnect', resolve))
    const res = await api(server.url, 'POST', '/api/auth/logout', { token })
    assert.equal(res.status, 204)
    assert.deepEqual(await ended, { reason: 'revoked' })
    await disconnected
    assert.equal((await api(server.url, 'GET', '/api/auth/me', { token })).status, 401)
    assert.ok(await handshakeError(server.url, token))
  })
})

describe('guests', () => {
  test('a guest token identifies a guest, who cannot use user routes', async () => {
    const res = await api(server.url, 'POST', '/api/auth/guest')
    assert.equal(res.status, 201)
    assert.ok(res.body.guestId)
    const me = await api(server.url, 'GET', '/api/auth/me', { token: res.body.token })
    assert.equal(me.status, 401)
    const socket = await connect(server.url, res.body.token)
    assert.ok(socket.connected)
    socket.close()
  })
})

describe('password change', () => {
  test('needs the current password, returns a new session and ends every other one', async () => {
    const { token, user } = await register(server.url)
    const wrong = await api(server.url, 'POST', '/api/auth/password', {
      token,
      body: { currentPassword: 'not-my-password', newPassword: 'a new long password' },
    })
    assert.equal(wrong.status, 401)
    assert.equal(wrong.body.error.fields.currentPassword, 'is wrong')
    const weak = await api(server.url, 'POST', '/api/auth/password', {
      token,
      body: { currentPassword: password, newPassword: 'short' },
    })
    assert.equal(weak.status, 400)
    assert.ok(weak.body.error.fields.newPassword)

    const socket = await connect(server.url, token)
    const ended = nextEvent(socket, 'session:ended')
    const res = await api(server.url, 'POST', '/api/auth/password', {
      token,
      body: { currentPassword: password, newPassword: 'a new long password' },
    })
    assert.equal(res.status, 200)
    assert.deepEqual(await ended, { reason: 'revoked' })
    assert.equal((await api(server.url, 'GET', '/api/auth/me', { token })).status, 401, 'old token revoked')
    assert.equal(
      (await api(server.url, 'GET', '/api/auth/me', { token: res.body.token })).status,
      200,
      'new token works',
    )
    const oldLogin = await api(server.url, 'POST', '/api/auth/login', { body: { login: user.username, password } })
    assert.equal(oldLogin.status, 401)
    const newLogin = await api(server.url, 'POST', '/api/auth/login', {
      body: { login: user.username, password: 'a new long password' },
    })
    assert.equal(newLogin.status, 200)
  })
})
