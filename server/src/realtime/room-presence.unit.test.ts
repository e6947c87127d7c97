import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MS_PER_VIEWER, publishDelay } from './room-presence'

test('a room publishes 150 ms after a change, later only after a publish to many viewers', () => {
  const now = 1_000_000
  assert.equal(publishDelay(now, undefined), 150, 'a room with no recent big publish')
  assert.equal(publishDelay(now, now + 50), 150, 'a small wait left is rounded up to the coalescing delay')
  // The last publish went to 1 000 viewers half a second ago: it waits out the rest of its 2 s.
  const quietUntil = now - 500 + 1000 * MS_PER_VIEWER
  assert.equal(publishDelay(now, quietUntil), 1500)
  assert.equal(publishDelay(quietUntil + 10, quietUntil), 150, 'once the quiet time is over, the usual delay')
})
