// What counts as one emoji (issue 16): a reaction is exactly one emoji grapheme, nothing else.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { oneEmoji, ZEmoji } from './reactions'

test('one emoji, of every shape, is accepted as it is', () => {
  for (const e of ['😀', '👍', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇫🇷', '#️⃣', '🫠', '❤️', '🏴󠁧󠁢󠁳󠁣󠁴󠁿']) assert.equal(oneEmoji(e), e, e)
})

test('a pictograph without its variation selector gets one, so both spellings are one reaction', () => {
  assert.equal(oneEmoji('\u2764'), '\u2764\uFE0F')
  assert.equal(oneEmoji('\u263A'), '\u263A\uFE0F')
})

test('anything but exactly one emoji is refused', () => {
  const refused = [
    '',
    ' ',
    'a',
    'ab',
    '1',
    '#',
    ':)',
    '👍👍',
    '👍 ',
    ' 👍',
    'a👍',
    '🇫',
    '\uD83D',
    '👍\u0301',
    '\u200D',
    '<b>👍</b>',
  ]
  for (const r of refused) assert.equal(oneEmoji(r), null, JSON.stringify(r))
  assert.equal(oneEmoji('👍'.repeat(20)), null)
  assert.equal(ZEmoji.safeParse(42).success, false)
  assert.equal(ZEmoji.safeParse('x').error?.issues[0].message, 'must be exactly one emoji')
})
