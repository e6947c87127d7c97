// Bad-input catalogue: message search, saved filters and rooms:watch (issue 17; see ../bad-input.test.ts
// for the runner and the invariants: nothing stored, nothing broadcast, the right error).
import assert from 'node:assert/strict'
import { type Accepted, type Case, error, ev, http, SQL } from './catalogue'

/** 200, and every hit's content holds `literal` (case-insensitively): wildcards and quotes are literal. */
const literalHits = (literal: string): Accepted => ({
  outcome: '200',
  check(got) {
    assert.ok(Array.isArray(got.body.results), 'a results page')
    for (const h of got.body.results) {
      assert.ok(
        h.message.content.toLowerCase().includes(literal.toLowerCase()),
        `${h.message.content} lacks ${literal}`,
      )
    }
  },
})

const search = (query: string) => `/api/search?${query}`

export const messageSearchCases: Case[] = [
  ...(
    [
      ['no q', search('')],
      ['q repeated', search('q=a&q=b')],
      ['q of 1 000 characters', search(`q=${'q'.repeat(1000)}`)],
      ['q empty', search('q=')],
      ['q only spaces', search('q=%20%20%20')],
      ['q only a phrase of spaces', search('q=%22%20%22')],
      ['NUL in q', search('q=a%00b')],
      ['RTL override in q', search('q=%E2%80%AEabc')],
      ['malformed date', search('q=before%3A2026-13-01')],
      ['date without dashes', search('q=on%3A20260101')],
      ['unknown time zone', search('q=a&tz=Mars%2FOlympus')],
      ['time zone as SQL', search(`q=a&tz=${encodeURIComponent('UTC\'; DROP TABLE "Message"; --')}`)],
      ['cursor not base64url', search('q=a&cursor=%27%3B--')],
      ['cursor of a forged shape', search(`q=a&cursor=${Buffer.from("x' OR 1=1|y").toString('base64url')}`)],
      ['roomId not an id', search('q=a&roomId=general')],
      ['limit 0', search('q=a&limit=0')],
      ['limit not a number', search('q=a&limit=lots')],
    ] as [string, string][]
  ).map(([name, path]): Case => ({
    kind: 'rest',
    group: 'REST message search',
    name: `search messages: ${name}`,
    request: () => ({ method: 'GET', path }),
    expect: http(400, 'invalid_input'),
  })),
  ...['%', '_', '\\', "'", '"', '%_%', ...SQL].map((literal): Case => ({
    kind: 'rest',
    group: 'REST message search',
    name: `search messages: ${JSON.stringify(literal)} is literal`,
    request: () => ({ method: 'GET', path: search(`q=${encodeURIComponent(literal === '"' ? 'a"b' : literal)}`) }),
    expect: literalHits(literal === '"' ? 'a"b' : literal.replace(/^"|"$/g, '')),
  })),
  {
    kind: 'rest',
    group: 'REST message search',
    // Not valid UTF-8: the query parser makes it U+FFFD (then a plain search) or the schema refuses it.
    name: 'search messages: a lone surrogate in q',
    request: () => ({ method: 'GET', path: search('q=%ED%A0%BD') }),
    expect: { refused: ['400:invalid_input', '200'] },
  },
  {
    kind: 'rest',
    group: 'REST message search',
    name: 'search messages: limit 100 000 is clamped',
    request: () => ({ method: 'GET', path: search('q=a&limit=100000') }),
    expect: { outcome: '200', check: (got) => assert.ok(got.body.results.length <= 50) },
  },
  // --- Saved filters: nothing is stored for a bad body.
  ...(
    [
      ['no name', { query: 'a' }],
      ['name of 65 characters', { name: 'n'.repeat(65), query: 'a' }],
      ['empty query', { name: 'x', query: '' }],
      ['query of 501 characters', { name: 'x', query: 'q'.repeat(501) }],
      ['malformed date in the query', { name: 'x', query: 'on:2026-02-30' }],
      ['roomId not an id', { name: 'x', query: 'a', roomId: 'lobby' }],
      ['query as an object', { name: 'x', query: { contains: '' } }],
      ['body a JSON array', '[{"name":"x","query":"a"}]'],
    ] as [string, unknown][]
  ).map(([name, body]): Case => ({
    kind: 'rest',
    group: 'REST filters',
    name: `save filter: ${name}`,
    request: () => ({ method: 'POST', path: '/api/filters', body }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group: 'REST filters',
    name: 'update filter: not an id',
    request: () => ({ method: 'PATCH', path: '/api/filters/abc', body: { name: 'x' } }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group: 'REST filters',
    name: 'update filter: nothing to change',
    request: () => ({ method: 'PATCH', path: `/api/filters/${crypto.randomUUID()}`, body: {} }),
    expect: http(400, 'invalid_input'),
  },
  // --- rooms:watch.
  ...(
    [
      ['payload a string', 'room'],
      ['roomIds missing', {}],
      ['roomIds not an array', { roomIds: 'x' }],
      ['a roomId not an id', { roomIds: ['lobby'] }],
      ['501 room ids', { roomIds: Array.from({ length: 501 }, () => crypto.randomUUID()) }],
    ] as [string, unknown][]
  ).map(([name, payload]): Case => ({
    kind: 'socket',
    group: 'rooms:watch',
    name: `rooms:watch: ${name}`,
    frames: () => [ev('rooms:watch', payload)],
    expect: error('invalid_input'),
  })),
]
