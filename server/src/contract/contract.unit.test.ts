// The contract's schemas where they do more than check a shape: refinements, clamps, defaults, and the
// limits they take from limits.ts. (bad-input.test.ts sends the same kinds of input through the server.)
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ZPassword, ZUsername } from './auth'
import * as limits from './limits'
import { ZChangesQuery, ZContent, ZEditMessage, ZHistoryQuery, ZSendMessage, ZTopic } from './messages'
import { ZCreateRoom, ZRoomName } from './rooms'

const id = '11111111-1111-4111-8111-111111111111'
const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  r.success ? [] : r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)

test('limits.ts is plain data: a zod-free module the web can import', () => {
  for (const [name, value] of Object.entries(limits)) assert.ok(['number', 'string'].includes(typeof value), name)
  assert.match(limits.LOBBY_ID, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
})

test('ZEditMessage needs content, topic or both', () => {
  assert.deepEqual(issues(ZEditMessage.safeParse({ roomId: id, messageId: id })), [
    'content: give content, topic, or both',
  ])
  assert.equal(ZEditMessage.safeParse({ roomId: id, messageId: id, content: 'new' }).success, true)
  assert.equal(ZEditMessage.safeParse({ roomId: id, messageId: id, topic: 'news' }).success, true)
  assert.deepEqual(ZEditMessage.parse({ roomId: id, messageId: id, topic: ' news ', content: 'x\r\ny' }), {
    roomId: id,
    messageId: id,
    topic: 'news',
    content: 'x\ny',
  })
  assert.equal(ZEditMessage.safeParse({ roomId: id, messageId: id, content: '   ' }).success, false, 'empty')
})

test('ZChangesQuery coerces, defaults the limit to 100 and clamps it to the page maximum', () => {
  assert.deepEqual(ZChangesQuery.parse({ after: '5' }), { after: 5, limit: 100 })
  assert.deepEqual(ZChangesQuery.parse({ after: '0', limit: '100000' }), { after: 0, limit: limits.HISTORY_PAGE_MAX })
  assert.deepEqual(ZChangesQuery.parse({ after: '3', limit: '7' }), { after: 3, limit: 7 })
  for (const bad of [{}, { after: '-1' }, { after: 'x' }, { after: '1', limit: '0' }, { after: '1.5' }])
    assert.equal(ZChangesQuery.safeParse(bad).success, false, JSON.stringify(bad))
})

test('ZHistoryQuery: newest page by default, clamped limit, before or after but not both', () => {
  assert.deepEqual(ZHistoryQuery.parse({}), { order: 'time', limit: 50 })
  assert.deepEqual(ZHistoryQuery.parse({ before: '10', limit: '1000' }), {
    order: 'time',
    before: 10,
    limit: limits.HISTORY_PAGE_MAX,
  })
  assert.deepEqual(issues(ZHistoryQuery.safeParse({ before: '1', after: '2' })), [
    'before: use either before or after, not both',
  ])
  // The top view (issue 16) pages by offset, and only it does.
  assert.deepEqual(ZHistoryQuery.parse({ order: 'top', offset: '20' }), { order: 'top', offset: 20, limit: 50 })
  assert.deepEqual(issues(ZHistoryQuery.safeParse({ offset: '5' })), ['offset: only with order=top'])
  assert.deepEqual(issues(ZHistoryQuery.safeParse({ order: 'top', after: '5' })), [
    'order: the top view pages by offset',
  ])
})

test('ZSendMessage: a reply names the message replied to; alsoInRoom defaults to false (issue 16)', () => {
  const ok = { roomId: id, content: 'hi', clientMsgId: 'abc_1' }
  assert.equal(ZSendMessage.parse(ok).alsoInRoom, false)
  assert.equal(ZSendMessage.parse(ok).replyTo, undefined)
  assert.equal(ZSendMessage.parse({ ...ok, replyTo: id, alsoInRoom: true }).replyTo, id)
  assert.equal(ZSendMessage.safeParse({ ...ok, replyTo: 'nope' }).success, false)
})

test('ZSendMessage: topic defaults to general; content and topic lengths come from limits.ts', () => {
  const ok = { roomId: id, content: 'hi', clientMsgId: 'abc_1' }
  assert.equal(ZSendMessage.parse(ok).topic, 'general')
  assert.equal(ZContent.safeParse('a'.repeat(limits.CONTENT_MAX)).success, true)
  assert.equal(ZContent.safeParse('a'.repeat(limits.CONTENT_MAX + 1)).success, false)
  assert.equal(ZContent.safeParse('😀'.repeat(limits.CONTENT_MAX)).success, true, 'code points, not UTF-16 units')
  assert.equal(ZTopic.safeParse('t'.repeat(limits.TOPIC_MAX)).success, true)
  assert.equal(ZTopic.safeParse('t'.repeat(limits.TOPIC_MAX + 1)).success, false)
  assert.equal(ZSendMessage.safeParse({ ...ok, clientMsgId: 'has space' }).success, false)
})

test('ZSendMessage: attachments (issue 21) are upload ids; a message with files may have no text', () => {
  const ok = { roomId: id, content: '', clientMsgId: 'abc_1', attachments: [id] }
  assert.deepEqual(ZSendMessage.parse(ok).attachments, [id])
  assert.deepEqual(ZSendMessage.parse({ roomId: id, content: 'hi', clientMsgId: 'abc_1' }).attachments, [])
  assert.deepEqual(issues(ZSendMessage.safeParse({ ...ok, attachments: [] })), ['content: must not be empty'])
  assert.deepEqual(issues(ZSendMessage.safeParse({ ...ok, content: '\u200B', attachments: [] })), [
    'content: must not be empty',
  ])
  assert.deepEqual(issues(ZSendMessage.safeParse({ ...ok, attachments: [id, id] })), [
    'attachments: must not repeat an upload',
  ])
  assert.equal(ZSendMessage.safeParse({ ...ok, replyTo: id }).success, true, 'a reply carries files too')
  assert.equal(
    ZSendMessage.safeParse({ ...ok, attachments: Array(limits.ATTACHMENTS_CEILING + 1).fill(id) }).success,
    false,
  )
  assert.equal(ZSendMessage.safeParse({ ...ok, attachments: ['../x'] }).success, false)
})

test('usernames, passwords and rooms follow limits.ts', () => {
  assert.equal(ZUsername.parse('  Jane_Doe '), 'jane_doe')
  assert.equal(ZUsername.safeParse('a'.repeat(limits.USERNAME_MIN)).success, true)
  assert.equal(ZUsername.safeParse('a'.repeat(limits.USERNAME_MIN - 1)).success, false)
  assert.equal(ZUsername.safeParse('a'.repeat(limits.USERNAME_MAX)).success, true)
  assert.deepEqual(issues(ZUsername.safeParse('a'.repeat(limits.USERNAME_MAX + 1))), [
    ': must be 3–32 characters: letters, digits, _ or -',
  ])
  assert.equal(ZPassword.safeParse('p'.repeat(limits.PASSWORD_MIN_BYTES)).success, true)
  assert.equal(ZPassword.safeParse('p'.repeat(limits.PASSWORD_MIN_BYTES - 1)).success, false)
  assert.equal(ZPassword.safeParse('é'.repeat(limits.PASSWORD_MAX_BYTES / 2)).success, true)
  assert.equal(
    ZPassword.safeParse(`${'é'.repeat(limits.PASSWORD_MAX_BYTES / 2)}x`).success,
    false,
    'bytes, not characters',
  )
  assert.equal(ZRoomName.safeParse('r'.repeat(limits.ROOM_NAME_MAX + 1)).success, false)
  assert.deepEqual(ZCreateRoom.parse({ name: 'study' }), {
    name: 'study',
    description: '',
    isPrivate: false,
    participants: [],
  })
  assert.equal(
    ZCreateRoom.safeParse({ name: 'x', description: 'd'.repeat(limits.ROOM_DESCRIPTION_MAX + 1) }).success,
    false,
  )
  assert.equal(
    ZCreateRoom.safeParse({
      name: 'x',
      participants: Array.from({ length: limits.ROOM_PARTICIPANTS_MAX + 1 }, (_, i) => `user${i}`),
    }).success,
    false,
  )
})
