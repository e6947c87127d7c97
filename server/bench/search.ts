// `npm run bench:search [-- --messages N --queries N --pairs N --quick]`: the search scenario (issue 17).
//
// 1. Write cost: L-chat-peak on one Parlor instance, alternately with the search indexes dropped
//    (the baseline) and present, in the same run on the same database; reports persisted msg/s and CPU
//    per delivery (Parlor's and PostgreSQL's) as ratios with ÷ without.
// 2. Read cost: stores `messages` rows across rooms with multi-row inserts (hashtags computed as the
//    writer does), then measures search latency p50/p95 through the REST API for word, phrase,
//    hashtag, substring and date-range queries, and reports the size of every search index.
// The machine is shared: figures are noisy, which is why the write cost is given as same-run ratios.
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { extractHashtags } from '../src/contract/search-query'
import { migrateDeploy } from '../src/db/migrate'
import { createApp } from '../src/app'
import { loadConfig } from '../src/config/env'
import { createDatabase } from '../src/db/prisma'
import { createLogger } from '../src/lib/logger'
import { BCRYPT_COST, bindHelpers, HARNESS_ENV } from '../test/harness'
import { abortBench, runBench } from './bench'
import { REPO_ROOT } from './infra'
import { type BenchOptions, defaultOptions, quickOptions } from './options'

/** The search indexes of migration 20261202020000_search, as it creates them. */
const SEARCH_INDEXES: Record<string, string> = {
  Message_hashtags_idx: `CREATE INDEX "Message_hashtags_idx" ON "Message" USING GIN ("hashtags")`,
  Message_words_idx: `CREATE INDEX "Message_words_idx" ON "Message" USING GIN (to_tsvector('simple'::regconfig, regexp_replace("content", '[^A-Za-z0-9]+', ' ', 'g')))`,
  Message_content_trgm_idx: `CREATE INDEX "Message_content_trgm_idx" ON "Message" USING GIN (lower("content") gin_trgm_ops)`,
  Message_createdAt_idx: `CREATE INDEX "Message_createdAt_idx" ON "Message" ("createdAt")`,
}

export type SearchBenchOptions = {
  quick: boolean
  /** Rows stored for the read measurements. */
  messages: number
  rooms: number
  /** Searches per query kind (the first few warm up and are not counted). */
  queries: number
  /** Peak runs without and with the indexes, alternating (0 skips the write measurement). */
  pairs: number
  /** The L-chat-peak options (from the main bench's presets). */
  bench: BenchOptions
  adminUrl: string
  out: string | null
}

export function searchBenchOptions(argv: string[]): SearchBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean' },
      messages: { type: 'string' },
      queries: { type: 'string' },
      pairs: { type: 'string' },
      'quick-peak': { type: 'boolean' },
      out: { type: 'string' },
    },
  })
  const quick = values.quick ?? false
  // --quick-peak: the quick preset's (smaller) L-chat-peak with the full-size read measurements.
  const bench = quick || values['quick-peak'] ? quickOptions() : defaultOptions()
  return {
    quick,
    messages: Number(values.messages ?? (quick ? 100_000 : 1_000_000)),
    rooms: 200,
    queries: Number(values.queries ?? (quick ? 20 : 60)),
    pairs: Number(values.pairs ?? (quick ? 1 : 2)),
    // No noise retries: the two sides alternate in the same run and only their ratio is reported.
    bench: { ...bench, systems: ['parlor-1'], scenarios: ['chat'], rounds: 1, noiseRetries: 0, out: null },
    adminUrl: bench.adminUrl,
    out: values.out ?? (quick ? null : 'bench/results/search.json'),
  }
}

const WORDS = [
  'deploy',
  'release',
  'meeting',
  'coffee',
  'lunch',
  'build',
  'failed',
  'passed',
  'review',
  'merge',
  'branch',
  'ticket',
  'customer',
  'invoice',
  'design',
  'mockup',
  'database',
  'migration',
  'index',
  'query',
  'latency',
  'weekend',
  'holiday',
  'schedule',
  'standup',
  'retro',
  'sprint',
  'backlog',
  'feature',
  'bug',
  'hotfix',
] as const
const EXTRAS = [
  'db.json',
  't-shirt',
  'foo.png',
  'a/b',
  'PLT-3699',
  '日本語',
  '🎉',
  'https://example.com/x',
  'v2.1',
] as const
const TAGS = ['#release', '#standup', '#help', '#random', '#t-shirt', '#design', '#ops'] as const

/** Deterministic message text: a few words, now and then a tag, a phrase or punctuation. */
function content(i: number): string {
  const pick = (n: number) => WORDS[(i * 7919 + n * 104729) % WORDS.length]
  const parts: string[] = [pick(1), pick(2), pick(3), pick(4)]
  if (i % 5 === 0) parts.push(TAGS[i % TAGS.length])
  if (i % 11 === 0) parts.push(EXTRAS[i % EXTRAS.length])
  if (i % 97 === 0) parts.push('release notes')
  return `${parts.join(' ')} ${i}`
}

const QUERIES: Record<string, string> = {
  word: 'deploy',
  'word, rare': 'hotfix standup',
  phrase: '"release notes"',
  hashtag: '#t-shirt',
  substring: 'PLT-3699',
  'date range': 'after:2026-03-01 before:2026-03-08',
  'word + date range': 'deploy on:2026-06-15',
}

type Percentiles = { p50: number; p95: number; hits: number }
export type SearchBenchResult = {
  quick: boolean
  messages: number
  seedSeconds: number
  latencyMs: Record<string, Percentiles>
  indexBytes: Record<string, number>
  tableBytes: number
  peak: {
    runs: {
      indexes: boolean
      persistedMsgPerSec: number | null
      serverCpuUsPerDelivery: number | null
      postgresCpuUsPerDelivery: number | null
      valid: boolean
    }[]
    /** with ÷ without, medians of each side. */
    ratios: {
      persistedMsgPerSec: number | null
      serverCpuUsPerDelivery: number | null
      postgresCpuUsPerDelivery: number | null
    }
  }
  table: string
}

export async function runSearchBench(
  o: SearchBenchOptions,
  print: (line: string) => void = console.log,
): Promise<SearchBenchResult> {
  const started = Date.now()
  const log = (line: string) => print(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`)
  const dbName = `parlor_bench_search_${process.pid}_${randomBytes(3).toString('hex')}`
  const url = Object.assign(new URL(o.adminUrl), { pathname: `/${dbName}` }).toString()
  const admin = new pg.Client({ connectionString: o.adminUrl })
  // An idle connection that PostgreSQL ends emits 'error' on its client or pool, which would crash
  // the run without a listener (a query in flight still rejects and fails the run, as it should).
  admin.on('error', (err) => log(`admin connection lost: ${err.message}`))
  await admin.connect()
  await admin.query(`CREATE DATABASE "${dbName}"`)
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  pool.on('error', (err) => log(`idle bench connection lost: ${err.message}`))
  try {
    await migrateDeploy(url, process.env)

    // 1. The write cost of the search indexes (and hashtags) on L-chat-peak.
    const runs: SearchBenchResult['peak']['runs'] = []
    for (let pair = 0; pair < o.pairs; pair++) {
      for (const indexes of [false, true]) {
        await setIndexes(pool, indexes)
        log(`L-chat-peak on parlor-1 ${indexes ? 'with' : 'without'} the search indexes (pair ${pair + 1}/${o.pairs})`)
        const r = await runBench({ ...o.bench, databaseUrl: url }, (line) => log(`  ${line}`))
        const run = r.scenarios['L-chat-peak']?.systems['parlor-1']
        runs.push({
          indexes,
          persistedMsgPerSec: run?.figures.persistedMsgPerSec ?? null,
          serverCpuUsPerDelivery: run?.figures.serverCpuUsPerDelivery ?? null,
          postgresCpuUsPerDelivery: run?.figures.postgresCpuUsPerDelivery ?? null,
          valid: (run?.invalid.length ?? 1) === 0,
        })
      }
    }
    await setIndexes(pool, true)
    const ratio = (key: 'persistedMsgPerSec' | 'serverCpuUsPerDelivery' | 'postgresCpuUsPerDelivery') => {
      const side = (indexes: boolean) => median(runs.filter((r) => r.indexes === indexes).map((r) => r[key]))
      const a = side(true)
      const b = side(false)
      return a === null || b === null || b === 0 ? null : Math.round((a / b) * 1000) / 1000
    }

    // 2. The read cost: `messages` rows, then searches through the API.
    const seedStart = Date.now()
    await seed(pool, o, log)
    const seedSeconds = Math.round((Date.now() - seedStart) / 100) / 10
    await pool.query('ANALYZE "Message"')
    const { rows: sizes } = await pool.query<{ name: string; bytes: string }>(
      `SELECT c.relname AS name, pg_relation_size(c.oid) AS bytes FROM pg_class c
       WHERE c.relname = ANY($1::text[]) OR c.relname = 'Message'`,
      [Object.keys(SEARCH_INDEXES)],
    )
    const indexBytes = Object.fromEntries(
      sizes.filter((s) => s.name !== 'Message').map((s) => [s.name, Number(s.bytes)]),
    )
    const tableBytes = Number(sizes.find((s) => s.name === 'Message')?.bytes ?? 0)

    const server = await startSearchServer(url)
    const latencyMs: Record<string, Percentiles> = {}
    try {
      const me = await server.user()
      // The searcher takes part in a tenth of the rooms (private ones): the access rule has work to do.
      await pool.query(
        `INSERT INTO "RoomParticipant" ("roomId", "userId") SELECT "id", $1 FROM "Room" WHERE "isPrivate" ON CONFLICT DO NOTHING`,
        [me.user.id],
      )
      for (const [kind, q] of Object.entries(QUERIES)) {
        const times: number[] = []
        let hits = 0
        for (let i = 0; i < o.queries + 3; i++) {
          const t0 = performance.now()
          const res = await server.api('GET', `/api/search?q=${encodeURIComponent(q)}&limit=20`, { token: me.token })
          const t = performance.now() - t0
          if (res.status !== 200) throw new Error(`search ${q}: ${res.status} ${JSON.stringify(res.body)}`)
          hits = res.body.results.length
          if (i >= 3) times.push(t)
        }
        latencyMs[kind] = { p50: pct(times, 0.5), p95: pct(times, 0.95), hits }
        log(
          `  ${kind.padEnd(18)} ${JSON.stringify(q).padEnd(40)} p50 ${latencyMs[kind].p50} ms  p95 ${latencyMs[kind].p95} ms`,
        )
      }
    } finally {
      await server.stop()
    }

    const result: SearchBenchResult = {
      quick: o.quick,
      messages: o.messages,
      seedSeconds,
      latencyMs,
      indexBytes,
      tableBytes,
      peak: {
        runs,
        ratios: {
          persistedMsgPerSec: ratio('persistedMsgPerSec'),
          serverCpuUsPerDelivery: ratio('serverCpuUsPerDelivery'),
          postgresCpuUsPerDelivery: ratio('postgresCpuUsPerDelivery'),
        },
      },
      table: '',
    }
    result.table = render(result)
    if (o.out) {
      const file = resolve(REPO_ROOT, o.out)
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
      writeFileSync(file.replace(/\.json$/, '.md'), `${result.table}\n`)
    }
    return result
  } finally {
    await pool.end().catch(() => {})
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => {})
    await admin.end()
  }
}

/** Parlor in this process (the launcher is otherwise idle here), without Redis, on the bench database. */
async function startSearchServer(url: string) {
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: url,
      ...HARNESS_ENV,
      RATE_LIMIT_SCALE: '100000',
      BCRYPT_COST: BCRYPT_COST.suites,
      LOG_LEVEL: 'silent',
      MIGRATE_ON_START: 'false',
    },
    { instanceId: 'bench-search' },
  )
  const { prisma, pool } = createDatabase({ url, poolSize: 5, applicationName: 'bench-search' })
  const app = createApp({
    config,
    prisma,
    pool,
    redis: null,
    log: createLogger({ level: 'silent', instanceId: 'bench-search' }),
  })
  const port = await app.listen()
  return {
    ...bindHelpers(`http://127.0.0.1:${port}`),
    async stop() {
      await app.shutdown()
      await prisma.$disconnect()
    },
  }
}

async function setIndexes(pool: pg.Pool, present: boolean): Promise<void> {
  for (const [name, create] of Object.entries(SEARCH_INDEXES)) {
    await pool.query(`DROP INDEX IF EXISTS "${name}"`)
    if (present) await pool.query(create)
  }
}

/** Multi-row inserts of 5 000 rows: rooms' seq and rev bumped like the writer does, one statement per chunk. */
async function seed(pool: pg.Pool, o: SearchBenchOptions, log: (line: string) => void): Promise<void> {
  const { rows: authors } = await pool.query<{ id: string }>(
    `INSERT INTO "User" ("username", "email", "passwordHash")
     SELECT 'seed_' || g, 'seed_' || g || '@bench.example', 'x' FROM generate_series(1, 50) g RETURNING "id"`,
  )
  const { rows: rooms } = await pool.query<{ id: string }>(
    `INSERT INTO "Room" ("name", "publicNameKey", "isPrivate")
     SELECT 'search-' || g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'search-' || g END, g % 10 = 0
     FROM generate_series(1, $1::int) g RETURNING "id"`,
    [o.rooms],
  )
  const yearStart = Date.UTC(2026, 0, 1)
  const CHUNK = 5000
  for (let at = 0; at < o.messages; at += CHUNK) {
    const cols: unknown[][] = [[], [], [], [], [], []]
    for (let i = at; i < Math.min(o.messages, at + CHUNK); i++) {
      const text = content(i)
      cols[0].push(rooms[i % rooms.length].id)
      cols[1].push(authors[i % authors.length].id)
      cols[2].push(text)
      cols[3].push(`s${i}`)
      cols[4].push(new Date(yearStart + Math.floor((i / o.messages) * 365 * 86_400_000)).toISOString())
      cols[5].push(extractHashtags(text).join(' '))
    }
    await pool.query(
      `WITH input AS (
         SELECT t.*, row_number() OVER (PARTITION BY t.room ORDER BY t.ord) AS n
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::text[])
           WITH ORDINALITY AS t(room, author, content, cid, at, tags, ord)),
       bumped AS (
         UPDATE "Room" r SET "lastSeq" = r."lastSeq" + c.k, "rev" = r."rev" + c.k
         FROM (SELECT room, count(*)::int AS k FROM input GROUP BY room) c WHERE r."id" = c.room
         RETURNING r."id", r."lastSeq" - c.k AS base)
       INSERT INTO "Message" ("roomId", "seq", "rev", "authorId", "topic", "content", "clientMsgId", "createdAt", "hashtags")
       SELECT i.room, b.base + i.n, b.base + i.n, i.author, 'general', i.content, i.cid, i.at, string_to_array(i.tags, ' ')
       FROM input i JOIN bumped b ON b."id" = i.room`,
      cols,
    )
    if ((at / CHUNK) % 20 === 0)
      log(
        `  stored ${Math.min(o.messages, at + CHUNK).toLocaleString('en')} of ${o.messages.toLocaleString('en')} messages`,
      )
  }
}

function median(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b)
  if (v.length === 0) return null
  return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2
}

function pct(xs: number[], p: number): number {
  const v = [...xs].sort((a, b) => a - b)
  return Math.round(v[Math.min(v.length - 1, Math.floor(p * v.length))] * 10) / 10
}

const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`

function render(r: SearchBenchResult): string {
  const lines = [
    `## Search bench${r.quick ? ' (quick)' : ''}: ${r.messages.toLocaleString('en')} messages (stored in ${r.seedSeconds} s by multi-row inserts)`,
    '',
    '| Query | Text | p50 ms | p95 ms | hits (page of 20) |',
    '| --- | --- | ---: | ---: | ---: |',
    ...Object.entries(r.latencyMs).map(([k, v]) => `| ${k} | \`${QUERIES[k]}\` | ${v.p50} | ${v.p95} | ${v.hits} |`),
    '',
    `| Index | Size |`,
    '| --- | ---: |',
    ...Object.entries(r.indexBytes).map(([k, v]) => `| ${k} | ${mib(v)} |`),
    `| (the Message table itself) | ${mib(r.tableBytes)} |`,
    '',
    'L-chat-peak on one instance, with ÷ without the search indexes (same run, medians):',
    '',
    '| Figure | with ÷ without |',
    '| --- | ---: |',
    `| persisted msg/s | ${r.peak.ratios.persistedMsgPerSec ?? 'n/a'} |`,
    `| Parlor CPU µs per delivery | ${r.peak.ratios.serverCpuUsPerDelivery ?? 'n/a'} |`,
    `| PostgreSQL CPU µs per delivery | ${r.peak.ratios.postgresCpuUsPerDelivery ?? 'n/a'} |`,
    '',
    `Runs: ${r.peak.runs.map((x) => `${x.indexes ? 'with' : 'without'} ${x.persistedMsgPerSec} msg/s ${x.serverCpuUsPerDelivery} µs/del${x.valid ? '' : ' (INVALID)'}`).join('; ')}`,
  ]
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the servers and generators`)
      abortBench()
    })
  }
  const result = await runSearchBench(searchBenchOptions(process.argv.slice(2)))
  console.log(`\n${result.table}\n`)
  process.exit(0)
}
