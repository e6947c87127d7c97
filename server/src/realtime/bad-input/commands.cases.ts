// Bad-input catalogue: ephemeral messages and slash commands (issue 20; see ../bad-input.test.ts for
// the runner and the invariants). Refused input writes nothing and broadcasts nothing; an unknown
// command is answered privately, quoting the input verbatim as text.
import assert from 'node:assert/strict'
import { clientMsgId } from '../../../test/helpers'
import { CONTENT_MAX } from '../../contract/messages'
import { type Case, type Ctx, error, ev, HTML, http } from './catalogue'

const ephemeral = (c: Ctx, fields: Record<string, unknown> = {}) =>
  ev('ephemeral:send', { roomId: c.roomId, content: 'hello', clientMsgId: clientMsgId(), ...fields })
const command = (c: Ctx, fields: Record<string, unknown> = {}) =>
  ev('command:run', { roomId: c.roomId, text: '/help', clientMsgId: clientMsgId(), ...fields })

export const commandsCases: Case[] = [
  ...(
    [
      ['ephemeral:send without a payload', () => ['420["ephemeral:send"]']],
      ['ephemeral:send with content as an object', (c: Ctx) => [ephemeral(c, { content: { text: 'x' } })]],
      ['ephemeral:send with roomId as a Prisma filter', (c: Ctx) => [ephemeral(c, { roomId: { contains: '' } })]],
      [
        `ephemeral:send with ${CONTENT_MAX + 1} characters`,
        (c: Ctx) => [ephemeral(c, { content: 'a'.repeat(CONTENT_MAX + 1) })],
      ],
      ['ephemeral:send with a NUL in content', (c: Ctx) => [ephemeral(c, { content: 'a\u0000b' })]],
      ['ephemeral:send with an empty content', (c: Ctx) => [ephemeral(c, { content: '   ' })]],
      ['command:run without a payload', () => ['420["command:run"]']],
      ['command:run with text as an array', (c: Ctx) => [command(c, { text: ['/help'] })]],
      ['command:run without clientMsgId', (c: Ctx) => [command(c, { clientMsgId: undefined })]],
      [
        `command:run with ${CONTENT_MAX + 1} characters`,
        (c: Ctx) => [command(c, { text: `/me ${'a'.repeat(CONTENT_MAX)}` })],
      ],
      ['command:run with a bidi override', (c: Ctx) => [command(c, { text: '/me \u202Egnp.exe' })]],
      ['command:run with a topic of 65 characters', (c: Ctx) => [command(c, { topic: 't'.repeat(65) })]],
    ] as [string, (c: Ctx) => string[]][]
  ).map(([name, frames]): Case => ({
    kind: 'socket',
    group: 'commands and ephemeral messages',
    name,
    frames,
    expect: error('invalid_input'),
  })),
  ...HTML.map((markup): Case => ({
    kind: 'socket',
    group: 'commands and ephemeral messages',
    name: `unknown command /${markup}: a private answer quoting it as text`,
    frames: (c) => [command(c, { text: `/${markup}` })],
    expect: {
      outcome: 'ok',
      check(got) {
        assert.equal(got.ack.result.reply.includes(`/${markup}`), true, 'quoted verbatim, not escaped or rendered')
        assert.equal(got.ack.result.message, undefined)
      },
    },
  })),
  {
    kind: 'socket',
    group: 'commands and ephemeral messages',
    name: 'ephemeral markup: broadcast verbatim, stored nowhere',
    frames: (c) => [ephemeral(c, { content: `${HTML[0]} ${c.mark}` })],
    expect: {
      outcome: 'ok',
      broadcast: 'ephemeral:created',
      check(got, c) {
        assert.equal(got.ack.message.content, `${HTML[0]} ${c.mark}`)
        assert.equal(got.seen[0].args[0].content, `${HTML[0]} ${c.mark}`)
      },
    },
  },
  {
    kind: 'rest',
    group: 'commands and ephemeral messages',
    name: 'GET commands of a room id that is not a UUID',
    request: () => ({ method: 'GET', path: `/api/rooms/not-a-room/commands` }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group: 'commands and ephemeral messages',
    name: 'GET escalations of a room id that is not a UUID',
    request: () => ({ method: 'GET', path: `/api/rooms/%27%20OR%201=1/escalations` }),
    expect: http(400, 'invalid_input'),
  },
]
