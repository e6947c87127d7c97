import assert from 'node:assert/strict'
import { getPriority } from 'node:os'
import { test } from 'node:test'
import { AppError } from '../lib/app-error'
import { createGate, createPasswords, HASH_NICE, MAX_WAITING_HASHES } from './passwords'

test('the hashing gate runs at most `limit` tasks at once, in arrival order, and sheds load beyond its queue', async () => {
  const gated = createGate(2)
  let running = 0
  let most = 0
  const started: number[] = []
  const releases: (() => void)[] = []
  const task = (i: number) => () =>
    new Promise<number>((done) => {
      started.push(i)
      running++
      most = Math.max(most, running)
      releases.push(() => {
        running--
        done(i)
      })
    })
  const all = Array.from({ length: 6 }, (_, i) => gated(task(i)))
  // 2 running + 4 waiting; fill the rest of the queue, then one more is refused.
  const overflow = Array.from({ length: MAX_WAITING_HASHES - 4 }, (_, i) => gated(task(100 + i)))
  await assert.rejects(gated(task(-1)), (err: unknown) => err instanceof AppError && err.code === 'unavailable')
  for (let spins = 0; spins < 10_000 && (releases.length > 0 || started.length < 2 + MAX_WAITING_HASHES); spins++) {
    await new Promise((r) => setImmediate(r))
    releases.shift()?.()
  }
  assert.deepEqual(await Promise.all(all), [0, 1, 2, 3, 4, 5])
  await Promise.all(overflow)
  assert.equal(most, 2)
  assert.deepEqual(started.slice(0, 6), [0, 1, 2, 3, 4, 5])
})

test('a failing task frees its slot', async () => {
  const gated = createGate(1)
  await assert.rejects(
    gated(() => Promise.reject(new Error('boom'))),
    /boom/,
  )
  assert.equal(await gated(() => Promise.resolve('next')), 'next')
})

test('passwords verify through the gate (and refuse a missing user after a dummy compare)', async () => {
  const passwords = createPasswords({ cost: 4, concurrency: 1 })
  const hash = await passwords.hash('correct horse')
  const results = await Promise.all([
    passwords.verify('correct horse', hash),
    passwords.verify('wrong', hash),
    passwords.verify('correct horse', null),
  ])
  assert.deepEqual(results, [true, false, false])
  await passwords.close()
})

test('hashing runs on threads of its own, reniced below the event loop, at most `concurrency` of them', async () => {
  const passwords = createPasswords({ cost: 4, concurrency: 2 })
  try {
    const hashes = await Promise.all(['a1', 'b2', 'c3', 'd4'].map((p) => passwords.hash(`password-${p}`)))
    assert.equal(new Set(hashes).size, 4)
    const tids = passwords.threadIds()
    assert.equal(tids.length, 2, 'one thread per slot, reused')
    for (const tid of tids) {
      assert.notEqual(tid, process.pid, 'not the main thread')
      if (process.platform === 'linux') assert.equal(getPriority(tid), HASH_NICE)
    }
    assert.equal(getPriority(process.pid), 0, 'the event loop keeps its priority')
  } finally {
    await passwords.close()
  }
})

test('a hashing thread that dies fails its job with an error and is replaced', async () => {
  // Cost 12 (a quarter of a second per hash), so the thread is surely still hashing when it ends.
  const passwords = createPasswords({ cost: 12, concurrency: 1 })
  try {
    const pending = passwords.hash('password-one')
    await passwords.close() // the thread ends under its job, as if it had crashed
    await assert.rejects(pending, /exited/)
    const hash = await passwords.hash('password-two')
    assert.equal(await passwords.verify('password-two', hash), true, 'a new thread takes the next job')
  } finally {
    await passwords.close()
  }
})
