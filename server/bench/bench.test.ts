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
    out: null,
    databaseUrl: databaseUrl as string,
    redisPrefix: `${prefix}-bench`,
    reuseSystems: true,
    maxMinutes: 5,
    ...overrides,
  }
}

test('a tiny run of L-fan and L-chat is valid and exact on every system, with ratios', async () => {
  const r = await runBench(tiny(), () => {})
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
  assert.equal(r.valid, true)
  assert.ok(r.machine.cores > 0)
  assert.ok((r.machine.roundTrips?.postgresPaced ?? 0) > 0 && (r.machine.roundTrips?.redisPaced ?? 0) > 0)
  assert.equal(r.targets.length, 6)
  assert.match(r.table, /L-fan: 1 room, 6 receivers/)
})

test('lost deliveries and missing rows make a run invalid, and it says why', async () => {
  const r = await runBench(
    tiny({ systems: ['parlor-1'], scenarios: ['fan'], faults: { dropDeliveries: 2, deleteRows: 1 } }),
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
