import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseLine, QUOTE_MAX, quote } from './commands.parse'

describe('parseLine', () => {
  test('a command, its name lower-cased and its arguments trimmed', () => {
    assert.deepEqual(parseLine('/ME   waves  at everyone '), {
      kind: 'command',
      name: 'me',
      args: 'waves  at everyone',
      input: '/ME   waves  at everyone ',
    })
  })
  test('a command without arguments, and arguments on the next lines', () => {
    assert.deepEqual(parseLine('/help'), { kind: 'command', name: 'help', args: '', input: '/help' })
    assert.equal((parseLine('/me\nline two') as { args: string }).args, 'line two')
  })
  test('// posts the rest literally, one slash removed', () => {
    assert.deepEqual(parseLine('//shrug'), { kind: 'literal', text: '/shrug' })
    assert.deepEqual(parseLine('///x'), { kind: 'literal', text: '//x' })
  })
  test('text without a leading slash is literal', () => {
    assert.deepEqual(parseLine('hello /me'), { kind: 'literal', text: 'hello /me' })
  })
  test('a bare slash and markup are commands with those names (answered as unknown)', () => {
    assert.equal((parseLine('/') as { name: string }).name, '')
    assert.equal((parseLine('/<img src=x onerror=alert(1)>') as { name: string }).name, '<img')
  })
})

describe('quote', () => {
  test('keeps the first line, verbatim', () => {
    assert.equal(quote('/<b>x</b>\nmore'), '/<b>x</b>')
  })
  test('cuts long input by code points', () => {
    const long = '😀'.repeat(QUOTE_MAX + 5)
    assert.equal([...quote(long)].length, QUOTE_MAX + 1)
    assert.ok(quote(long).endsWith('…'))
  })
})
