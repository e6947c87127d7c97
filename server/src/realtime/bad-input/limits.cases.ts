// Bad-input catalogue: length limits and frame size (see ../bad-input.test.ts for the runner and the invariants).
import { CONTENT_MAX } from '../../contract/messages'
import { type Case, closed, EMOJI, error, oneMegabyte, send, storedMessage } from './catalogue'

export const limitsCases: Case[] = [
  // --- Length limits (code points, after NFC and trimming).
  {
    kind: 'socket',
    group: 'limits',
    name: `content of exactly ${CONTENT_MAX} characters`,
    frames: (c) => [send(c, { content: 'a'.repeat(CONTENT_MAX) })],
    expect: storedMessage('a'.repeat(CONTENT_MAX)),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: `content of ${CONTENT_MAX + 1} characters`,
    frames: (c) => [send(c, { content: 'a'.repeat(CONTENT_MAX + 1) })],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: `content of ${CONTENT_MAX} astral emoji (${CONTENT_MAX * 2} UTF-16 units)`,
    frames: (c) => [send(c, { content: EMOJI.repeat(CONTENT_MAX) })],
    expect: storedMessage(EMOJI.repeat(CONTENT_MAX)),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: `content of ${CONTENT_MAX + 1} astral emoji`,
    frames: (c) => [send(c, { content: EMOJI.repeat(CONTENT_MAX + 1) })],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: `content of ${CONTENT_MAX} characters plus surrounding whitespace`,
    frames: (c) => [send(c, { content: `  ${'b'.repeat(CONTENT_MAX)}\n\n ` })],
    expect: storedMessage('b'.repeat(CONTENT_MAX)),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: 'topic of exactly 64 characters',
    frames: (c) => [send(c, { topic: 't'.repeat(64), content: `topic ${c.mark}` })],
    expect: storedMessage((c) => `topic ${c.mark}`, 't'.repeat(64)),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: 'topic of 65 characters',
    frames: (c) => [send(c, { topic: 't'.repeat(65) })],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: 'empty content',
    frames: (c) => [send(c, { content: '' })],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'limits',
    name: 'whitespace-only content',
    frames: (c) => [send(c, { content: ' \n\t \n ' })],
    expect: error('invalid_input'),
  },

  // --- Frame size: maxHttpBufferSize is 64 kB; beyond it the server closes the connection.
  {
    kind: 'socket',
    group: 'frame size',
    name: '60 kB frame (under the limit, content too long)',
    frames: (c) => [send(c, { content: 'a'.repeat(60_000) })],
    expect: error('invalid_input'),
  },
  {
    kind: 'socket',
    group: 'frame size',
    name: '70 kB frame',
    frames: (c) => [send(c, { content: 'a'.repeat(70_000) })],
    expect: closed,
  },
  {
    kind: 'socket',
    group: 'frame size',
    name: '1 MB+ frame',
    frames: (c) => [send(c, { content: oneMegabyte })],
    expect: closed,
  },
  {
    kind: 'socket',
    group: 'frame size',
    name: '1 MB+ binary attachment',
    frames: () => ['451-0["message:send",{"_placeholder":true,"num":0}]', Buffer.alloc(1024 * 1024 + 1, 1)],
    expect: closed,
  },
]
