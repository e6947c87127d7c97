// Bad-input catalogue: REST messages (see ../bad-input.test.ts for the runner and the invariants).
import assert from 'node:assert/strict'
import { clientMsgId } from '../../../test/helpers'
import { CONTENT_MAX } from '../../contract/messages'
import { type Case, deepArray, HTML, http, oneMegabyte, SQL, storedMessage, ZERO_WIDTH_ONLY } from './catalogue'

export const restMessagesCases: Case[] = [
  // --- Messages.
  ...(
    [
      ['content as a Prisma filter', { content: { contains: '' }, clientMsgId: 'x1' }],
      ['content as an array', { content: ['a'], clientMsgId: 'x1' }],
      [`content of ${CONTENT_MAX + 1} characters`, { content: 'a'.repeat(CONTENT_MAX + 1), clientMsgId: 'x1' }],
      ['NUL in content', { content: 'a\u0000b', clientMsgId: 'x1' }],
      ['a lone surrogate in content', { content: '\uD83D', clientMsgId: 'x1' }],
      ['RTL override in topic', { content: 'a', topic: '\u202Egnp.exe', clientMsgId: 'x1' }],
      ['content made only of zero-width characters', { content: ZERO_WIDTH_ONLY, clientMsgId: 'x1' }],
      ['content hidden under __proto__', '{"__proto__":{"content":"x"},"clientMsgId":"x1"}'],
      ['10 000-deep array as content', `{"clientMsgId":"x1","content":${deepArray(10_000)}}`],
      ['body a JSON array', '[{"content":"a","clientMsgId":"x1"}]'],
      ['body a JSON string', '"hello"'],
      ['body JSON null', 'null'],
      ['body not JSON', '{"content":'],
    ] as [string, unknown][]
  ).map(([name, body]): Case => ({
    kind: 'rest',
    group: 'REST messages',
    name: `POST message: ${name}`,
    request: (c) => ({ method: 'POST', path: `/api/rooms/${c.roomId}/messages`, body }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group: 'REST messages',
    name: 'POST message: 1 MB+ body',
    request: (c) => ({
      method: 'POST',
      path: `/api/rooms/${c.roomId}/messages`,
      body: { content: oneMegabyte, clientMsgId: 'x1' },
    }),
    expect: http(413, 'payload_too_large'),
  },
  {
    kind: 'rest',
    group: 'REST messages',
    name: 'POST message: JSON declared as UTF-16',
    request: (c) => ({
      method: 'POST',
      path: `/api/rooms/${c.roomId}/messages`,
      body: '{"content":"a","clientMsgId":"x1"}',
      headers: { 'content-type': 'application/json; charset=utf-16' },
    }),
    expect: http(400, 'invalid_input'),
  },
  ...(
    [
      ['room id SQL-ish', "' OR 1=1 --"],
      ['room id a JSON filter', '{"contains":""}'],
      ['room id with NUL', 'a\u0000b'],
    ] as [string, string][]
  ).map(([name, id]): Case => ({
    kind: 'rest',
    group: 'REST messages',
    name: `POST message: ${name}`,
    request: () => ({
      method: 'POST',
      path: `/api/rooms/${encodeURIComponent(id)}/messages`,
      body: { content: 'a', clientMsgId: 'x1' },
    }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group: 'REST messages',
    name: 'GET room with a malformed percent-encoding in the id',
    request: () => ({ method: 'GET', path: '/api/rooms/%E0%A4%A' }),
    expect: http(400, 'invalid_input'),
  },
  ...(
    [
      ['limit not a number', 'limit=abc'],
      ['limit repeated', 'limit=1&limit=2'],
      ['before negative', 'before=-1'],
      ['before and after', 'before=5&after=1'],
      ['after beyond int32', 'after=99999999999'],
    ] as [string, string][]
  ).map(([name, query]): Case => ({
    kind: 'rest',
    group: 'REST messages',
    name: `GET history: ${name}`,
    request: (c) => ({ method: 'GET', path: `/api/rooms/${c.roomId}/messages?${query}` }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group: 'REST messages',
    name: 'GET history: limit=1e9 is clamped',
    request: (c) => ({ method: 'GET', path: `/api/rooms/${c.roomId}/messages?limit=1000000000` }),
    expect: { outcome: '200', check: (got) => assert.ok(got.body.messages.length <= 100) },
  },
  ...HTML.slice(0, 2).map((payload, i): Case => ({
    kind: 'rest',
    group: 'REST messages',
    name: `POST message: HTML in content and topic #${i + 1}`,
    request: (c) => ({
      method: 'POST',
      path: `/api/rooms/${c.roomId}/messages`,
      body: { content: payload, topic: payload, clientMsgId: clientMsgId() },
    }),
    expect: storedMessage(payload, payload, '201'),
  })),
  {
    kind: 'rest',
    group: 'REST messages',
    name: 'POST message: SQL-ish content',
    request: (c) => ({
      method: 'POST',
      path: `/api/rooms/${c.roomId}/messages`,
      body: { content: SQL[0], topic: SQL[1], clientMsgId: clientMsgId() },
    }),
    expect: storedMessage(SQL[0], SQL[1], '201'),
  },
  {
    kind: 'rest',
    group: 'REST messages',
    name: `POST message: content of exactly ${CONTENT_MAX} characters`,
    request: (c) => ({
      method: 'POST',
      path: `/api/rooms/${c.roomId}/messages`,
      body: { content: 'z'.repeat(CONTENT_MAX), clientMsgId: clientMsgId() },
    }),
    expect: storedMessage('z'.repeat(CONTENT_MAX), 'general', '201'),
  },
  {
    kind: 'rest',
    group: 'REST messages',
    name: 'POST message: valid body plus __proto__ and constructor keys',
    request: (c) => ({
      method: 'POST',
      path: `/api/rooms/${c.roomId}/messages`,
      body: `{"content":"rest proto","clientMsgId":"${clientMsgId()}","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}`,
    }),
    expect: storedMessage('rest proto', 'general', '201'),
  },
]
