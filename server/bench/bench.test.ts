// Smoke test of the benchmark harness (CI): a tiny run through the real code path — real server
// processes, generator processes, database and Redis — checking the validity checks and the output,
// never the speed. Runs under `npm run test:server` (server/test/run.ts provides the database).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runBench } from './bench'
import { type BenchOptions, quickOptions } from './options'
import { generatorChecks, type ScenarioName } from './results'

const databaseUrl = process.env.PARLOR_TEST_DATABASE_URL
const prefix = process.env.PARLOR_TEST_PREFIX
if (!databaseUrl || !prefix) throw new Error('Run tests through `npm run test:server` (server/test/run.ts).')

/** Issue 23's storms at a tiny size. */
const tinyStorm = (): BenchOptions['storm'] => ({
  reconnectClients: 12,
  roomSize: 4,
  history: 5,
  flowingShare: 0.5,
  sendRate: 20,
  sendMs: 500,
  joinClients: 8,
  joinSpreadMs: 300,
  joinHistory: 60,
  logins: 3,
  loginSpreadMs: 300,
  workers: 1,
  connectConcurrency: 20,
  reconnectConcurrency: 20,
  timeoutMs: 30_000,
})

function tiny(overrides: Partial<BenchOptions> = {}): BenchOptions {
  const o = quickOptions()
  return {
    ...o,
    systems: ['parlor-2', 'socketio', 'ws'],
    scenarios: ['fan', 'chat'],
    fan: { receivers: 6, senders: 2, rate: 20, warmupMs: 200, measureMs: 1000, workers: 1 },
    chat: {
      users: 20,
      roomSize: 5,
      intervalMs: 1000,
      warmupMs: 200,
      steadyMs: 1000,
      burstWindowMs: 1000,
      workers: 2,
      peakRate: 40,
      peakMs: 500,
      peakSearchSteps: 1,
      peakStepMs: 500,
      toggleEvery: 2,
      thumbnails: 2,
    },
    login: { count: 3, rate: 10 },
    storm: tinyStorm(),
    out: null,
    databaseUrl: databaseUrl as string,
    redisPrefix: `${prefix}-bench`,
    reuseSystems: true,
    maxMinutes: 5,
    ...overrides,
  }
}

test('a tiny run of L-fan, L-chat and the storms is valid and exact on every system, with ratios', async () => {
  const r = await runBench(tiny({ scenarios: ['fan', 'chat', 'storm'] }), () => {})
  const scenarios: ScenarioName[] = ['L-fan', 'L-chat', 'Login burst', 'L-chat-peak']
  for (const sc of scenarios) {
    for (const sys of ['parlor-2', 'socketio', 'ws'] as const) {
      const run = r.scenarios[sc]?.systems[sys]
      assert.ok(run, `${sc} ran on ${sys}`)
      assert.deepEqual(run.invalid, [], `${sc} / ${sys} is valid`)
      const f = run.figures
      if (sc === 'Login burst') {
        assert.equal(f.loginsOk, 3)
        continue
      }
      const fanout = sc === 'L-fan' ? 6 : 5
      assert.ok((f.sent ?? 0) > 0, `${sc} / ${sys} sent messages`)
      assert.equal(f.acked, f.sent)
      assert.equal(f.delivered, (f.sent ?? 0) * fanout, `${sc} / ${sys}: delivered = sent × fan-out`)
      assert.equal(f.lostDeliveries, 0)
      assert.equal(f.mismatchedReceivers, 0)
      if (sys === 'parlor-2') {
        assert.equal(f.dbRows, f.acked, `${sc}: database rows = acked`)
        assert.equal(f.lostMessages, 0)
      }
    }
    if (sc === 'Login burst') continue
    for (const key of ['parlor-2÷socketio', 'parlor-2÷ws']) {
      const ratio: number | null | undefined = r.scenarios[sc]?.ratios[key]?.deliveriesPerCpuSecond
      assert.equal(typeof ratio, 'number', `${sc} has the ${key} ratio`)
      assert.ok((ratio as number) > 0)
    }
  }
  // L-chat+votes (issue 16): Parlor only, exact like L-chat, with toggles and same-run ratios to L-chat.
  const votes = r.scenarios['L-chat+votes']?.systems['parlor-2']
  assert.ok(votes, 'L-chat+votes ran on parlor-2')
  assert.deepEqual(votes.invalid, [])
  assert.ok((votes.figures.togglesPerSec ?? 0) > 0, 'toggles were mixed in')
  assert.equal(votes.figures.delivered, (votes.figures.sent ?? 0) * 5)
  assert.equal(votes.figures.lostMessages, 0)
  assert.equal(typeof votes.figures.deliveryP99VsLChat, 'number')
  assert.equal(typeof votes.figures.cpuPerDeliveryVsLChat, 'number')
  assert.equal(r.scenarios['L-chat+votes']?.systems.socketio, undefined, 'the baselines have no votes')
  // L-chat+thumbs (issue 21): Parlor only, exact like L-chat, while image uploads make thumbnails.
  const thumbs = r.scenarios['L-chat+thumbs']?.systems['parlor-2']
  assert.ok(thumbs, 'L-chat+thumbs ran on parlor-2')
  assert.deepEqual(thumbs.invalid, [])
  assert.ok((thumbs.figures.thumbnailsMade ?? 0) > 0, 'thumbnails were made')
  assert.equal(thumbs.figures.delivered, (thumbs.figures.sent ?? 0) * 5)
  assert.equal(typeof thumbs.figures.deliveryP99VsLChat, 'number')
  assert.equal(r.scenarios['L-chat+thumbs']?.systems.socketio, undefined, 'the baselines make no thumbnails')
  // Issue 23: the storms — every client served, PostgreSQL statements counted in the Parlor processes
  // (Prisma's, through @prisma/adapter-pg; none in the baseline), no gaps after the reconnect, ratios.
  for (const sc of ['Class login', 'Join storm', 'Reconnect storm'] as const) {
    for (const sys of ['parlor-2', 'socketio'] as const) {
      const run = r.scenarios[sc]?.systems[sys]
      assert.ok(run, `${sc} ran on ${sys}`)
      assert.deepEqual(run.invalid, [], `${sc} / ${sys} is valid`)
      const f = run.figures
      assert.equal(f.served, f.clients, `${sc} / ${sys}: every client served`)
      for (const k of ['latencyP99Ms', 'secondsUntilAllServed', 'serverCpuMsPerClient', 'serverEldP99Ms'])
        assert.equal(typeof f[k], 'number', `${sc} / ${sys}: ${k}`)
      if (sys === 'parlor-2') assert.ok((f.pgQueriesPerClient ?? 0) > 0, `${sc}: Prisma's statements are counted`)
      else assert.equal(f.pgQueriesPerClient, 0)
    }
    assert.equal(r.scenarios[sc]?.systems.ws, undefined, `${sc} skips the raw ws baseline`)
    assert.equal(typeof r.scenarios[sc]?.ratios['parlor-2÷socketio']?.latencyP99Ms, 'number', `${sc} has the ratio`)
  }
  const storm = r.scenarios['Reconnect storm']?.systems['parlor-2']?.figures
  assert.ok((storm?.messagesDuringStorm ?? 0) > 0, 'messages flowed during the reconnect storm')
  assert.equal(storm?.clientsWithGaps, 0)
  assert.equal(typeof r.scenarios['Class login']?.systems['parlor-2']?.figures.loginsPerSec, 'number')
  assert.ok(r.targets.some((t) => t.text.startsWith('Class login: p99 < 2 s') && t.met !== null))
  assert.equal(r.valid, true)
  assert.ok(r.machine.cores > 0)
  assert.ok((r.machine.roundTrips?.postgresPaced ?? 0) > 0 && (r.machine.roundTrips?.redisPaced ?? 0) > 0)
  assert.equal(r.targets.length, 12)
  assert.match(r.table, /L-fan: 1 room, 6 receivers/)
})

test('lost deliveries, missing rows, failed logins and gaps after a resync make a run invalid, and it says why', async () => {
  const r = await runBench(
    tiny({
      systems: ['parlor-1'],
      scenarios: ['fan', 'storm'],
      faults: { dropDeliveries: 2, deleteRows: 1, dropSeqs: 2, badPasswords: 1 },
    }),
    () => {},
  )
  const run = r.scenarios['L-fan']?.systems['parlor-1']
  assert.ok(run)
  assert.equal(run.valid, false)
  assert.equal(r.valid, false)
  const why = run.invalid.join('\n')
  assert.match(why, /delivered \d+ ≠ sent × fan-out/)
  assert.match(why, /receivers did not get exactly the messages sent/)
  assert.match(why, /database rows \d+ ≠ acknowledged \d+/)
  assert.equal(run.figures.lostDeliveries, 2)
  assert.match(r.table, /INVALID RUNS/)
  // Issue 23: the storms' checks.
  const login = r.scenarios['Class login']?.systems['parlor-1']
  assert.ok(login)
  assert.equal(login.valid, false)
  assert.match(login.invalid.join('\n'), /1 of 3 clients were not served: client 0: login: status 401/)
  const storm = r.scenarios['Reconnect storm']?.systems['parlor-1']
  assert.ok(storm)
  assert.equal(storm.figures.served, 12, 'every client moved to a second Parlor-1 process')
  assert.equal(storm.valid, false)
  assert.match(storm.invalid.join('\n'), /2 clients miss 2 messages of their room after the resync/)
  assert.equal(r.scenarios['Join storm']?.systems['parlor-1']?.valid, true)
})

test('a saturated generator invalidates the window', () => {
  const invalid: string[] = []
  const warnings: string[] = []
  const window = {
    seconds: 10,
    serverCpuUs: {},
    serverCpuUsTotal: 0,
    generatorCoreShare: [0.2, 0.97],
    infraCpuUs: 0,
    postgresCpuUs: 0,
    redisCpuUs: 0,
    machineBusyShare: 1,
    backgroundShare: 0.5,
  }
  generatorChecks(window, 0.9, invalid, warnings)
  assert.equal(invalid.length, 1)
  assert.match(invalid[0], /generator 1 used 97% of a core/)
  assert.equal(warnings.length, 1)
})

// Search (issue 17): the search scenario at a tiny size — the peak with and without the search
// indexes (ratios), multi-row seeding, every query kind through the API, the index sizes.
test('a tiny run of the search scenario measures every query kind, the index sizes and the peak ratios', async () => {
  const { runSearchBench, searchBenchOptions } = await import('./search')
  const o = searchBenchOptions(['--quick', '--messages', '3000', '--queries', '2', '--pairs', '1'])
  const small = tiny()
  // Shorter windows than the smoke above: this runs the chat group twice (without, then with the indexes).
  const chat = { ...small.chat, users: 10, steadyMs: 500, burstWindowMs: 500, peakMs: 500, peakSearchSteps: 0 }
  const r = await runSearchBench(
    {
      ...o,
      bench: { ...small, chat, login: { count: 1, rate: 10 }, systems: ['parlor-1'], scenarios: ['chat'] },
      out: null,
    },
    () => {},
  )
  for (const kind of ['word', 'phrase', 'hashtag', 'substring', 'date range']) {
    assert.ok((r.latencyMs[kind]?.p95 ?? 0) > 0, `${kind} measured`)
    assert.ok((r.latencyMs[kind]?.hits ?? 0) > 0, `${kind} finds something`)
  }
  for (const name of ['Message_hashtags_idx', 'Message_words_idx', 'Message_content_trgm_idx', 'Message_createdAt_idx'])
    assert.ok((r.indexBytes[name] ?? 0) > 0, `${name} size`)
  assert.deepEqual(
    r.peak.runs.map((x) => [x.indexes, x.valid]),
    [
      [false, true],
      [true, true],
    ],
  )
  assert.equal(typeof r.peak.ratios.persistedMsgPerSec, 'number')
  assert.equal(typeof r.peak.ratios.serverCpuUsPerDelivery, 'number')
  assert.match(r.table, /with ÷ without/)
})
