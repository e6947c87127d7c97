import assert from 'node:assert/strict'
import { test } from 'node:test'
import { markedParts, snippet } from './marks'

test('marked parts cover the text exactly, marks as their own parts, bad ranges ignored', () => {
  assert.deepEqual(markedParts('say <b>hi</b> now', [[4, 13]]), [
    { text: 'say ', marked: false },
    { text: '<b>hi</b>', marked: true },
    { text: ' now', marked: false },
  ])
  assert.deepEqual(
    markedParts('abc', [
      [2, 9],
      [1, 0],
    ]),
    [{ text: 'abc', marked: false }],
  )
})

test('a snippet keeps the first mark in view and shifts the marks', () => {
  const text = `${'x'.repeat(300)}needle${'y'.repeat(300)}`
  const s = snippet(text, [[300, 306]])
  assert.ok(s.text.startsWith('…') && s.text.endsWith('…'))
  assert.equal(s.text.slice(s.marks[0][0], s.marks[0][1]), 'needle')
})
