import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { MessageRow } from './messages.dto'
import { createPageCache } from './page-cache'

const rows = (label: string) => [{ id: label }] as unknown as MessageRow[]

test('a page is served only to a reader of the same rev, and a read overtaken by a profile change is not kept', async () => {
  const cache = createPageCache({ max: 2 })
  let reads = 0
  const read = (label: string) => async () => {
    reads++
    return rows(label)
  }
  assert.equal((await cache.newest('r1', 5, 51, read('rev5')))[0].id, 'rev5')
  assert.equal((await cache.newest('r1', 5, 51, read('again')))[0].id, 'rev5', 'same rev: the kept page')
  assert.equal((await cache.newest('r1', 6, 51, read('rev6')))[0].id, 'rev6', 'a higher rev reads afresh')
  assert.equal(reads, 2)

  // A profile change while a read is in flight: that read's rows may show the old profile.
  let release!: () => void
  const slow = cache.newest('r2', 1, 51, () => new Promise<MessageRow[]>((done) => (release = () => done(rows('old')))))
  cache.authorChanged()
  release()
  await slow
  assert.equal((await cache.newest('r2', 1, 51, read('new')))[0].id, 'new', 'the overtaken read was not kept')

  // Bounded: the least recently used room goes.
  await cache.newest('r3', 1, 51, read('r3'))
  assert.equal(cache.size, 2)
})
