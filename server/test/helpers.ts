// Shared test helpers: boot the real app on port 0 against the run's PostgreSQL database and Redis
// prefix (see run.ts), talk to it over real HTTP and real socket.io-client connections.
import { randomBytes, randomUUID } from 'node:crypto'
import pg from 'pg'
import { createClient } from 'redis'
import type { Socket } from 'socket.io-client'
import { type App, createApp } from '../src/app'
import { connectRedis } from '../src/db/redis'
import { type Config, loadConfig } from '../src/config/env'
import type { Ack } from '../src/contract/events'
import { createDatabase, type PrismaClient } from '../src/db/prisma'
import { createLogger } from '../src/lib/logger'
import { BCRYPT_COST, type BoundHelpers, bindHelpers, type ClientSocket, connect, HARNESS_ENV } from './harness'

export { api, type ApiResponse, type ClientSocket, connect, createRoom, register, uniqueName } from './harness'

export { LOBBY_ID } from '../src/contract/limits'

const databaseUrl = process.env.PARLOR_TEST_DATABASE_URL
const redisUrl = process.env.PARLOR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const runPrefix = process.env.PARLOR_TEST_PREFIX
if (!databaseUrl || !runPrefix) throw new Error('Run tests through `npm run test:server` (server/test/run.ts).')

export const testEnv = { databaseUrl, redisUrl, runPrefix }

/** Runs `work` on a fresh connection to the run's test database, closed afterwards. */
export async function withDatabase<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testEnv.databaseUrl })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** A Redis key prefix private to one test (instances of one cluster share it). */
export const newPrefix = () => `${runPrefix}:${randomBytes(4).toString('hex')}`

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig(
    {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: newPrefix(),
      ...HARNESS_ENV,
      BCRYPT_COST: BCRYPT_COST.suites,
      LOG_LEVEL: process.env.PARLOR_TEST_LOG_LEVEL ?? 'silent',
      MIGRATE_ON_START: 'false',
      PRESENCE_HEARTBEAT_SECONDS: '1',
      PRESENCE_TTL_SECONDS: '3',
      ...env,
    },
    { instanceId: `test-${randomUUID().slice(0, 8)}` },
  )
}

/** A server booted in this process, with the harness helpers bound to it (`server.user()`, …). */
export type TestServer = BoundHelpers & {
  url: string
  app: App
  prisma: PrismaClient
  /** The pg pool under prisma (tests count the statements an action runs). */
  pool: pg.Pool
  config: Config
  stop(): Promise<void>
}

/**
 * Boots the app in this process. `env` overrides config; `REDIS_URL: ''` runs without Redis.
 * `logs` receives every log line (JSON) when given.
 */
export async function startServer(
  env: Record<string, string> = {},
  { logs }: { logs?: string[] } = {},
): Promise<TestServer> {
  const config = testConfig(env)
  const { prisma, pool } = createDatabase({
    url: config.DATABASE_URL as string,
    poolSize: 5,
    applicationName: config.incarnation,
  })
  const redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL) : null
  const log = createLogger({
    level: config.LOG_LEVEL,
    instanceId: config.instanceId,
    destination: logs ? { write: (line: string) => void logs.push(line) } : undefined,
  })
  const app = createApp({ config, prisma, pool, redis, log })
  const port = await app.listen()
  const url = `http://127.0.0.1:${port}`
  return {
    ...bindHelpers(url),
    url,
    app,
    prisma,
    pool,
    config,
    async stop() {
      await app.shutdown()
      await prisma.$disconnect()
      if (redis) await Promise.allSettled(Object.values(redis).map((c) => c.quit()))
    },
  }
}

/** The handshake error a token gets (or null when it connects). */
export async function handshakeError(base: string, token: string): Promise<{ message: string; data?: any } | null> {
  try {
    const s = await connect(base, token)
    s.close()
    return null
  } catch (err) {
    return err as { message: string; data?: any }
  }
}

/** Emits an event with an ack and resolves with the ack. */
export function ack<T extends object = any>(socket: ClientSocket, event: string, ...args: unknown[]): Promise<Ack<T>> {
  return (socket as unknown as Socket).timeout(5000).emitWithAck(event, ...args)
}

/** Resolves with the next `event` matching `predicate`, or rejects after `timeoutMs`. */
export function nextEvent<T = any>(
  socket: ClientSocket,
  event: string,
  predicate: (payload: T) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  const s = socket as unknown as Socket
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      s.off(event, listener)
      reject(new Error(`timed out waiting for ${event}`))
    }, timeoutMs)
    const listener = (payload: T) => {
      if (!predicate(payload)) return
      clearTimeout(timer)
      s.off(event, listener)
      resolve(payload)
    }
    s.on(event, listener)
  })
}

/** Records every event a socket receives (for "must never see" assertions). */
export function record(socket: ClientSocket): { events: { event: string; args: unknown[] }[]; text(): string } {
  const events: { event: string; args: unknown[] }[] = []
  socket.onAny((event, ...args) => events.push({ event, args }))
  return { events, text: () => JSON.stringify(events) }
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition') {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (await check()) return
    await sleep(25)
  }
  throw new Error(`timed out waiting for ${what}`)
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const clientMsgId = () => randomBytes(8).toString('hex')

/** A server running as its own process (as production runs it), with the harness helpers bound to it. */
export type ServerProcess = BoundHelpers & {
  url: string
  port: number
  child: import('node:child_process').ChildProcess
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>
  output(): string
  kill(signal?: NodeJS.Signals): void
}

/** A free loopback port (bound then released). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net')
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

/**
 * Starts the real server as its own process (`server/src/main.ts`, as production does) and waits
 * until /readyz answers 200. `env` replaces the test defaults; pass `DATABASE_URL: ''` for PGlite.
 */
export async function spawnServer(
  env: Record<string, string> = {},
  { readyTimeoutMs = 60_000 } = {},
): Promise<ServerProcess> {
  const { spawn } = await import('node:child_process')
  const port = env.PORT ? Number(env.PORT) : await freePort()
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl as string,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: newPrefix(),
    ...HARNESS_ENV,
    BCRYPT_COST: BCRYPT_COST.suites,
    LOG_LEVEL: 'warn',
    MIGRATE_ON_START: 'false',
    ...env,
    PORT: String(port),
  }
  for (const [k, v] of Object.entries(childEnv)) if (v === '') delete childEnv[k]
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (d) => (output += d))
  child.stderr?.on('data', (d) => (output += d))
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  )
  const url = `http://127.0.0.1:${port}`
  const until = Date.now() + readyTimeoutMs
  let ended = false
  void exited.then(() => (ended = true))
  while (true) {
    if (ended) throw new Error(`server exited before it was ready:\n${output}`)
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) break
    } catch {}
    if (Date.now() > until) {
      child.kill('SIGKILL')
      throw new Error(`server not ready in time:\n${output}`)
    }
    await sleep(100)
  }
  return {
    ...bindHelpers(url),
    url,
    port,
    child,
    exited,
    output: () => output,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
  }
}

type RouterLayer = {
  rawPath?: string
  route?: { path: string | RegExp; methods: Record<string, boolean> }
  handle: { stack?: RouterLayer[] }
}

/** Every `METHOD /path` the Express app serves, with mount paths joined (e.g. `DELETE /api/rooms/:id`). */
export function listRoutes(expressApp: { router: { stack: RouterLayer[] } }): string[] {
  const out: string[] = []
  const walk = (stack: RouterLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          const path = layer.route.path instanceof RegExp ? `regexp:${layer.route.path.source}` : layer.route.path
          out.push(`${method.toUpperCase()} ${(prefix + path).replace(/(.)\/$/, '$1')}`)
        }
      } else if (layer.handle.stack && typeof layer.rawPath === 'string') {
        walk(layer.handle.stack, prefix + (layer.rawPath === '/' ? '' : layer.rawPath))
      }
    }
  }
  walk(expressApp.router.stack, '')
  return out
}

/** A private redis-server on its own port, so a test can stop and restart it without touching others. */
export async function startPrivateRedis(port?: number): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const { spawn } = await import('node:child_process')
  const p = port ?? (await freePort())
  const child = spawn(
    'redis-server',
    ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  )
  const exited = new Promise((resolve) => child.on('exit', resolve))
  const url = `redis://127.0.0.1:${p}`
  const until = Date.now() + 10_000
  for (;;) {
    const probe = createClient({ url })
    probe.on('error', () => {})
    try {
      await probe.connect()
      await probe.ping()
      await probe.quit()
      break
    } catch {
      probe.destroy()
      if (Date.now() > until) throw new Error('private redis did not start')
      await sleep(50)
    }
  }
  return {
    url,
    port: p,
    async stop() {
      child.kill('SIGKILL')
      await exited
    },
  }
}

/**
 * A private PostgreSQL cluster (initdb in a temp dir, run as the postgres user) on its own port, so
 * a test can stop and restart it without touching the shared server. Has a migrated `parlor` db.
 */
export async function startPrivatePostgres(): Promise<{
  url: string
  stop(): Promise<void>
  start(): Promise<void>
  destroy(): Promise<void>
}> {
  const { execFile } = await import('node:child_process')
  const { mkdtempSync, chownSync, rmSync, readdirSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { promisify } = await import('node:util')
  const { migrateDeploy } = await import('../src/db/migrate')
  const run = promisify(execFile)
  const version = readdirSync('/usr/lib/postgresql').sort().at(-1)
  const bin = (name: string) => `/usr/lib/postgresql/${version}/bin/${name}`
  const dir = mkdtempSync(join(tmpdir(), 'parlor-pg-'))
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout)
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout)
  chownSync(dir, uid, gid)
  const asPostgres = (cmd: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', cmd, ...args])
  const port = await freePort()
  await asPostgres(bin('initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync'])
  const start = async () => {
    await asPostgres(bin('pg_ctl'), [
      '-D',
      join(dir, 'data'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-l',
      join(dir, 'log'),
      '-w',
      'start',
    ])
  }
  const stop = async () => {
    await asPostgres(bin('pg_ctl'), ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop'])
  }
  await start()
  const { Client } = (await import('pg')).default
  const admin = new Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` })
  await admin.connect()
  await admin.query('CREATE DATABASE parlor')
  await admin.end()
  const url = `postgresql://postgres@127.0.0.1:${port}/parlor`
  await migrateDeploy(url, process.env)
  return {
    url,
    stop,
    start,
    async destroy() {
      await stop().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * A TCP proxy on a free loopback port to `target` ("host:port"), standing for one instance's network
 * link: `cut()` resets every connection through it and refuses new ones until `restore()`.
 */
export async function startTcpProxy(target: string): Promise<{
  port: number
  cut(): void
  restore(): void
  stop(): Promise<void>
}> {
  const net = await import('node:net')
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))]
  const open = new Set<import('node:net').Socket>()
  let down = false
  const server = net.createServer((inbound) => {
    if (down) return void inbound.resetAndDestroy()
    const outbound = net.connect({ host, port })
    open.add(inbound).add(outbound)
    const end = () => {
      open.delete(inbound)
      open.delete(outbound)
      inbound.destroy()
      outbound.destroy()
    }
    inbound.on('error', end).on('close', end)
    outbound.on('error', end).on('close', end)
    inbound.pipe(outbound).pipe(inbound)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const cut = () => {
    down = true
    for (const s of open) s.resetAndDestroy()
    open.clear()
  }
  return {
    port: (server.address() as { port: number }).port,
    cut,
    restore() {
      down = false
    },
    async stop() {
      cut()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/**
 * A database of its own for one test file (migrated, empty), on the run's PostgreSQL server: for
 * checks over every table ("nothing was written anywhere") that other files running at the same time
 * must not disturb. `drop()` removes it.
 */
export async function createPrivateDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { migrateDeploy } = await import('../src/db/migrate')
  const name = `${new URL(databaseUrl as string).pathname.slice(1)}_${randomBytes(3).toString('hex')}`
  await withDatabase((c) => c.query(`CREATE DATABASE "${name}"`))
  const url = new URL(databaseUrl as string)
  url.pathname = `/${name}`
  await migrateDeploy(url.toString(), process.env)
  return {
    url: url.toString(),
    drop: () => withDatabase((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  }
}

/** The row count of every table of a database (the run's by default), by table name. */
export async function tableCounts(url = databaseUrl as string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    const { rows } = await c.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    )
    const counts: Record<string, number> = {}
    for (const { name } of rows) {
      counts[name] = Number((await c.query(`SELECT count(*) FROM "${name.replace(/"/g, '""')}"`)).rows[0].count)
    }
    return counts
  } finally {
    await c.end()
  }
}

/** Counts the statements a pool runs whose text `matches` (tests that prove a cache is used). */
export function countStatements(pool: pg.Pool, matches: (text: string) => boolean): { readonly n: number } {
  const counter = { n: 0 }
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text
      if (text !== undefined && matches(text)) counter.n++
      return query(...args)
    }
  })
  return counter
}
