/// <reference types="node" />
// How the timeline groups messages (grouping.ts is plain TS, no runes): run by `npm run test:unit`.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { MessageDto } from '@contract/messages'
import { continues, dayKey, dayLabel, GROUP_WINDOW_MS, toRows } from './grouping'

// Local times, as the client shows them: 2026-03-07 10:00 plus `minutes`.
const at = (minutes: number, day = 7) => new Date(2026, 2, day, 10, minutes).toISOString()
let n = 0
const msg = (over: Partial<MessageDto> = {}): MessageDto => {
  n++
  return {
    id: `m${n}`,
    roomId: 'r',
    seq: n,
    rev: n,
    kind: 'user',
    author: { id: 'jane', username: 'jane' },
    email: 'jane@example.com',
    topic: 'general',
    content: `message ${n}`,
    createdAt: at(0),
    editedAt: null,
    deletedAt: null,
    notice: null,
    clientMsgId: `c${n}`,
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
  }
}
const sam = { id: 'sam', username: 'sam' }
const notice = (createdAt: string) =>
  msg({ kind: 'system', author: null, email: '', createdAt, notice: { type: 'participant_left', actor: 'sam' } })

test('dayKey is the local calendar day', () => {
  assert.equal(dayKey(new Date(2026, 0, 5, 23, 59).getTime()), '2026-01-05')
  assert.equal(dayKey(at(0)), '2026-03-07')
})

test('continues: same author, same kind, same day, within the window, in order', () => {
  const first = msg({ createdAt: at(0) })
  assert.equal(continues(undefined, first), false)
  assert.equal(continues(first, msg({ createdAt: at(4) })), true)
  assert.equal(continues(first, msg({ createdAt: new Date(Date.parse(at(0)) + GROUP_WINDOW_MS).toISOString() })), false)
  assert.equal(continues(first, msg({ createdAt: at(1), author: sam })), false, 'another author')
  assert.equal(continues(first, msg({ createdAt: at(1), kind: 'bot' })), false, 'another kind')
  assert.equal(continues(msg({ createdAt: at(5) }), msg({ createdAt: at(1) })), false, 'out of order')
  const lateNight = msg({ createdAt: new Date(2026, 2, 7, 23, 59).toISOString() })
  assert.equal(continues(lateNight, msg({ createdAt: new Date(2026, 2, 8, 0, 1).toISOString() })), false, 'midnight')
  assert.equal(continues(first, notice(at(1))), false, 'a notice never joins')
  assert.equal(continues(notice(at(0)), msg({ createdAt: at(1) })), false, 'nor starts a group')
})

test('toRows: a day separator per day, notices on their own rows, groups and topic changes', () => {
  const a = msg({ createdAt: at(0) })
  const b = msg({ createdAt: at(1), topic: 'homework' })
  const c = msg({ createdAt: at(2), topic: 'homework' })
  const d = notice(at(3))
  const e = msg({ createdAt: at(4) })
  const f = msg({ createdAt: at(0, 8), author: sam })
  const rows = toRows([a, b, c, d, e, f])
  assert.deepEqual(
    rows.map((r) => (r.kind === 'message' ? [r.key, r.continued, r.topicChanged] : [r.key])),
    [
      ['day-2026-03-07'],
      [a.id, false, false],
      [b.id, true, true],
      [c.id, true, false],
      [d.id],
      [e.id, false, false],
      ['day-2026-03-08'],
      [f.id, false, false],
    ],
  )
  assert.deepEqual(toRows([]), [])
})

test('a tombstone stays in its group, shows no topic change and does not change the group topic', () => {
  const a = msg({ createdAt: at(0), topic: 'general' })
  const gone = msg({ createdAt: at(1), topic: '', content: '', deletedAt: at(2) })
  const b = msg({ createdAt: at(2), topic: 'general' })
  const rows = toRows([a, gone, b]).filter((r) => r.kind === 'message')
  assert.deepEqual(
    rows.map((r) => [r.continued, r.topicChanged]),
    [
      [false, false],
      [true, false],
      [true, false],
    ],
  )
})

test('dayLabel: Today, Yesterday, then the date, with the year only when it is another year', () => {
  const now = new Date(2026, 2, 7, 12, 0).getTime()
  assert.equal(dayLabel('2026-03-07', now), 'Today')
  assert.equal(dayLabel('2026-03-06', now), 'Yesterday')
  assert.equal(dayLabel('2026-03-01', new Date(2026, 2, 2, 0, 30).getTime()), 'Yesterday', 'across a month')
  const sameYear = dayLabel('2026-03-03', now)
  assert.ok(!/Today|Yesterday|2026/.test(sameYear), sameYear)
  assert.match(dayLabel('2025-03-03', now), /2025/)
})
