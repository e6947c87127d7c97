// Bad-input catalogue: unicode, HTML and SQL-ish text (see ../bad-input.test.ts for the runner and the invariants).
import { type Case, error, FAMILY, HTML, send, SQL, storedMessage, ZALGO, ZERO_WIDTH_ONLY } from './catalogue'

export const textCases: Case[] = [
  // --- Unicode.
  ...(
    [
      ['NUL in content', 'a\u0000b', 'content'],
      ['NUL in topic', 'a\u0000b', 'topic'],
      ['a lone high surrogate in content', 'a\uD800b', 'content'],
      ['a lone low surrogate in content', 'a\uDC00b', 'content'],
      ['a lone surrogate in topic', '\uDBFF', 'topic'],
      ['RTL override (U+202E) in content', 'abc\u202Etxt.exe', 'content'],
      ['RTL override (U+202E) in topic', '\u202Egnp.exe', 'topic'],
      ['right-to-left isolate (U+2067) in content', 'x\u2067y', 'content'],
      ['C1 control (U+0085) in content', 'a\u0085b', 'content'],
      ['escape sequence (ESC[2J) in content', 'a\u001b[2Jb', 'content'],
      ['newline in topic', 'a\nb', 'topic'],
      [`1 000 combining marks in topic (64 max)`, ZALGO, 'topic'],
      ['content made only of zero-width characters', ZERO_WIDTH_ONLY, 'content'],
      ['topic made only of zero-width characters', ZERO_WIDTH_ONLY, 'topic'],
      ['content made only of a BOM', '\uFEFF', 'content'],
    ] as [string, string, 'content' | 'topic'][]
  ).map(([name, text, field]): Case => ({
    kind: 'socket',
    group: 'unicode',
    name,
    frames: (c) => [send(c, { [field]: text })],
    expect: error('invalid_input'),
  })),
  ...(
    [
      ['zero-width joiners inside an emoji', `family ${FAMILY}`, `family ${FAMILY}`],
      ['zero-width non-joiner in Persian', 'می\u200Cخواهم', 'می\u200Cخواهم'],
      ['zero-width space inside a word', 'in\u200Bvisible', 'in\u200Bvisible'],
      ['1 000 combining marks in content', ZALGO, ZALGO],
      ['decomposed é is stored NFC', 'caf\u0065\u0301', 'caf\u00e9'],
      ['CRLF is stored as LF', 'one\r\ntwo\rthree', 'one\ntwo\nthree'],
      ['right-to-left text without overrides', 'שלום עולם مرحبا', 'שלום עולם مرحبا'],
    ] as [string, string, string][]
  ).map(([name, input, stored]): Case => ({
    kind: 'socket',
    group: 'unicode',
    name,
    frames: (c) => [send(c, { content: input })],
    expect: storedMessage(stored),
  })),

  // --- HTML and SQL-ish text: plain text, stored and returned verbatim.
  ...HTML.map((payload, i): Case => ({
    kind: 'socket',
    group: 'html',
    name: `HTML in content and topic #${i + 1}: ${payload}`,
    frames: (c) => [send(c, { content: payload, topic: payload })],
    expect: storedMessage(payload, payload),
  })),
  ...SQL.map((payload, i): Case => ({
    kind: 'socket',
    group: 'sql',
    name: `SQL-ish content and topic #${i + 1}: ${payload}`,
    frames: (c) => [send(c, { content: payload, topic: payload.slice(0, 64) })],
    expect: storedMessage(payload, payload.slice(0, 64)),
  })),
]
