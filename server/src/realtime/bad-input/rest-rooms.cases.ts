// Bad-input catalogue: REST rooms (see ../bad-input.test.ts for the runner and the invariants).
import assert from 'node:assert/strict'
import { type Case, deepArray, HTML, http, SQL, storedRoom, ZALGO, ZERO_WIDTH_ONLY } from './catalogue'

export const restRoomsCases: Case[] = [
  // --- Rooms.
  ...(
    [
      ['name as an object', { name: { contains: '' } }],
      ['name as an array', { name: ['a'] }],
      ['name as a number', { name: 1 }],
      ['name with NUL', { name: 'a\u0000b' }],
      ['name with an RTL override', { name: 'room\u202Eexe' }],
      ['name with a lone surrogate', { name: 'r\uDC00' }],
      ['name made only of zero-width characters', { name: ZERO_WIDTH_ONLY }],
      ['name with 1 000 combining marks', { name: ZALGO }],
      ['name of 65 characters', { name: 'n'.repeat(65) }],
      ['isPrivate as a string', { name: 'x', isPrivate: 'true' }],
      ['participants with HTML', { name: 'x', isPrivate: true, participants: ['<script>'] }],
      ['participants as a filter', { name: 'x', isPrivate: true, participants: { contains: '' } }],
      ['description of 501 characters', { name: 'x', description: 'd'.repeat(501) }],
      ['10 000-deep array as name', `{"name":${deepArray(10_000)}}`],
    ] as [string, unknown][]
  ).map(([name, body]): Case => ({
    kind: 'rest',
    group: 'REST rooms',
    name: `POST room: ${name}`,
    request: () => ({ method: 'POST', path: '/api/rooms', body }),
    expect: http(400, 'invalid_input'),
  })),
  ...HTML.slice(0, 3).map((payload, i): Case => ({
    kind: 'rest',
    group: 'REST rooms',
    name: `POST room: HTML in name and description #${i + 1}`,
    request: (c) => ({
      method: 'POST',
      path: '/api/rooms',
      body: { name: `${payload} ${c.mark}`, description: payload },
    }),
    expect: storedRoom((c) => `${payload} ${c.mark}`, payload),
  })),
  {
    kind: 'rest',
    group: 'REST rooms',
    name: 'POST room: SQL-ish name and description',
    request: (c) => ({
      method: 'POST',
      path: '/api/rooms',
      body: { name: `${SQL[1]} ${c.mark}`, description: SQL[2] },
    }),
    expect: storedRoom((c) => `${SQL[1]} ${c.mark}`, SQL[2]),
  },
  {
    kind: 'rest',
    group: 'REST rooms',
    name: 'POST room: isPrivate smuggled under __proto__ stays public',
    request: (c) => ({
      method: 'POST',
      path: '/api/rooms',
      body: `{"name":"proto ${c.mark}","__proto__":{"isPrivate":true}}`,
    }),
    expect: storedRoom(
      (c) => `proto ${c.mark}`,
      '',
      (row) => assert.equal(row.isPrivate, false),
    ),
  },
  {
    kind: 'rest',
    group: 'REST rooms',
    name: 'POST participant: username as a filter',
    request: (c) => ({ method: 'POST', path: `/api/rooms/${c.roomId}/participants`, body: { username: { not: '' } } }),
    expect: http(400, 'invalid_input'),
  },
]
