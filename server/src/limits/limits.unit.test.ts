// The limits' arithmetic over in-memory counters (no Redis): scaling by RATE_LIMIT_SCALE, the error a
// spent limit gives, check/reset, and spendLocal. limits.test.ts covers them through the real server.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { AppError } from '../lib/app-error'
import { createLimits, type LimitName, LIMITS, type Limits } from './limits'

const make = (scale = 1, onLimited?: (name: LimitName) => void) =>
  createLimits({ redis: null, prefix: `unit-${randomBytes(4).toString('hex')}`, scale, onLimited })

/** How many single-point spends `key` gets before the first refusal (with a ceiling). */
async function allowance(spend: (key: string) => Promise<void>, key = 'k', ceiling = 10_000): Promise<number> {
  for (let n = 0; n < ceiling; n++) {
    try {
      await spend(key)
    } catch (err) {
      if (err instanceof AppError && err.code === 'rate_limited') return n
      throw err
    }
  }
  return ceiling
}

const rateLimited = (err: unknown) =>
  err instanceof AppError && err.code === 'rate_limited' && Number.isInteger(err.retryAfter) && err.retryAfter! >= 1

test('every limit allows exactly its points at scale 1', async () => {
  const limits = make()
  for (const name of Object.keys(LIMITS) as LimitName[])
    assert.equal(await allowance((k) => limits.consume(name, k)), LIMITS[name].points, name)
})

test('RATE_LIMIT_SCALE multiplies the points, rounded, and never below one', async () => {
  const bigger = make(2)
  assert.equal(await allowance((k) => bigger.consume('messageBurst', k)), 2 * LIMITS.messageBurst.points)
  const smaller = make(0.5)
  assert.equal(await allowance((k) => smaller.consume('loginAccount', k)), Math.round(LIMITS.loginAccount.points * 0.5))
  const tiny = make(0.001)
  assert.equal(await allowance((k) => tiny.consume('messageBurst', k)), 1, 'at least one')
  const local = make(3)
  assert.equal(await allowance((k) => local.spendLocal('messageBurst', k)), 3 * LIMITS.messageBurst.points)
})

test('a spent limit throws rate_limited with a whole-second retryAfter and reports which limit', async () => {
  const hits: LimitName[] = []
  const limits = make(1, (name) => hits.push(name))
  await limits.consume('loginAccount', 'jane', LIMITS.loginAccount.points)
  await assert.rejects(limits.consume('loginAccount', 'jane'), rateLimited)
  assert.ok(hits.length >= 1 && hits.every((n) => n === 'loginAccount'))
})

test('keys and limits count separately', async () => {
  const limits = make()
  await limits.consume('typing', 'a', LIMITS.typing.points)
  await assert.rejects(limits.consume('typing', 'a'), rateLimited)
  await limits.consume('typing', 'b')
  await limits.consume('roomJoin', 'a')
})

test('check refuses an exhausted key without spending; reset gives the allowance back', async () => {
  const limits: Limits = make()
  for (let i = 0; i < 5; i++) await limits.check('loginAccount', 'sam')
  assert.equal(await allowance((k) => limits.consume('loginAccount', k), 'sam'), LIMITS.loginAccount.points)
  await assert.rejects(limits.check('loginAccount', 'sam'), rateLimited)
  await limits.reset('loginAccount', 'sam')
  await limits.check('loginAccount', 'sam')
  assert.equal(await allowance((k) => limits.consume('loginAccount', k), 'sam'), LIMITS.loginAccount.points)
})

test('without Redis, spendLocal counts on its own and share is a no-op', async () => {
  const limits = make()
  for (let i = 0; i < 100; i++) limits.share('messageBurst', 'x')
  assert.equal(await allowance((k) => limits.spendLocal('messageBurst', k), 'x'), LIMITS.messageBurst.points)
  await assert.rejects(limits.spendLocal('messageBurst', 'x'), rateLimited)
  await limits.consume('messageBurst', 'x', LIMITS.messageBurst.points - 1) // the shared count is untouched
})
