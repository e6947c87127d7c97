// The viewer cache's own logic on one instance (no Redis: changes are local). Across instances it is
// tested with real PostgreSQL and Redis in viewer-cache.test.ts.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLogger } from '../lib/logger'
import { createViewerCache, type ViewerRecord } from './viewer-cache'

const log = createLogger({ level: 'silent', instanceId: 'unit' })
const record = (id: string, tokenVersion = 0): ViewerRecord => ({
  id,
  username: id,
  email: `${id}@example.com`,
  tokenVersion,
})

test('a read that a change overtakes is done again, and what it read is not kept', async () => {
  const revoked: [string, number][] = []
  const cache = createViewerCache({ redis: null, prefix: 'p', log, revoke: (u, v) => revoked.push([u, v]) })
  let version = 0
  let reads = 0
  let release: () => void = () => {}
  const read = async () => {
    reads++
    const seen = version
    if (reads === 1) await new Promise<void>((resolve) => (release = resolve))
    return record('u1', seen)
  }
  const pending = cache.get('u1', read)
  // The change commits and is received while the first read (of the old version) is in flight.
  version = 1
  await cache.changed({ userId: 'u1', tokenVersion: 1 })
  release()
  assert.equal((await pending)?.tokenVersion, 1, 'the answer is the version after the change')
  assert.equal(reads, 2)
  assert.deepEqual(revoked, [['u1', 1]])
  assert.equal((await cache.get('u1', read))?.tokenVersion, 1)
  assert.equal(reads, 2, 'the second read was kept')
})

test('the cache holds at most `max` users, dropping the least recently used', async () => {
  const cache = createViewerCache({ redis: null, prefix: 'p', log, revoke: () => {}, max: 2 })
  let reads = 0
  const read = (id: string) => async () => (reads++, record(id))
  await cache.get('a', read('a'))
  await cache.get('b', read('b'))
  await cache.get('a', read('a')) // a is now the most recent
  await cache.get('c', read('c')) // drops b
  assert.equal(cache.size, 2)
  reads = 0
  await cache.get('a', read('a'))
  await cache.get('c', read('c'))
  assert.equal(reads, 0)
  await cache.get('b', read('b'))
  assert.equal(reads, 1)
})

test('an entry older than maxAgeMs is read again', async () => {
  const cache = createViewerCache({ redis: null, prefix: 'p', log, revoke: () => {}, maxAgeMs: 0 })
  let reads = 0
  const read = async () => (reads++, record('a'))
  await cache.get('a', read)
  await cache.get('a', read)
  assert.equal(reads, 2)
})
