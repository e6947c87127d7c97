// Mentions (issue 18): what the server stores and the web highlights, from one parser.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { extractMentions, mentionParts } from './mentions'

const names = (text: string) => extractMentions(text).usernames

test('a username after @ with word boundaries on both sides', () => {
  assert.deepEqual(names('hi @alice'), ['alice'])
  assert.deepEqual(names('@alice, @bob_2 and (@carol-x).'), ['alice', 'bob_2', 'carol-x'])
  assert.deepEqual(names('@Alice @ALICE'), ['alice'], 'case-insensitive, once')
  assert.deepEqual(names('thanks @alice!'), ['alice'])
  assert.deepEqual(names('@alice.'), ['alice'], 'a full stop ends the sentence, not the name')
})

test('no mention inside a longer word, an address or a dotted name', () => {
  for (const text of ['mail bob@alice.org', 'x@alice', '@@alice', '@alice.smith', '@al', '@' + 'a'.repeat(33)]) {
    assert.deepEqual(names(text), [], text)
  }
  assert.deepEqual(names('@alicex'), ['alicex'], '@alicex does not mention alice')
})

test('text in code mentions nobody', () => {
  assert.deepEqual(names('`@alice` said'), [])
  assert.deepEqual(names('```\n@alice\n```'), [])
  assert.deepEqual(names('```js\nping(@alice)'), [], 'an unclosed fence runs to the end')
  assert.deepEqual(names('`@alice` and @bob'), ['bob'])
  assert.deepEqual(names('```\n`\n```@carol'), ['carol'])
})

test('@room is a flag, not a username', () => {
  assert.deepEqual(extractMentions('@room wake up'), { usernames: [], room: true })
  assert.deepEqual(extractMentions('`@room`'), { usernames: [], room: false })
  assert.deepEqual(extractMentions('@roomy'), { usernames: ['roomy'], room: false })
})

test('the parts join back into the text, with mentions and code marked', () => {
  const text = 'hey @alice, see `@bob` and @carol!'
  const parts = mentionParts(text)
  assert.equal(parts.map((p) => p.text).join(''), text)
  assert.deepEqual(
    parts.filter((p) => p.mention).map((p) => p.mention),
    ['alice', 'carol'],
  )
  assert.ok(parts.some((p) => p.code && p.text === '`@bob`'))
})
