// Account settings (issue 19): change email, sign out every other session, delete the account — on two
// instances, so "cut everywhere" means every instance.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  clientMsgId,
  handshakeError,
  newPrefix,
  nextEvent,
  startServer,
  type TestServer,
  uniqueName,
} from '../../test/helpers'

let one: TestServer
let two: TestServer
const password = 'correct horse battery'

before(async () => {
  const REDIS_PREFIX = newPrefix()
  ;[one, two] = await Promise.all([startServer({ REDIS_PREFIX }), startServer({ REDIS_PREFIX })])
})
after(async () => {
  await Promise.all([one.stop(), two.stop()])
})

describe('change email', () => {
  test('needs the current password; a taken email is a conflict; the new email logs in', async () => {
    const [a, b] = await Promise.all([one.user(), one.user()])
    const fresh = `${uniqueName('new')}@Example.com`
    const wrong = await one.api('POST', '/api/auth/email', {
      token: a.token,
      body: { email: fresh, currentPassword: 'nope nope' },
    })
    assert.equal(wrong.status, 401)
    assert.equal(wrong.body.error.fields.currentPassword, 'is wrong')
    const taken = await one.api('POST', '/api/auth/email', {
      token: a.token,
      body: { email: b.user.email.toUpperCase(), currentPassword: password },
    })
    assert.equal(taken.status, 409)
    assert.equal(taken.body.error.fields.email, 'is already registered')
    const ok = await one.api('POST', '/api/auth/email', {
      token: a.token,
      body: { email: fresh, currentPassword: password },
    })
    assert.equal(ok.status, 200)
    assert.equal(ok.body.user.email, fresh.toLowerCase())
    assert.equal(
      (await one.api('GET', '/api/auth/me', { token: a.token })).body.user.email,
      fresh.toLowerCase(),
      'session kept',
    )
    const login = await one.api('POST', '/api/auth/login', { body: { login: fresh, password } })
    assert.equal(login.status, 200)
    assert.equal((await one.api('POST', '/api/auth/login', { body: { login: a.user.email, password } })).status, 401)
  })
})

describe('sign out every other session', () => {
  test('other tokens and sockets end on every instance; the caller continues with a new token', async () => {
    const a = await one.user()
    const laptop = (await one.api('POST', '/api/auth/login', { body: { login: a.user.username, password } })).body.token
    const phone = await two.socket({ ...a, token: laptop })
    const ended = nextEvent(phone, 'session:ended')
    const cut = new Promise((resolve) => phone.on('disconnect', resolve))
    const res = await one.api('POST', '/api/auth/logout-others', { token: a.token })
    assert.equal(res.status, 200)
    assert.deepEqual(await ended, { reason: 'revoked' })
    await cut
    assert.equal((await two.api('GET', '/api/auth/me', { token: laptop })).status, 401, 'the other session is over')
    assert.equal((await two.api('GET', '/api/auth/me', { token: a.token })).status, 401, 'so is the old token')
    assert.equal((await two.api('GET', '/api/auth/me', { token: res.body.token })).status, 200, 'the new one works')
    assert.equal(await handshakeError(two.url, res.body.token), null)
  })

  test('guests, missing and forged tokens get 401', async () => {
    const guest = (await one.api('POST', '/api/auth/guest')).body.token
    for (const token of [guest, undefined, 'not.a.token']) {
      assert.equal((await one.api('POST', '/api/auth/logout-others', { token })).status, 401)
    }
  })
})

describe('delete account', () => {
  test('its votes and reactions are taken back: counts recomputed in the database and broadcast live', async () => {
    const [owner, leaving, watcher] = await Promise.all([one.user(), one.user(), one.user()])
    const room = await one.room({ by: owner, private: true, with: [leaving, watcher] })
    const posted = await one.api('POST', `/api/rooms/${room.id}/messages`, {
      token: owner.token,
      body: { content: 'vote on me', clientMsgId: clientMsgId() },
    })
    const m = posted.body.message
    const on = (who: typeof owner, path: string, body: object) =>
      one.api('POST', `/api/rooms/${room.id}/messages/${m.id}/${path}`, { token: who.token, body })
    assert.equal((await on(leaving, 'vote', { vote: 'up' })).status, 200)
    assert.equal((await on(watcher, 'vote', { vote: 'up' })).status, 200)
    assert.equal((await on(leaving, 'reactions', { emoji: '🎉' })).status, 200)

    const watching = await two.socket(watcher)
    const joined = await new Promise<{ ok: boolean }>((resolve) => watching.emit('room:join', room.id, resolve))
    assert.ok(joined.ok)
    const updated = nextEvent(watching, 'message:updated')
    const res = await one.api('DELETE', '/api/auth/account', {
      token: leaving.token,
      body: { currentPassword: password },
    })
    assert.equal(res.status, 204)
    const live = (await updated) as { id: string; upvotes: number; downvotes: number; reactions: unknown[] }
    assert.equal(live.id, m.id)
    assert.deepEqual([live.upvotes, live.downvotes, live.reactions], [1, 0, []], 'the other instance hears it')
    const stored = await one.prisma.message.findUniqueOrThrow({ where: { id: m.id } })
    assert.deepEqual([stored.upvotes, stored.downvotes, stored.reactions], [1, 0, []])
    watching.close()
  })

  test('needs the current password; then it cannot log in, its sockets are cut on every instance, its messages stay without an author', async () => {
    const [a, b] = await Promise.all([one.user(), one.user()])
    const dm = await one.api('POST', '/api/dms', { token: a.token, body: { usernames: [b.user.username] } })
    const roomId = dm.body.conversation.room.id
    const sent = await one.api('POST', `/api/rooms/${roomId}/messages`, {
      token: a.token,
      body: { content: 'my last words', clientMsgId: clientMsgId() },
    })
    assert.equal(sent.status, 201)

    const wrong = await one.api('DELETE', '/api/auth/account', { token: a.token, body: { currentPassword: 'wrong!!' } })
    assert.equal(wrong.status, 401)
    assert.equal(wrong.body.error.fields.currentPassword, 'is wrong')
    assert.ok(await one.prisma.user.findUnique({ where: { id: a.user.id } }), 'still there')

    const sockets = [await one.socket(a), await two.socket(a)]
    const ended = sockets.map((s) => nextEvent(s, 'session:ended'))
    const cut = sockets.map((s) => new Promise((resolve) => s.on('disconnect', resolve)))
    const res = await two.api('DELETE', '/api/auth/account', { token: a.token, body: { currentPassword: password } })
    assert.equal(res.status, 204)
    assert.deepEqual(await Promise.all(ended), [{ reason: 'deleted' }, { reason: 'deleted' }])
    await Promise.all(cut)

    const login = await one.api('POST', '/api/auth/login', { body: { login: a.user.username, password } })
    assert.equal(login.status, 401)
    assert.equal(login.body.error.code, 'invalid_credentials')
    assert.equal((await one.api('GET', '/api/auth/me', { token: a.token })).status, 401)
    assert.ok(await handshakeError(two.url, a.token), 'the socket handshake refuses the old token')

    // b still has the conversation and the message, now by "Deleted user" (no author).
    const history = await one.api('GET', `/api/rooms/${roomId}/messages`, { token: b.token })
    assert.equal(history.status, 200)
    const last = history.body.messages.find((m: { content: string }) => m.content === 'my last words')
    assert.equal(last.author, null)
    assert.equal(last.kind, 'user')
    assert.equal(last.email, '')
    // The name is free again, and a new account with it is a different person.
    const again = await one.api('POST', '/api/auth/register', {
      body: { username: a.user.username, email: a.user.email, password },
    })
    assert.equal(again.status, 201)
    assert.notEqual(again.body.user.id, a.user.id)
  })
})
