// Bad-input catalogue: malformed and ignored frames (see ../bad-input.test.ts for the runner and the invariants).
import { type Frame } from '../../../test/raw-socket'
import { type Case, closed, type Ctx, ev, ignored } from './catalogue'

export const framesCases: Case[] = [
  // --- Malformed frames: the server cannot answer them with an ack, so it closes the connection.
  ...(
    [
      ['`42[` (truncated JSON)', () => ['42[']],
      ['`420[` with an ack id', () => ['420[']],
      ['`420[]` (no event name)', () => ['420[]']],
      ['`420{}` (object instead of array)', () => ['420{}']],
      ['`420"message:send"` (string instead of array)', () => ['420"message:send"']],
      ['non-JSON payload', () => ['420hello world']],
      ['`4` (empty Socket.IO packet)', () => ['4']],
      ['unknown Socket.IO packet type `47`', () => ['47["x"]']],
      ['unknown Engine.IO packet type `9`', () => ['9']],
      ['a second CONNECT on a connected namespace', () => ['40']],
      ['an event to a namespace never joined', (c: Ctx) => [`42/admin,0${JSON.stringify(['room:join', c.roomId])}`]],
      ['reserved event name `connect`', () => ['420["connect",{}]']],
      ['reserved event name `disconnecting`', () => ['420["disconnecting"]']],
      [
        'binary placeholder num 999999 (attachment then sent)',
        () => ['451-0["message:send",{"_placeholder":true,"num":999999}]', Buffer.from('xx')],
      ],
      [
        'binary placeholder, text frame instead of the attachment',
        () => ['451-0["message:send",{"_placeholder":true,"num":999999}]', '420["room:leave","x"]'],
      ],
      ['absurd attachment count 99999999', () => ['4599999999-0["message:send",{"_placeholder":true,"num":0}]']],
      ['attachment count 11 (over the parser maximum)', () => ['4511-0["x",{"_placeholder":true,"num":0}]']],
      ['negative attachment count', () => ['45-1-0["x",{"_placeholder":true,"num":0}]']],
      ['a binary frame nobody announced', () => [Buffer.from([1, 2, 3])]],
      ['text frame with invalid UTF-8', () => [{ invalidUtf8Text: Buffer.from([0x34, 0x32, 0x5b, 0xff, 0xfe, 0x5d]) }]],
    ] as [string, (c: Ctx) => Frame[]][]
  ).map(([name, frames]): Case => ({ kind: 'socket', group: 'malformed frames', name, frames, expect: closed })),

  // --- Well-formed frames the server has no use for: ignored, connection kept.
  ...(
    [
      ['`42` (event without data)', () => ['42']],
      ['unknown event with an ack id', () => [ev('admin:deleteEverything', {})]],
      ['numeric event name', () => [ev(1, {})]],
      ['event named `error`', () => [ev('error', {})]],
      ['an ACK for an id the server never used', () => ['4399[{"ok":true}]']],
      [
        'a refused payload without an ack id',
        (c: Ctx) => [`42${JSON.stringify(['message:send', { roomId: 1, content: c.mark }])}`],
      ],
    ] as [string, (c: Ctx) => Frame[]][]
  ).map(([name, frames]): Case => ({ kind: 'socket', group: 'ignored frames', name, frames, expect: ignored })),
  {
    kind: 'socket',
    group: 'ignored frames',
    name: 'CONNECT to an unknown namespace gets a CONNECT_ERROR',
    frames: () => ['40/admin,'],
    expect: { refused: 'connect-error' },
  },
]
