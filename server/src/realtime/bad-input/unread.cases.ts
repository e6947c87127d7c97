// Bad-input catalogue: read pointers, notification choices and receipt settings (issue 18) — see
// ../bad-input.test.ts for the runner and the invariants. Every malformed shape is refused before any
// lookup; a well-formed mark of a room that does not exist is `not_found`.
import { randomUUID } from 'node:crypto'
import { type Frame } from '../../../test/raw-socket'
import { type Case, type Ctx, error, ev, http, SQL } from './catalogue'

const mark = (c: Ctx, fields: Record<string, unknown>) => ev('read:mark', { roomId: c.roomId, ...fields })

export const unreadCases: Case[] = [
  ...(
    [
      ['read:mark without a payload', () => ['420["read:mark"]']],
      ['read:mark with a string payload', (c: Ctx) => [ev('read:mark', c.roomId)]],
      ['read:mark with a negative seq', (c: Ctx) => [mark(c, { seq: -1 })]],
      ['read:mark with a fractional seq', (c: Ctx) => [mark(c, { seq: 1.5 })]],
      ['read:mark with a seq as a string', (c: Ctx) => [mark(c, { seq: '3' })]],
      ['read:mark with a seq past 32 bits', (c: Ctx) => [mark(c, { seq: 2 ** 31 })]],
      ['read:mark with seq Infinity (null in JSON)', (c: Ctx) => [mark(c, { seq: null })]],
      ['read:mark with unread as a string', (c: Ctx) => [mark(c, { unread: 'yes' })]],
      ['read:mark with roomId not a UUID', () => [ev('read:mark', { roomId: SQL[0] })]],
      ['read:mark with roomId a Prisma filter', () => [ev('read:mark', { roomId: { not: '' } })]],
    ] as [string, (c: Ctx) => Frame[]][]
  ).map(([name, frames]): Case => ({
    kind: 'socket',
    group: 'read pointers',
    name,
    frames,
    expect: error('invalid_input'),
  })),
  {
    kind: 'socket',
    group: 'read pointers',
    name: 'read:mark in a room that does not exist',
    frames: () => [ev('read:mark', { roomId: randomUUID(), seq: 1 })],
    expect: error('not_found'),
  },
  ...(
    [
      ['POST read: seq negative', 'POST', 'read', { seq: -5 }],
      ['POST read: body a JSON array', 'POST', 'read', '[{"seq":1}]'],
      ['POST read: body not JSON', 'POST', 'read', '{"seq":'],
      ['POST read: unread a number', 'POST', 'read', { unread: 1 }],
      ['PATCH notify: level unknown', 'PATCH', 'notify', { level: 'everything' }],
      ['PATCH notify: level missing', 'PATCH', 'notify', {}],
      ['PATCH notify: level an array', 'PATCH', 'notify', { level: ['all'] }],
      ['PATCH notify: level hidden under __proto__', 'PATCH', 'notify', '{"__proto__":{"level":"all"}}'],
    ] as [string, string, string, unknown][]
  ).map(([name, method, path, body]): Case => ({
    kind: 'rest',
    group: 'REST read pointers',
    name,
    request: (c) => ({ method, path: `/api/rooms/${c.roomId}/${path}`, body }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group: 'REST read pointers',
    name: 'GET receipts: room id not a UUID',
    request: () => ({ method: 'GET', path: '/api/rooms/not-a-room/receipts' }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group: 'REST read pointers',
    name: 'POST read: a room that does not exist',
    request: () => ({ method: 'POST', path: `/api/rooms/${randomUUID()}/read`, body: {} }),
    expect: http(404, 'not_found'),
  },
  ...(
    [
      ['readReceipts a string', { readReceipts: 'no' }],
      ['readReceipts missing', {}],
      ['body null', 'null'],
    ] as [string, unknown][]
  ).map(([name, body]): Case => ({
    kind: 'rest',
    group: 'REST read pointers',
    name: `PATCH read-settings: ${name}`,
    request: () => ({ method: 'PATCH', path: '/api/read-settings', body }),
    expect: http(400, 'invalid_input'),
  })),
]
