// The fast tier: pure-logic tests (`*.unit.test.ts`) that need no PostgreSQL, Redis or network, so a
// mistake fails in seconds. `npm test` runs them first; `npm run test:server` (run.ts) skips them.
// Usage: npm run test:unit [-- <path filter>...]
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const UNIT_SUFFIX = '.unit.test.ts'

const roots = ['server', 'web/src']
const filters = process.argv.slice(2)

const files = roots
  .flatMap((root) =>
    (readdirSync(root, { recursive: true }) as string[])
      .filter((f) => f.endsWith(UNIT_SUFFIX) && !f.includes('node_modules'))
      .map((f) => join(root, f)),
  )
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()

if (files.length === 0) {
  console.error('no unit test files matched')
  process.exit(1)
}
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
})
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
