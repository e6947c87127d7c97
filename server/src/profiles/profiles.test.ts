// Profiles (issue 19): display name, status text and emoji, online / away / do-not-disturb, validated
// like every other text, and reaching the people who share a conversation with you, live, across
// two instances.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { clientMsgId, newPrefix, nextEvent, record, startServer, type TestServer } from '../../test/helpers'
import type { SessionDto } from '../contract/auth'
import type { ProfileDto } from '../contract/profiles'

let one: TestServer
let two: TestServer

before(async () => {
  const REDIS_PREFIX = newPrefix()
  ;[one, two] = await Promise.all([startServer({ REDIS_PREFIX }), startServer({ REDIS_PREFIX })])
})
after(async () => {
  await Promise.all([one.stop(), two.stop()])
})

const patch = (server: TestServer, who: SessionDto, body: unknown) =>
  server.api('PATCH', '/api/profile', { token: who.token, body })

/** a and b in a direct conversation, c outside it. */
async function trio() {
  const [a, b, c] = await Promise.all([one.user(), one.user(), one.user()])
  const res = await one.api('POST', '/api/dms', { token: a.token, body: { usernames: [b.user.username] } })
  assert.equal(res.status, 201)
  return { a, b, c, roomId: res.body.conversation.room.id as string }
}

test('a profile is set, cleared and shown to others without the email; unknown people are not found', async () => {
  const [a, b] = await Promise.all([one.user(), one.user()])
  const set = await patch(one, a, { displayName: '  Maya  Ortiz ', statusText: 'On call', statusEmoji: '📟' })
  assert.equal(set.status, 200)
  assert.deepEqual(
    { ...set.body.profile, presence: undefined },
    {
      id: a.user.id,
      username: a.user.username,
      displayName: 'Maya  Ortiz',
      statusText: 'On call',
      statusEmoji: '📟',
      presence: undefined,
      avatarUrl: null, // issue 21: no picture yet
    },
  )
  const seen = await two.api('GET', `/api/profiles/${a.user.username}`, { token: b.token })
  assert.equal(seen.status, 200)
  assert.equal(seen.body.profile.displayName, 'Maya  Ortiz')
  assert.equal(seen.body.profile.presence, 'offline', 'no socket: offline whatever was chosen')
  assert.equal(seen.body.profile.email, undefined)
  assert.equal((await patch(one, a, { displayName: '' })).body.profile.displayName, null, 'empty clears it')
  assert.equal((await one.api('GET', '/api/profiles/nobody_here_42', { token: b.token })).status, 404)
  assert.equal((await one.api('GET', `/api/profiles/${a.user.username}`)).status, 401, 'guests get no cards')
})

test('display names and status are validated like every other text, and nothing is stored when refused', async () => {
  const a = await one.user()
  assert.equal((await patch(one, a, { displayName: 'Kept', statusText: 'kept' })).status, 200)
  const bad: [unknown, string][] = [
    [{ displayName: 'x'.repeat(65) }, 'displayName'],
    [{ displayName: 'evil\u202Etxt' }, 'displayName'],
    [{ displayName: 'a\u0007b' }, 'displayName'],
    [{ statusText: 'two\nlines' }, 'statusText'],
    [{ statusText: 's'.repeat(101) }, 'statusText'],
    [{ statusEmoji: 'ok' }, 'statusEmoji'],
    [{ presence: 'busy' }, 'presence'],
  ]
  for (const [body, field] of bad) {
    const res = await patch(one, a, body)
    assert.equal(res.status, 400, JSON.stringify(body))
    assert.equal(res.body.error.code, 'invalid_input')
    assert.ok(res.body.error.fields[field], `${JSON.stringify(body)} names ${field}`)
  }
  const row = await one.prisma.user.findUniqueOrThrow({ where: { id: a.user.id } })
  assert.equal(row.displayName, 'Kept')
  assert.equal(row.statusText, 'kept')
  assert.equal(row.presence, 'online')
})

test('away and do-not-disturb reach the other member live on another instance, and never an outsider', async () => {
  const { a, b, c } = await trio()
  const aSocket = await one.socket(a)
  const bSocket = await two.socket(b)
  const cSocket = await two.socket(c)
  const outsider = record(cSocket)
  const wait = (presence: string) =>
    nextEvent<ProfileDto>(bSocket, 'user:updated', (p) => p.id === a.user.id && p.presence === presence)

  let seen = wait('dnd')
  assert.equal((await patch(one, a, { presence: 'dnd', statusText: 'Focus time', statusEmoji: '🎧' })).status, 200)
  const dnd = await seen
  assert.equal(dnd.statusText, 'Focus time')
  assert.equal(dnd.statusEmoji, '🎧')

  seen = wait('away')
  assert.equal((await patch(two, a, { presence: 'away' })).status, 200)
  await seen
  seen = wait('online')
  assert.equal((await patch(one, a, { presence: 'online' })).status, 200)
  await seen

  // a's own other socket hears it too (the settings page in another tab).
  const own = nextEvent<ProfileDto>(aSocket, 'user:updated', (p) => p.id === a.user.id && p.displayName === 'A')
  await patch(two, a, { displayName: 'A' })
  await own

  // The outsider shares nothing with a: not one of a's updates reached them.
  assert.ok(!outsider.text().includes(a.user.id), outsider.text())
  for (const s of [aSocket, bSocket, cSocket]) s.close()
})

test('the online dot: connecting and disconnecting reach the other member live', async () => {
  const { a, b } = await trio()
  const bSocket = await one.socket(b)
  const online = nextEvent<ProfileDto>(bSocket, 'user:updated', (p) => p.id === a.user.id && p.presence === 'online')
  const aSocket = await two.socket(a)
  await online
  assert.equal(
    (await one.api('GET', `/api/profiles/${a.user.username}`, { token: b.token })).body.profile.presence,
    'online',
  )
  const offline = nextEvent<ProfileDto>(bSocket, 'user:updated', (p) => p.id === a.user.id && p.presence === 'offline')
  aSocket.close()
  await offline
  bSocket.close()
})

test('messages carry the author display name beside the username', async () => {
  const { a, roomId } = await trio()
  await patch(one, a, { displayName: 'Ada L.' })
  const res = await one.api('POST', `/api/rooms/${roomId}/messages`, {
    token: a.token,
    body: { content: 'hi', clientMsgId: clientMsgId() },
  })
  assert.equal(res.status, 201)
  assert.deepEqual(res.body.message.author, {
    id: a.user.id,
    username: a.user.username,
    displayName: 'Ada L.',
    avatarUrl: null,
  })
})
