// The push gateway is the only way out to clients: no other server module calls `.emit(` (issue 14).
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

test('only realtime/push.ts emits to clients', () => {
  const root = join(import.meta.dirname, '..')
  const offenders = (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('contract'))
    .filter((f) => f !== join('realtime', 'push.ts'))
    .filter((f) => /\.emit\(/.test(readFileSync(join(root, f), 'utf8')))
  assert.deepEqual(offenders, [], 'these files emit directly; send through the push gateway instead')
})
