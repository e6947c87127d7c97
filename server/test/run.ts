// Runs the server-side test suites (node:test) against the real PostgreSQL and Redis of this machine.
// Each run gets its own database (parlor_test_<pid>_<time>) and Redis key prefix, removed afterwards,
// so runs never collide. The fast tier (`*.unit.test.ts`, no services) is unit.ts's, not run here.
// Usage: npm run test:server [-- <path filter>...]
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { createClient } from 'redis'
import { migrateDeploy } from '../src/db/migrate'

const adminUrl = process.env.PARLOR_TEST_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
const redisUrl = process.env.PARLOR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const runId = `${process.pid}_${Date.now().toString(36)}`
const dbName = `parlor_test_${runId}`
const prefix = `parlor-test-${runId}`
const roots = ['server', 'kustomize', 'loadtest']
const filters = process.argv.slice(2)
// Files run four at a time: most of a suite's time is spent waiting (sockets, restarts, timeouts), so
// four keep two cores busy. The longest files start first, so the run does not end on one long file
// while the other slots sit idle (longest-processing-time-first scheduling); everything else follows
// in name order. Measured per file on this machine; keep the longest few here when one grows.
const concurrency = Number(process.env.PARLOR_TEST_CONCURRENCY ?? 4)
const LONGEST_FIRST = [
  'server/bench/bench.test.ts',
  'server/src/db/faults.test.ts',
  'server/src/realtime/delivery.test.ts',
  'server/src/main.test.ts',
  'loadtest/locust.test.ts',
  'server/src/auth/jwt.test.ts',
  'server/src/rooms/rooms.authz.test.ts',
  'server/src/realtime/bad-input.test.ts',
  'server/src/db/embedded.test.ts',
]
const rank = (file: string) => {
  const i = LONGEST_FIRST.indexOf(file)
  return i === -1 ? LONGEST_FIRST.length : i
}

function testFiles(): string[] {
  const files = roots.flatMap((root) =>
    (readdirSync(root, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.test.ts') && !f.endsWith('.unit.test.ts') && !f.includes('node_modules'))
      .map((f) => join(root, f)),
  )
  return files
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

async function cleanRedis() {
  const redis = createClient({ url: redisUrl })
  await redis.connect()
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await redis.del(keys)
  }
  await redis.quit()
}

async function main(): Promise<number> {
  const files = testFiles()
  if (files.length === 0) {
    console.error('no test files matched')
    return 1
  }
  const url = new URL(adminUrl)
  url.pathname = `/${dbName}`
  await admin((c) => c.query(`CREATE DATABASE "${dbName}"`))
  try {
    await migrateDeploy(url.toString(), process.env)
    console.log(`test database ${dbName}, redis prefix ${prefix}, ${files.length} files`)
    return await new Promise<number>((done) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files],
        {
          stdio: 'inherit',
          env: {
            ...process.env,
            PARLOR_TEST_DATABASE_URL: url.toString(),
            PARLOR_TEST_REDIS_URL: redisUrl,
            PARLOR_TEST_PREFIX: prefix,
          },
        },
      )
      child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)))
    })
  } finally {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`)).catch((err) =>
      console.error('could not drop test database', err),
    )
    await cleanRedis().catch((err) => console.error('could not clean redis keys', err))
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
