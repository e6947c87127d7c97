// Bad-input catalogue: replies, votes and reactions (issue 16) — see ../bad-input.test.ts for the runner
// and the invariants. Shapes are refused before any lookup, so most cases aim at a message id that
// does not exist; a well-formed toggle of a missing message is `not_found`.
import { randomUUID } from 'node:crypto'
import { clientMsgId } from '../../../test/helpers'
import { type Frame } from '../../../test/raw-socket'
import { type Case, type Ctx, error, ev, FAMILY, HTML, http, send, SQL, ZALGO } from './catalogue'

const someMessage = randomUUID()
const vote = (c: Ctx, fields: Record<string, unknown>) =>
  ev('message:vote', { roomId: c.roomId, messageId: someMessage, vote: 'up', ...fields })
const react = (c: Ctx, fields: Record<string, unknown>) =>
  ev('message:react', { roomId: c.roomId, messageId: someMessage, emoji: '👍', ...fields })

export const reactionsCases: Case[] = [
  // --- Sockets: every malformed toggle gets invalid_input, nothing stored or broadcast.
  ...(
    [
      ['message:vote without a payload', () => ['420["message:vote"]']],
      ['message:vote with a string payload', () => [ev('message:vote', 'up')]],
      ['message:vote sideways', (c: Ctx) => [vote(c, { vote: 'sideways' })]],
      ['message:vote as a number', (c: Ctx) => [vote(c, { vote: 1 })]],
      ['message:vote as an array', (c: Ctx) => [vote(c, { vote: ['up'] })]],
      ['message:vote without a vote', (c: Ctx) => [vote(c, { vote: undefined })]],
      ['message:vote with messageId not a UUID', (c: Ctx) => [vote(c, { messageId: "' OR 1=1 --" })]],
      ['message:vote with messageId a Prisma filter', (c: Ctx) => [vote(c, { messageId: { contains: '' } })]],
      ['message:react without a payload', () => ['420["message:react"]']],
      ['message:react with no emoji', (c: Ctx) => [react(c, { emoji: undefined })]],
      ['message:react with an empty emoji', (c: Ctx) => [react(c, { emoji: '' })]],
      ['message:react with a letter', (c: Ctx) => [react(c, { emoji: 'a' })]],
      ['message:react with a word', (c: Ctx) => [react(c, { emoji: 'thumbsup' })]],
      ['message:react with two emoji', (c: Ctx) => [react(c, { emoji: '👍👎' })]],
      ['message:react with an emoji and a space', (c: Ctx) => [react(c, { emoji: '👍 ' })]],
      ['message:react with a digit (no keycap)', (c: Ctx) => [react(c, { emoji: '1' })]],
      ['message:react with half a flag', (c: Ctx) => [react(c, { emoji: '\u{1F1EB}' })]],
      ['message:react with a lone surrogate', (c: Ctx) => [react(c, { emoji: '\uD83D' })]],
      ['message:react with zalgo', (c: Ctx) => [react(c, { emoji: ZALGO })]],
      ['message:react with a family twice', (c: Ctx) => [react(c, { emoji: FAMILY + FAMILY })]],
      ['message:react with HTML', (c: Ctx) => [react(c, { emoji: HTML[0] })]],
      ['message:react with SQL', (c: Ctx) => [react(c, { emoji: SQL[0] })]],
      ['message:react with an emoji as an array', (c: Ctx) => [react(c, { emoji: ['👍'] })]],
      ['message:react with an emoji as an object', (c: Ctx) => [react(c, { emoji: { emoji: '👍' } })]],
      ['message:send replyTo not a UUID', (c: Ctx) => [send(c, { replyTo: 'parent' })]],
      ['message:send replyTo an array', (c: Ctx) => [send(c, { replyTo: [randomUUID()] })]],
      ['message:send alsoInRoom a string', (c: Ctx) => [send(c, { replyTo: randomUUID(), alsoInRoom: 'yes' })]],
    ] as [string, (c: Ctx) => Frame[]][]
  ).map(([name, frames]): Case => ({
    kind: 'socket',
    group: 'replies, votes and reactions',
    name,
    frames,
    expect: error('invalid_input'),
  })),
  {
    kind: 'socket',
    group: 'replies, votes and reactions',
    name: 'message:vote on a message that does not exist',
    frames: (c) => [vote(c, {})],
    expect: error('not_found'),
  },
  {
    kind: 'socket',
    group: 'replies, votes and reactions',
    name: 'message:send replying to a message that does not exist',
    frames: (c) => [send(c, { replyTo: randomUUID(), clientMsgId: clientMsgId() })],
    expect: error('not_found'),
  },

  // --- REST.
  ...(
    [
      ['vote sideways', 'vote', { vote: 'sideways' }],
      ['vote missing', 'vote', {}],
      ['vote body a JSON array', 'vote', '[{"vote":"up"}]'],
      ['vote body not JSON', 'vote', '{"vote":'],
      ['reaction of two emoji', 'reactions', { emoji: '😀😀' }],
      ['reaction of text', 'reactions', { emoji: 'lol' }],
      ['reaction hidden under __proto__', 'reactions', '{"__proto__":{"emoji":"👍"}}'],
      ['reaction as a number', 'reactions', { emoji: 128077 }],
    ] as [string, string, unknown][]
  ).map(([name, path, body]): Case => ({
    kind: 'rest',
    group: 'REST replies, votes and reactions',
    name: `POST ${path}: ${name}`,
    request: (c) => ({ method: 'POST', path: `/api/rooms/${c.roomId}/messages/${someMessage}/${path}`, body }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group: 'REST replies, votes and reactions',
    name: 'POST vote: message id not a UUID',
    request: (c) => ({ method: 'POST', path: `/api/rooms/${c.roomId}/messages/not-a-uuid/vote`, body: { vote: 'up' } }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group: 'REST replies, votes and reactions',
    name: 'POST reactions: a message that does not exist',
    request: (c) => ({
      method: 'POST',
      path: `/api/rooms/${c.roomId}/messages/${someMessage}/reactions`,
      body: { emoji: '👍' },
    }),
    expect: http(404, 'not_found'),
  },
  ...(
    [
      ['order unknown', 'order=best'],
      ['order repeated', 'order=top&order=time'],
      ['offset without order=top', 'offset=10'],
      ['top with a seq cursor', 'order=top&before=5'],
      ['offset negative', 'order=top&offset=-1'],
      ['offset not a number', 'order=top&offset=ten'],
    ] as [string, string][]
  ).map(([name, query]): Case => ({
    kind: 'rest',
    group: 'REST replies, votes and reactions',
    name: `GET history: ${name}`,
    request: (c) => ({ method: 'GET', path: `/api/rooms/${c.roomId}/messages?${query}` }),
    expect: http(400, 'invalid_input'),
  })),
  ...(
    [
      ['limit not a number', `${someMessage}/thread?limit=abc`],
      ['after negative', `${someMessage}/thread?after=-3`],
      ['message id not a UUID', 'abc/thread'],
    ] as [string, string][]
  ).map(([name, path]): Case => ({
    kind: 'rest',
    group: 'REST replies, votes and reactions',
    name: `GET thread: ${name}`,
    request: (c) => ({ method: 'GET', path: `/api/rooms/${c.roomId}/messages/${path}` }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group: 'REST replies, votes and reactions',
    name: 'GET thread: a message that does not exist',
    request: (c) => ({ method: 'GET', path: `/api/rooms/${c.roomId}/messages/${someMessage}/thread` }),
    expect: http(404, 'not_found'),
  },
]
