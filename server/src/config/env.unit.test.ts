import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, DEV_JWT_SECRET, loadConfig } from './env'

const ids = { instanceId: 'test' }

test('defaults give a working development config (embedded database, in-memory presence)', () => {
  const config = loadConfig({}, ids)
  assert.equal(config.PORT, 3000)
  assert.equal(config.JWT_SECRET, DEV_JWT_SECRET)
  assert.deepEqual(config.mode, { database: 'embedded', redis: 'memory' })
  assert.deepEqual(config.CORS_ORIGINS, [])
})

test('values are parsed and typed; empty strings mean unset', () => {
  const config = loadConfig(
    { PORT: '8080', CORS_ORIGINS: 'https://a.example, https://b.example', MIGRATE_ON_START: 'false', REDIS_URL: '' },
    ids,
  )
  assert.equal(config.PORT, 8080)
  assert.deepEqual(config.CORS_ORIGINS, ['https://a.example', 'https://b.example'])
  assert.equal(config.MIGRATE_ON_START, false)
  assert.equal(config.REDIS_URL, undefined)
})

test('a bad value stops the start with a message naming each variable', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', BCRYPT_COST: '99' }, ids),
    (err: unknown) =>
      err instanceof ConfigError &&
      /PORT/.test(err.message) &&
      /DATABASE_URL/.test(err.message) &&
      /BCRYPT_COST/.test(err.message),
  )
})

test('production requires real DATABASE_URL, REDIS_URL, a private JWT secret and bcrypt cost ≥ 10', () => {
  assert.throws(
    () => loadConfig({ NODE_ENV: 'production', BCRYPT_COST: '4' }, ids),
    (err: unknown) =>
      err instanceof ConfigError &&
      ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'BCRYPT_COST'].every((name) => err.message.includes(name)),
  )
  const ok = loadConfig(
    {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://u:p@db:5432/parlor',
      REDIS_URL: 'redis://redis:6379',
      JWT_SECRET: 'a-very-private-secret-of-at-least-32-chars',
    },
    ids,
  )
  assert.deepEqual(ok.mode, { database: 'postgres', redis: 'redis' })
})

test('MESSAGE_EDIT_WINDOW_SECONDS: an hour by default, 0 means no limit, negatives and fractions are refused', () => {
  assert.equal(loadConfig({}, ids).MESSAGE_EDIT_WINDOW_SECONDS, 3600)
  assert.equal(loadConfig({ MESSAGE_EDIT_WINDOW_SECONDS: '0' }, ids).MESSAGE_EDIT_WINDOW_SECONDS, 0)
  assert.equal(loadConfig({ MESSAGE_EDIT_WINDOW_SECONDS: '90' }, ids).MESSAGE_EDIT_WINDOW_SECONDS, 90)
  for (const bad of ['-1', '1.5', 'soon', '31536001'])
    assert.throws(
      () => loadConfig({ MESSAGE_EDIT_WINDOW_SECONDS: bad }, ids),
      (err: unknown) => err instanceof ConfigError && err.message.includes('MESSAGE_EDIT_WINDOW_SECONDS'),
      bad,
    )
})

test('RATE_LIMIT_SCALE must be positive; INSTANCE_ID overrides the default and the incarnation is new per load', () => {
  assert.equal(loadConfig({ RATE_LIMIT_SCALE: '0.5' }, ids).RATE_LIMIT_SCALE, 0.5)
  assert.throws(() => loadConfig({ RATE_LIMIT_SCALE: '0' }, ids), /RATE_LIMIT_SCALE/)
  const a = loadConfig({ INSTANCE_ID: 'web-1' }, ids)
  const b = loadConfig({ INSTANCE_ID: 'web-1' }, ids)
  assert.equal(a.instanceId, 'web-1')
  assert.equal(loadConfig({}, ids).instanceId, 'test')
  assert.match(a.incarnation, /^web-1\.[0-9a-f]{8}$/)
  assert.notEqual(a.incarnation, b.incarnation)
})
