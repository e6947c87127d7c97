import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRoomSequencer } from './room-sequencer'

const setup = (maxHoldMs = 30) => {
  const emitted: number[] = []
  const seq = createRoomSequencer<{ seq: number }>({ emit: (_room, m) => emitted.push(m.seq), maxHoldMs })
  return { emitted, seq }
}

test('holds a message while a lower seq is still finishing on this instance', () => {
  const { emitted, seq } = setup()
  const first = seq.begin('r')
  const second = seq.begin('r')
  const third = seq.begin('r')
  second({ seq: 2 })
  third({ seq: 3 })
  assert.deepEqual(emitted, [], 'held: seq 1 may still be in flight')
  first({ seq: 1 })
  assert.deepEqual(emitted, [1, 2, 3])
  seq.begin('r')({ seq: 4 })
  assert.deepEqual(emitted, [1, 2, 3, 4])
  seq.stop()
})

test('a gap with nothing else in flight belongs to another instance: emit at once', () => {
  const { emitted, seq } = setup()
  seq.begin('r')({ seq: 1 })
  seq.begin('r')({ seq: 5 })
  assert.deepEqual(emitted, [1, 5])
  seq.stop()
})

test('a failed send releases what waited for it; a stuck gap is released after maxHoldMs', async () => {
  const { emitted, seq } = setup(20)
  const failing = seq.begin('r')
  seq.begin('r')({ seq: 7 })
  assert.deepEqual(emitted, [])
  failing(null)
  assert.deepEqual(emitted, [7])

  const slow = seq.begin('r')
  seq.begin('r')({ seq: 9 }) // 8 came from another instance; `slow` will get 10
  assert.deepEqual(emitted, [7])
  await new Promise((r) => setTimeout(r, 40))
  assert.deepEqual(emitted, [7, 9])
  slow({ seq: 10 })
  assert.deepEqual(emitted, [7, 9, 10])
  seq.stop()
})

test('rooms are independent', () => {
  const { emitted, seq } = setup()
  const a1 = seq.begin('a')
  seq.begin('b')({ seq: 3 })
  assert.deepEqual(emitted, [3])
  a1({ seq: 1 })
  assert.deepEqual(emitted, [3, 1])
  seq.stop()
})
