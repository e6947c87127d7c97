// The one projection from a stored message row to what clients see (messages.dto.ts), without a database.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Viewer } from '../contract/events'
import { maskEmail, type MessageRow, toMessageDto } from './messages.dto'

const user: Viewer = { kind: 'user', id: 'u-viewer', username: 'viewer', email: 'viewer@example.com' }
const guest: Viewer = { kind: 'guest', id: 'g-1' }
const created = new Date('2026-03-07T10:00:00.000Z')

const row = (over: Partial<MessageRow> = {}): MessageRow => ({
  id: 'm-1',
  roomId: 'r-1',
  seq: 7,
  rev: 9,
  kind: 'user',
  topic: 'homework',
  content: 'Is the deadline Friday?',
  notice: null,
  clientMsgId: 'c1',
  createdAt: created,
  editedAt: null,
  deletedAt: null,
  authorId: 'u-jane',
  authorUsername: 'jane',
  authorEmail: 'jane@example.com',
  threadRootId: null,
  alsoInRoom: false,
  replyCount: 0,
  lastReplyAt: null,
  repliers: [],
  upvotes: 0,
  downvotes: 0,
  reactions: [],
  attachments: [],
  ...over,
})

test('maskEmail keeps the first letter and the domain, and hides anything without a local part', () => {
  assert.equal(maskEmail('jane@example.com'), 'j***@example.com')
  assert.equal(maskEmail('j@example.com'), 'j***@example.com')
  assert.equal(maskEmail('a.b@c@example.org'), 'a***@example.org', 'the last @ starts the domain')
  assert.equal(maskEmail('@example.com'), '***')
  assert.equal(maskEmail('nobody'), '***')
  assert.equal(maskEmail(''), '***')
})

test('a person sees the author and full email; dates become ISO strings', () => {
  assert.deepEqual(toMessageDto(row({ editedAt: new Date('2026-03-07T10:05:00.000Z') }), user), {
    id: 'm-1',
    roomId: 'r-1',
    seq: 7,
    rev: 9,
    kind: 'user',
    author: { id: 'u-jane', username: 'jane', displayName: null, avatarUrl: null },
    email: 'jane@example.com',
    topic: 'homework',
    content: 'Is the deadline Friday?',
    createdAt: '2026-03-07T10:00:00.000Z',
    editedAt: '2026-03-07T10:05:00.000Z',
    deletedAt: null,
    notice: null,
    clientMsgId: 'c1',
    threadRootId: null,
    alsoInRoom: false,
    replyCount: 0,
    lastReplyAt: null,
    repliers: [],
    upvotes: 0,
    downvotes: 0,
    reactions: [],
    attachments: [],
  })
})

test('a thread root carries its summary and counts; the viewer own state only when given', () => {
  const lastReplyAt = new Date('2026-03-07T10:09:00.000Z')
  const reactions = [{ emoji: '🎉', count: 2, users: ['jane', 'sam'] }]
  const r = row({ replyCount: 3, lastReplyAt, repliers: ['sam', 'jane'], upvotes: 4, downvotes: 1, reactions })
  const dto = toMessageDto(r, guest)
  assert.equal(dto.replyCount, 3)
  assert.equal(dto.lastReplyAt, '2026-03-07T10:09:00.000Z')
  assert.deepEqual(dto.repliers, ['sam', 'jane'])
  assert.deepEqual([dto.upvotes, dto.downvotes], [4, 1])
  assert.deepEqual(dto.reactions, reactions)
  assert.equal('mine' in dto, false, 'a broadcast copy says nothing about anyone own vote')
  const mine = { vote: 'up' as const, reactions: ['🎉'] }
  assert.deepEqual(toMessageDto(r, user, mine).mine, mine)
})

test('a guest sees the same message with the email masked, and nothing else changed', () => {
  const forUser = toMessageDto(row(), user)
  const forGuest = toMessageDto(row(), guest)
  assert.equal(forGuest.email, 'j***@example.com')
  assert.deepEqual({ ...forGuest, email: forUser.email }, forUser)
})

test('a system notice has no author and an empty email, for guests too', () => {
  const notice = { type: 'participant_added', actor: 'jane', target: 'sam' } as const
  const r = row({ kind: 'system', authorId: null, authorUsername: null, authorEmail: null, content: '', notice })
  for (const viewer of [user, guest]) {
    const dto = toMessageDto(r, viewer)
    assert.equal(dto.author, null)
    assert.equal(dto.email, '', 'not masked into "***"')
    assert.equal(dto.kind, 'system')
    assert.deepEqual(dto.notice, notice)
  }
})

test('an author whose account is gone (id without a name) shows no author', () => {
  assert.equal(toMessageDto(row({ authorUsername: null }), user).author, null)
})

test('a deleted message is a tombstone: it keeps its place (seq, rev) and says when it was deleted', () => {
  const deletedAt = new Date('2026-03-07T11:00:00.000Z')
  const dto = toMessageDto(row({ content: '', topic: '', deletedAt, rev: 12 }), guest)
  assert.equal(dto.deletedAt, '2026-03-07T11:00:00.000Z')
  assert.equal(dto.content, '')
  assert.equal(dto.topic, '')
  assert.equal(dto.seq, 7)
  assert.equal(dto.rev, 12)
  assert.deepEqual(dto.author, { id: 'u-jane', username: 'jane', displayName: null, avatarUrl: null })
})
