// Bad-input catalogue: wrong arity, wrong types, prototype keys, nesting (see ../bad-input.test.ts for the runner and the invariants).
import { randomUUID } from 'node:crypto'
import { clientMsgId } from '../../../test/helpers'
import { type Frame } from '../../../test/raw-socket'
import { type Case, type Ctx, deepArray, deepObject, error, ev, send, sendRaw, storedMessage } from './catalogue'

export const payloadsCases: Case[] = [
  // --- Wrong arity.
  ...(
    [
      ['message:send without a payload', () => ['420["message:send"]']],
      ['room:join without a payload', () => ['420["room:join"]']],
      ['typing:set without a payload', () => ['420["typing:set"]']],
      [
        'message:send with a valid payload plus an extra argument',
        (c: Ctx) => [ev('message:send', { roomId: c.roomId, content: c.mark, clientMsgId: clientMsgId() }, 'extra')],
      ],
      ['room:join with two room ids', (c: Ctx) => [ev('room:join', c.roomId, c.roomId)]],
    ] as [string, (c: Ctx) => Frame[]][]
  ).map(([name, frames]): Case => ({
    kind: 'socket',
    group: 'wrong arity',
    name,
    frames,
    expect: error('invalid_input'),
  })),

  // --- Wrong types.
  ...(
    [
      ['roomId as an object', (c: Ctx) => [send(c, { roomId: { id: c.roomId } })]],
      ['roomId as a Prisma filter {"contains":""}', (c: Ctx) => [send(c, { roomId: { contains: '' } })]],
      ['roomId as an array', (c: Ctx) => [send(c, { roomId: [c.roomId] })]],
      ['roomId as a number', (c: Ctx) => [send(c, { roomId: 42 })]],
      ['roomId null', (c: Ctx) => [send(c, { roomId: null })]],
      ['roomId not a UUID (SQL-ish)', (c: Ctx) => [send(c, { roomId: "' OR 1=1 --" })]],
      ['content as a number', (c: Ctx) => [send(c, { content: 12345 })]],
      ['content as an object', (c: Ctx) => [send(c, { content: { text: 'hi' } })]],
      ['content as an array', (c: Ctx) => [send(c, { content: ['hi'] })]],
      ['content as a boolean', (c: Ctx) => [send(c, { content: true })]],
      ['topic as a number', (c: Ctx) => [send(c, { topic: 7 })]],
      ['clientMsgId as an object', (c: Ctx) => [send(c, { clientMsgId: { $gt: '' } })]],
      ['clientMsgId with forbidden characters', (c: Ctx) => [send(c, { clientMsgId: "x' OR '1'='1" })]],
      ['clientMsgId of 65 characters', (c: Ctx) => [send(c, { clientMsgId: 'a'.repeat(65) })]],
      ['payload a string', () => [ev('message:send', 'hello')]],
      ['payload a number', () => [ev('message:send', 42)]],
      ['payload null', () => [ev('message:send', null)]],
      ['payload an array', (c: Ctx) => [ev('message:send', [c.roomId, 'hello'])]],
      ['room:join with an object', (c: Ctx) => [ev('room:join', { roomId: c.roomId })]],
      ['room:join with {"contains":""}', () => [ev('room:join', { contains: '' })]],
      ['room:join with an array', (c: Ctx) => [ev('room:join', [c.roomId])]],
      ['room:join with a number', () => [ev('room:join', 1)]],
      ['room:join with a non-UUID string', () => [ev('room:join', '../../etc/passwd')]],
      ['room:leave with an object', () => [ev('room:leave', { contains: '' })]],
      ['typing:set with typing as a string', (c: Ctx) => [ev('typing:set', { roomId: c.roomId, typing: 'yes' })]],
      ['typing:set with roomId as an object', () => [ev('typing:set', { roomId: { contains: '' }, typing: true })]],
    ] as [string, (c: Ctx) => Frame[]][]
  ).map(([name, frames]): Case => ({
    kind: 'socket',
    group: 'wrong types',
    name,
    frames,
    expect: error('invalid_input'),
  })),

  // --- Prototype keys: never pollute, never smuggle fields in.
  {
    kind: 'socket',
    group: 'prototype keys',
    name: 'fields hidden under __proto__',
    frames: (c) => [sendRaw(`{"__proto__":{"roomId":"${c.roomId}","content":"x","clientMsgId":"${clientMsgId()}"}}`)],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'prototype keys',
    name: 'valid payload plus __proto__.polluted',
    frames: (c) => [
      sendRaw(
        `{"roomId":"${c.roomId}","content":"proto ${c.mark}","clientMsgId":"${clientMsgId()}","__proto__":{"polluted":"yes","isAdmin":true}}`,
      ),
    ],
    expect: storedMessage((c) => `proto ${c.mark}`),
  },
  {
    kind: 'socket',
    group: 'prototype keys',
    name: 'valid payload plus constructor.prototype.polluted',
    frames: (c) => [
      sendRaw(
        `{"roomId":"${c.roomId}","content":"ctor ${c.mark}","clientMsgId":"${clientMsgId()}","constructor":{"prototype":{"polluted":"yes"}}}`,
      ),
    ],
    expect: storedMessage((c) => `ctor ${c.mark}`),
  },
  {
    kind: 'socket',
    group: 'prototype keys',
    name: 'room:join with {"__proto__":…}',
    frames: (c) => [`420["room:join",{"__proto__":{"toString":"${c.roomId}"}}]`],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'prototype keys',
    name: 'author, seq and timestamps in the payload are ignored',
    frames: (c) => [
      send(c, {
        content: `mass ${c.mark}`,
        authorId: randomUUID(),
        author: { id: randomUUID(), username: 'admin' },
        seq: 1,
        id: randomUUID(),
        createdAt: '2000-01-01T00:00:00Z',
        email: 'admin@example.com',
      }),
    ],
    expect: storedMessage((c) => `mass ${c.mark}`),
  },

  // --- Nesting.
  {
    kind: 'socket',
    group: 'nesting',
    name: '10 000-deep array as the payload',
    frames: () => [sendRaw(deepArray(10_000))],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'nesting',
    name: '10 000-deep array as content',
    frames: (c) => [
      sendRaw(`{"roomId":"${c.roomId}","clientMsgId":"${clientMsgId()}","content":${deepArray(10_000)}}`),
    ],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'nesting',
    name: '10 000-deep object as roomId',
    frames: () => [sendRaw(`{"content":"x","clientMsgId":"${clientMsgId()}","roomId":${deepObject(10_000)}}`)],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'nesting',
    name: '10 000-deep array as a room:join id',
    frames: () => [`420["room:join",${deepArray(10_000)}]`],
    expect: error('invalid_input'),
  },
]
