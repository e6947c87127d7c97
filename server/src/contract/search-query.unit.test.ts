// The query language: parser, evaluator, hashtags, day boundaries and marks (contract/search-query.ts).
// The client/server agreement property runs in search/search.sql.unit.test.ts and search/search.test.ts.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  dayStart,
  extractHashtags,
  matchesQuery,
  matchRanges,
  parseQuery,
  type ParsedQuery,
  type SearchableMessage,
} from './search-query'

const terms = (text: string) => {
  const r = parseQuery(text)
  assert.ok(r.ok, text)
  return r.query.terms
}
const q = (text: string): ParsedQuery => ({ terms: terms(text) })

test('parses words, phrases, exclusions, hashtags and every operator', () => {
  assert.deepEqual(terms('deploy "hello  world" -draft #Release topic:News from:@Alice in:#general'), [
    { kind: 'word', value: 'deploy', negated: false },
    { kind: 'phrase', value: 'hello world', negated: false },
    { kind: 'word', value: 'draft', negated: true },
    { kind: 'hashtag', value: 'release', negated: false },
    { kind: 'topic', value: 'News', negated: false },
    { kind: 'from', value: 'Alice', negated: false },
    { kind: 'in', value: 'general', negated: false },
  ])
  assert.deepEqual(terms('before:2026-01-02 after:2025-12-31 on:2026-01-01 has:link is:reply -has:LINK'), [
    { kind: 'before', date: '2026-01-02', negated: false },
    { kind: 'after', date: '2025-12-31', negated: false },
    { kind: 'on', date: '2026-01-01', negated: false },
    { kind: 'has', value: 'link', negated: false },
    { kind: 'is', value: 'reply', negated: false },
    { kind: 'has', value: 'link', negated: true },
  ])
  assert.deepEqual(terms('topic:"release notes" -"not this" in:"my room"'), [
    { kind: 'topic', value: 'release notes', negated: false },
    { kind: 'phrase', value: 'not this', negated: true },
    { kind: 'in', value: 'my room', negated: false },
  ])
})

test('unknown key: tokens, lone signs and odd quotes are plain words', () => {
  assert.deepEqual(terms('foo:bar has:cats is:open - # key: :x it"s "unclosed phrase'), [
    { kind: 'word', value: 'foo:bar', negated: false },
    { kind: 'word', value: 'has:cats', negated: false },
    { kind: 'word', value: 'is:open', negated: false },
    { kind: 'word', value: '-', negated: false },
    { kind: 'word', value: '#', negated: false },
    { kind: 'word', value: 'key:', negated: false },
    { kind: 'word', value: ':x', negated: false },
    { kind: 'word', value: 'it"s', negated: false },
    { kind: 'phrase', value: 'unclosed phrase', negated: false },
  ])
  assert.deepEqual(terms("#foo. %_ \\ '")[0], { kind: 'word', value: '#foo.', negated: false })
  assert.deepEqual(terms('  '), [])
  assert.deepEqual(terms('""'), [])
})

test('a malformed date is an error naming it', () => {
  for (const bad of ['before:2026-13-01', 'on:2026-02-30', 'after:yesterday', 'on:26-1-1', '-before:0999-01-01']) {
    const r = parseQuery(`deploy ${bad}`)
    assert.equal(r.ok, false, bad)
    assert.ok(!r.ok && r.error.includes(bad), `${bad}: ${!r.ok && r.error}`)
  }
  assert.equal(parseQuery('on:2028-02-29').ok, true)
})

test('hashtags: letters, digits, _ and inner -, any script, lower-cased, once each, not inside words or links', () => {
  assert.deepEqual(
    extractHashtags('#Release notes #release, (#t-shirt) #日本 #v2-beta- x#no &#38; http://h/#frag ##x #'),
    ['release', 't-shirt', '日本', 'v2-beta'],
  )
  assert.deepEqual(extractHashtags(`#${'a'.repeat(64)} #${'b'.repeat(65)}`), ['a'.repeat(64)])
})

test('days begin at local midnight of the given time zone, DST included', () => {
  assert.equal(new Date(dayStart('2026-01-10', 'UTC')).toISOString(), '2026-01-10T00:00:00.000Z')
  assert.equal(new Date(dayStart('2026-01-10', 'Asia/Tokyo')).toISOString(), '2026-01-09T15:00:00.000Z')
  assert.equal(new Date(dayStart('2026-07-01', 'America/New_York')).toISOString(), '2026-07-01T04:00:00.000Z')
  assert.equal(new Date(dayStart('2026-01-01', 'America/New_York')).toISOString(), '2026-01-01T05:00:00.000Z')
  assert.equal(new Date(dayStart('2026-03-08', 'America/New_York', 1)).toISOString(), '2026-03-09T04:00:00.000Z')
  assert.equal(new Date(dayStart('2026-01-31', 'UTC', 1)).toISOString(), '2026-02-01T00:00:00.000Z')
})

const msg = (content: string, extra: Partial<SearchableMessage> = {}): SearchableMessage => ({
  roomId: 'r1',
  kind: 'user',
  author: { username: 'alice' },
  topic: 'general',
  content,
  createdAt: '2026-01-10T12:00:00.000Z',
  deletedAt: null,
  threadRootId: null,
  ...extra,
})
const ctx = { roomName: (id: string) => (id === 'r1' ? 'General' : undefined), timeZone: 'UTC' }
const hit = (query: string, m: SearchableMessage, c = ctx) => matchesQuery(q(query), m, c)

test('words match the start of a word; anything with punctuation matches that text anywhere', () => {
  assert.equal(hit('deploy', msg('Deploying now')), true)
  assert.equal(hit('ploy', msg('Deploying now')), false)
  assert.equal(hit('json', msg('see db.json')), true, 'db.json has the word json')
  assert.equal(hit('db.json', msg('see db.json!')), true)
  assert.equal(hit('b.js', msg('see db.json!')), true, 'text with punctuation is a substring')
  assert.equal(hit('t-shirt', msg('my T-Shirt')), true)
  assert.equal(hit('PLT-3699', msg('fixes plt-3699')), true)
  assert.equal(hit('a/b', msg('test a/b')), true)
  assert.equal(hit('50%', msg('to 50%')), true)
  assert.equal(hit('5%', msg('to 50%')), false, '% is literal')
  assert.equal(hit('_', msg('abc')), false, '_ is literal')
  assert.equal(hit('日本', msg('東京は日本語')), true)
  assert.equal(hit('🎉', msg('yay 🎉')), true)
  assert.equal(hit('"hello world"', msg('say Hello World!')), true)
  assert.equal(hit('"hello world"', msg('hello, world')), false)
  assert.equal(hit('-deploy', msg('Deploying now')), false)
  assert.equal(hit('#release', msg('shipping #Release today')), true)
  assert.equal(hit('#rel', msg('shipping #Release today')), false)
  assert.equal(hit('has:link', msg('see https://example.com')), true)
  assert.equal(hit('has:link', msg('see example.com')), false)
})

test('operators: topic, from, in, dates in the time zone, is:reply; deleted messages and notices never match', () => {
  assert.equal(hit('topic:GENERAL', msg('x')), true)
  assert.equal(hit('topic:gen', msg('x')), false)
  assert.equal(hit('from:Alice', msg('x')), true)
  assert.equal(hit('from:bob', msg('x')), false)
  assert.equal(hit('in:general', msg('x')), true)
  assert.equal(hit('in:general', msg('x', { roomId: 'r2' })), false, 'a room the viewer cannot name')
  const late = msg('x', { createdAt: '2026-01-10T23:30:00.000Z' })
  assert.equal(hit('on:2026-01-10', late), true)
  assert.equal(hit('on:2026-01-10', late, { ...ctx, timeZone: 'Asia/Tokyo' }), false, 'already the 11th in Tokyo')
  assert.equal(hit('after:2026-01-10', late, { ...ctx, timeZone: 'Asia/Tokyo' }), true)
  assert.equal(hit('before:2026-01-11', late), true)
  assert.equal(hit('before:2026-01-10', late), false)
  assert.equal(hit('after:2026-01-10', late), false, 'after a day = once it has ended')
  assert.equal(hit('is:reply', msg('x')), false)
  assert.equal(hit('-is:reply', msg('x')), true)
  assert.equal(hit('is:reply', msg('x', { threadRootId: 'root-1' })), true)
  assert.equal(hit('-is:reply x', msg('x', { threadRootId: 'root-1' })), false)
  assert.equal(hit('x', msg('x', { deletedAt: '2026-01-11T00:00:00.000Z' })), false)
  assert.equal(hit('-zzz', msg('', { kind: 'system' })), false)
})

test('marks: the matched words, texts and tags, merged', () => {
  assert.deepEqual(matchRanges(q('deploy db.json #ship -x'), 'Deploying db.json #Ship it'), [
    [0, 9],
    [10, 17],
    [18, 23],
  ])
  assert.deepEqual(matchRanges(q('"lo wo" hello'), 'hello world'), [[0, 8]])
  assert.deepEqual(matchRanges(q('from:alice'), 'hello'), [])
})
