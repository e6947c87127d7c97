// Benchmark options: the default (full) run, the --quick preset, and the CLI flags that scale them.
import { parseArgs } from 'node:util'

export const SYSTEM_NAMES = ['parlor-2', 'parlor-1', 'socketio', 'ws'] as const
export type SystemName = (typeof SYSTEM_NAMES)[number]

/** `chat` also runs the login burst (during L-chat) and L-chat-peak (on the same connections);
 *  `storm` (issue 23) runs Class login, Join storm and Reconnect storm, in that order. */
export const SCENARIO_GROUPS = ['fan', 'chat', 'soak', 'storm'] as const
export type ScenarioGroup = (typeof SCENARIO_GROUPS)[number]

export type BenchOptions = {
  quick: boolean
  systems: SystemName[]
  scenarios: ScenarioGroup[]
  /** Each scenario runs this many times per system, the system order rotating each round; figures are medians. */
  rounds: number
  fan: { receivers: number; senders: number; rate: number; warmupMs: number; measureMs: number; workers: number }
  chat: {
    users: number
    roomSize: number
    /** Each user sends once per interval. */
    intervalMs: number
    warmupMs: number
    /** Steady window (the L-chat figures), then the login-burst window while chat continues. */
    steadyMs: number
    burstWindowMs: number
    workers: number
    /** L-chat-peak: offered msg/s at the same fan-out, 0 to skip. */
    peakRate: number
    peakMs: number
    /** If the peak rate fails: this many shorter steps searching for the highest clean rate. */
    peakSearchSteps: number
    peakStepMs: number
    /** L-chat+votes (issue 16): L-chat again with one vote or reaction toggle per this many messages; 0 skips. */
    toggleEvery: number
    /** L-chat+thumbs (issue 21): L-chat again with this many image uploads (thumbnails) always in flight; 0 skips. */
    thumbnails: number
  }
  login: { count: number; rate: number }
  soak: {
    connections: number
    activeShare: number
    rate: number
    settleMs: number
    holdMs: number
    workers: number
    /** Connecting stops after this long; the soak then holds what it reached (reported). */
    connectBudgetMs: number
    /** Connects in flight per generator (no joins here, so more than the other scenarios). */
    connectConcurrency: number
    /** Memory is read (after a full GC and `stageSettleMs`) after each of this many connect stages. */
    stages: number
    stageSettleMs: number
  }
  /** Issue 23's storms (Socket.IO systems only: the ws baseline has no login, rooms or history). */
  storm: {
    /** Reconnect storm: clients of the instance that stops, in rooms of `roomSize` with `history` messages each. */
    reconnectClients: number
    roomSize: number
    history: number
    /** Share of the rooms that get messages during the storm, at `sendRate` msg/s for `sendMs`. */
    flowingShare: number
    sendRate: number
    sendMs: number
    /** Join storm: connected clients opening one room of `joinHistory` messages within `joinSpreadMs`. */
    joinClients: number
    joinSpreadMs: number
    joinHistory: number
    /** Class login: people logging in, evenly spread over `loginSpreadMs`, each opening the app. */
    logins: number
    loginSpreadMs: number
    workers: number
    /** Connects in flight per generator while the clients get ready (before the storms). */
    connectConcurrency: number
    /** Reconnect storm: clients of one generator reconnecting and resyncing at a time. */
    reconnectConcurrency: number
    /** A client not served within this long counts as failed. */
    timeoutMs: number
  }
  /** Characters of padding in each message (the content is ~50 characters of JSON plus this). */
  padding: number
  connectConcurrency: number
  /** Generator uses socket.io-client instead of its lean Socket.IO client (cross-check; more generator CPU). */
  officialClient: boolean
  /** L-fan and L-chat fail (invalid) if their clients are not all connected within this time. */
  connectBudgetMs: number
  /** Keep each system running across scenarios instead of a fresh process per scenario (quick runs). */
  reuseSystems: boolean
  /** Write V8 CPU profiles of the Parlor processes to bench/results/profiles/. */
  profile: boolean
  /** A generator process above this share of one core during a measured window invalidates the run. */
  generatorCpuLimit: number
  /** A system's run is measured again (up to `noiseRetries` times) when other processes used more
   *  than this share of the machine's CPU during its windows; the quieter attempt is kept. */
  noiseLimit: number
  noiseRetries: number
  /** Hard stop for the whole run. */
  maxMinutes: number
  out: string | null
  adminUrl: string
  /** An already migrated database to use instead of creating (and dropping) one. */
  databaseUrl: string | null
  redisUrl: string
  redisPrefix: string | null
  /** Test-only fault injection, to prove the validity checks fire. */
  faults: {
    dropDeliveries?: number
    deleteRows?: number
    /** Storms: clients forget this many seqs of their room before the no-gap check. */
    dropSeqs?: number
    /** Storms: this many class logins use a wrong password. */
    badPasswords?: number
  }
}

export function defaultOptions(): BenchOptions {
  return {
    quick: false,
    systems: [...SYSTEM_NAMES],
    scenarios: [...SCENARIO_GROUPS],
    rounds: 1,
    fan: { receivers: 1000, senders: 10, rate: 50, warmupMs: 2000, measureMs: 8000, workers: 2 },
    chat: {
      users: 2000,
      roomSize: 10,
      intervalMs: 10_000,
      warmupMs: 2000,
      steadyMs: 12_000,
      burstWindowMs: 7000,
      workers: 2,
      // Above the 1 500 msg/s target: a window offered exactly 1 500 can never measure 1 500 persisted
      // (the last acks land after it closes), so the figure must have room to show the target is met.
      peakRate: 1800,
      peakMs: 5000,
      peakSearchSteps: 3,
      peakStepMs: 3000,
      toggleEvery: 2,
      thumbnails: 10,
    },
    login: { count: 200, rate: 40 },
    soak: {
      connections: 10_000,
      activeShare: 0.01,
      rate: 5,
      settleMs: 1000,
      holdMs: 8000,
      workers: 2,
      connectBudgetMs: 120_000,
      connectConcurrency: 150,
      stages: 6,
      stageSettleMs: 1000,
    },
    storm: {
      reconnectClients: 5000,
      roomSize: 10,
      history: 20,
      flowingShare: 0.1,
      sendRate: 100,
      sendMs: 3000,
      joinClients: 1000,
      joinSpreadMs: 2000,
      joinHistory: 200,
      logins: 200,
      loginSpreadMs: 10_000,
      workers: 2,
      connectConcurrency: 100,
      reconnectConcurrency: 250,
      timeoutMs: 60_000,
    },
    padding: 60,
    connectConcurrency: 50,
    officialClient: false,
    connectBudgetMs: 240_000,
    reuseSystems: false,
    profile: false,
    generatorCpuLimit: 0.9,
    noiseLimit: 0.25,
    noiseRetries: 1,
    maxMinutes: 25,
    out: 'bench/results/latest.json',
    adminUrl: process.env.PARLOR_BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
    databaseUrl: null,
    redisUrl: process.env.PARLOR_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisPrefix: null,
    faults: {},
  }
}

/** Small sizes for a run of about a minute: same code paths, figures only indicative; no Parlor-1. */
export function quickOptions(): BenchOptions {
  const o = defaultOptions()
  return {
    ...o,
    quick: true,
    systems: ['parlor-2', 'socketio', 'ws'],
    fan: { receivers: 100, senders: 4, rate: 50, warmupMs: 300, measureMs: 1500, workers: 1 },
    chat: {
      users: 100,
      roomSize: 10,
      intervalMs: 1000,
      warmupMs: 300,
      steadyMs: 2000,
      burstWindowMs: 1500,
      workers: 1,
      peakRate: 500,
      peakMs: 1000,
      peakSearchSteps: 0,
      peakStepMs: 1000,
      toggleEvery: 2,
      thumbnails: 10,
    },
    login: { count: 10, rate: 20 },
    soak: {
      connections: 500,
      activeShare: 0.04,
      rate: 5,
      settleMs: 300,
      holdMs: 1000,
      workers: 1,
      connectBudgetMs: 20_000,
      connectConcurrency: 150,
      stages: 2,
      stageSettleMs: 300,
    },
    storm: {
      ...o.storm,
      reconnectClients: 300,
      sendMs: 1000,
      joinClients: 100,
      joinSpreadMs: 1000,
      logins: 20,
      loginSpreadMs: 2000,
      workers: 1,
      timeoutMs: 30_000,
    },
    reuseSystems: true,
    noiseRetries: 0,
    maxMinutes: 5,
    out: 'bench/results/quick.json',
  }
}

export const USAGE = `Usage: npm run bench -- [flags]

  --quick                  small sizes, systems reused across scenarios, Parlor-1 left out (about a minute)
  --systems=a,b            subset of ${SYSTEM_NAMES.join(',')}
  --scenarios=a,b          subset of ${SCENARIO_GROUPS.join(',')} (chat includes the login burst and L-chat-peak;
                           storm is Class login, Join storm and Reconnect storm, not on ws)
  --rounds=N               repeat each scenario N times per system, rotating the order; report medians
  --fan-receivers=N --fan-senders=N --fan-rate=MSG_PER_S --fan-seconds=S
  --chat-users=N --chat-room-size=N --chat-interval=S --chat-seconds=S --burst-seconds=S
  --peak-rate=MSG_PER_S (0 skips L-chat-peak) --peak-seconds=S
  --toggle-every=N         L-chat+votes: one vote/reaction toggle per N messages (default 2; 0 skips it)
  --thumbnails=N           L-chat+thumbs: N image uploads (thumbnails being made) in flight at once (default 10; 0 skips)
  --peak-search-steps=N    when the peak rate fails, N shorter steps bisecting for the highest clean rate
  --logins=N --login-rate=PER_S
  --soak-connections=N --soak-seconds=S --soak-connect-seconds=S (connecting stops after S; default 120)
  --reconnect-clients=N    Reconnect storm: clients of the instance that stops (default 5000)
  --join-clients=N --join-seconds=S          Join storm: clients opening one room within S (1000, 2)
  --class-logins=N --class-login-seconds=S   Class login: logins spread over S, each opening the app (200, 10)
  --workers=N              generator processes per scenario
  --padding=CHARS          message padding
  --connect-concurrency=N  connects (and joins) in flight per generator process (default 50)
  --official-client        generate Socket.IO load with socket.io-client instead of the lean client
  --profile                write CPU profiles of the Parlor servers to bench/results/profiles/
  --reuse / --no-reuse     keep systems up across scenarios (default: fresh processes; --quick reuses)
  --out=PATH               results JSON (default bench/results/latest.json; --quick: quick.json)
  --database-url=URL       use this migrated database instead of creating parlor_bench_<pid>
  --max-minutes=N          hard stop (default 25)
  --noise-retries=N        re-measure a system when other processes used > 25% of the CPU (default 1)
  --render=RESULTS.json    no run: rewrite the .md next to a results file from it (after report changes)`

/** Parses CLI flags on top of the default or quick preset. Throws on unknown flags or bad values. */
export function parseOptions(argv: string[]): BenchOptions | 'help' | { render: string } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      quick: { type: 'boolean' },
      systems: { type: 'string' },
      scenarios: { type: 'string' },
      rounds: { type: 'string' },
      'fan-receivers': { type: 'string' },
      'fan-senders': { type: 'string' },
      'fan-rate': { type: 'string' },
      'fan-seconds': { type: 'string' },
      'chat-users': { type: 'string' },
      'chat-room-size': { type: 'string' },
      'chat-interval': { type: 'string' },
      'chat-seconds': { type: 'string' },
      'burst-seconds': { type: 'string' },
      'peak-rate': { type: 'string' },
      'toggle-every': { type: 'string' },
      thumbnails: { type: 'string' },
      'peak-seconds': { type: 'string' },
      'peak-search-steps': { type: 'string' },
      logins: { type: 'string' },
      'login-rate': { type: 'string' },
      'soak-connections': { type: 'string' },
      'soak-seconds': { type: 'string' },
      'soak-connect-seconds': { type: 'string' },
      'reconnect-clients': { type: 'string' },
      'join-clients': { type: 'string' },
      'join-seconds': { type: 'string' },
      'class-logins': { type: 'string' },
      'class-login-seconds': { type: 'string' },
      workers: { type: 'string' },
      padding: { type: 'string' },
      'connect-concurrency': { type: 'string' },
      'official-client': { type: 'boolean' },
      profile: { type: 'boolean' },
      reuse: { type: 'boolean' },
      'no-reuse': { type: 'boolean' },
      out: { type: 'string' },
      'database-url': { type: 'string' },
      'max-minutes': { type: 'string' },
      'noise-retries': { type: 'string' },
      render: { type: 'string' },
    },
  })
  if (values.help) return 'help'
  if (values.render) return { render: values.render }
  const o = values.quick ? quickOptions() : defaultOptions()
  const num = (name: keyof typeof values, min: number, max: number): number | undefined => {
    const raw = values[name]
    if (raw === undefined) return undefined
    const n = Number(raw)
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in [${min}, ${max}]`)
    return n
  }
  const list = <T extends string>(name: 'systems' | 'scenarios', allowed: readonly T[]): T[] | undefined => {
    const raw = values[name]
    if (raw === undefined) return undefined
    const items = raw.split(',').map((s) => s.trim()) as T[]
    for (const item of items) if (!allowed.includes(item)) throw new Error(`--${name}: unknown ${item}`)
    return items
  }
  const sec = (name: keyof typeof values, max = 600) => {
    const s = num(name, 0.2, max)
    return s === undefined ? undefined : Math.round(s * 1000)
  }
  o.systems = list('systems', SYSTEM_NAMES) ?? o.systems
  o.scenarios = list('scenarios', SCENARIO_GROUPS) ?? o.scenarios
  o.rounds = num('rounds', 1, 10) ?? o.rounds
  o.fan.receivers = num('fan-receivers', 1, 20_000) ?? o.fan.receivers
  o.fan.senders = num('fan-senders', 1, 1000) ?? o.fan.senders
  o.fan.rate = num('fan-rate', 1, 100_000) ?? o.fan.rate
  o.fan.measureMs = sec('fan-seconds') ?? o.fan.measureMs
  o.chat.users = num('chat-users', 2, 50_000) ?? o.chat.users
  o.chat.roomSize = num('chat-room-size', 1, 1000) ?? o.chat.roomSize
  o.chat.intervalMs = sec('chat-interval') ?? o.chat.intervalMs
  o.chat.steadyMs = sec('chat-seconds') ?? o.chat.steadyMs
  o.chat.burstWindowMs = sec('burst-seconds') ?? o.chat.burstWindowMs
  o.chat.peakRate = num('peak-rate', 0, 100_000) ?? o.chat.peakRate
  o.chat.toggleEvery = num('toggle-every', 0, 1000) ?? o.chat.toggleEvery
  o.chat.thumbnails = num('thumbnails', 0, 100) ?? o.chat.thumbnails
  o.chat.peakMs = sec('peak-seconds') ?? o.chat.peakMs
  o.chat.peakSearchSteps = num('peak-search-steps', 0, 5) ?? o.chat.peakSearchSteps
  o.login.count = num('logins', 0, 10_000) ?? o.login.count
  o.login.rate = num('login-rate', 1, 10_000) ?? o.login.rate
  o.soak.connections = num('soak-connections', 1, 100_000) ?? o.soak.connections
  o.soak.holdMs = sec('soak-seconds') ?? o.soak.holdMs
  o.soak.connectBudgetMs = sec('soak-connect-seconds', 3600) ?? o.soak.connectBudgetMs
  o.storm.reconnectClients = num('reconnect-clients', 1, 50_000) ?? o.storm.reconnectClients
  o.storm.joinClients = num('join-clients', 1, 50_000) ?? o.storm.joinClients
  o.storm.joinSpreadMs = sec('join-seconds') ?? o.storm.joinSpreadMs
  o.storm.logins = num('class-logins', 1, 10_000) ?? o.storm.logins
  o.storm.loginSpreadMs = sec('class-login-seconds') ?? o.storm.loginSpreadMs
  const workers = num('workers', 1, 16)
  if (workers !== undefined) o.fan.workers = o.chat.workers = o.soak.workers = o.storm.workers = workers
  o.padding = num('padding', 0, 3500) ?? o.padding
  o.connectConcurrency = num('connect-concurrency', 1, 5000) ?? o.connectConcurrency
  o.officialClient = values['official-client'] ?? o.officialClient
  o.profile = values.profile ?? o.profile
  if (values.reuse) o.reuseSystems = true
  if (values['no-reuse']) o.reuseSystems = false
  o.out = values.out ?? o.out
  o.databaseUrl = values['database-url'] ?? o.databaseUrl
  o.maxMinutes = num('max-minutes', 1, 120) ?? o.maxMinutes
  o.noiseRetries = num('noise-retries', 0, 5) ?? o.noiseRetries
  return o
}
