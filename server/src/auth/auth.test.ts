import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { api, connect, handshakeError, register, startServer, type TestServer, uniqueName } from '../../test/helpers'

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
    assert.match(row.passwordHash ?? '', /^\$2[aby]\$04\$/, 'bcrypt hash with the configured cost')
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

// Bad and revoked tokens (REST and handshake) and a password change cutting live sockets: jwt.test.ts.
describe('logout', () => {
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
  test('needs the current password and returns a new session; only the new password logs in', async () => {
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

    const res = await api(server.url, 'POST', '/api/auth/password', {
      token,
      body: { currentPassword: password, newPassword: 'a new long password' },
    })
    assert.equal(res.status, 200)
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
