// Starting and stopping the systems under test, each server as its own process with the bench probe.
import { type ChildProcess, fork } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { BCRYPT_COST, HARNESS_ENV } from '../test/harness'
import { sleep } from './clock'
import type { Protocol } from './gen/protocol'
import { REPO_ROOT } from './infra'
import type { SystemName } from './options'
import { openFilesLimit } from './proc'
import { rpcClient } from './rpc'
import type { ProbeReading } from './servers/probe'

export const SYSTEMS: Record<SystemName, { protocol: Protocol; instances: number; script: string; label: string }> = {
  'parlor-2': {
    protocol: 'parlor',
    instances: 2,
    script: 'parlor.ts',
    label: 'Parlor, 2 instances + Redis adapter',
  },
  'parlor-1': { protocol: 'parlor', instances: 1, script: 'parlor.ts', label: 'Parlor, 1 instance (in-memory)' },
  socketio: { protocol: 'socketio', instances: 1, script: 'socketio.ts', label: 'bare Socket.IO broadcast server' },
  ws: { protocol: 'ws', instances: 1, script: 'ws.ts', label: 'raw ws broadcast server' },
}

export type SystemEnv = {
  databaseUrl: string
  redisUrl: string
  /** Key prefix of this bench run; each Parlor-2 cluster gets its own below it. */
  redisPrefix: string
  jwtSecret: string
  passwordHash: string
  profileDir: string | null
}

export type ServerProc = {
  name: string
  pid: number
  url: string
  child: ChildProcess
  openFilesLimit: number | null
  probe: { reset(): Promise<void>; read(gc?: boolean): Promise<ProbeReading> }
  output(): string
}

export type RunningSystem = {
  name: SystemName
  protocol: Protocol
  procs: ServerProc[]
  urls: string[]
  stop(): Promise<void>
}

const live = new Set<ChildProcess>()

/** Kills every server and generator process still running (used on abort). */
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL')
}

/** Forks a bench child process (server launcher or generator) with tsx, tracked for cleanup. */
export function forkTs(
  script: string,
  { env, execArgv = [] }: { env?: NodeJS.ProcessEnv; execArgv?: string[] } = {},
): { child: ChildProcess; output: () => string } {
  const child = fork(script, [], {
    cwd: REPO_ROOT,
    env: env ?? process.env,
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  live.add(child)
  child.on('exit', () => live.delete(child))
  let output = ''
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return { child, output: () => output }
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer()
    srv.once('error', fail)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => done(port))
    })
  })
}

let clusterCount = 0

export async function startSystem(name: SystemName, env: SystemEnv): Promise<RunningSystem> {
  const def = SYSTEMS[name]
  const prefix = `${env.redisPrefix}-c${++clusterCount}`
  const started = await Promise.allSettled(
    Array.from({ length: def.instances }, (_, i) => startServer(name, def.script, i, def.protocol, env, prefix)),
  )
  const procs = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  const failure = started.find((s) => s.status === 'rejected')
  if (failure) {
    await Promise.all(procs.map((p) => stopProcess(p.child, 3000)))
    throw failure.reason
  }
  return {
    name,
    protocol: def.protocol,
    procs,
    urls: procs.map((p) => p.url),
    async stop() {
      await Promise.all(procs.map((p) => stopProcess(p.child, 15_000)))
    },
  }
}

/**
 * Starts one more server process of a running system (issue 23: the reconnect storm's clients move
 * to it when a one-instance system stops). Not added to `sys.procs`; the caller stops it.
 */
export async function startExtraInstance(sys: RunningSystem, env: SystemEnv): Promise<ServerProc> {
  const def = SYSTEMS[sys.name]
  return startServer(sys.name, def.script, sys.procs.length, def.protocol, env, `${env.redisPrefix}-x${++clusterCount}`)
}

async function startServer(
  system: SystemName,
  script: string,
  index: number,
  protocol: Protocol,
  env: SystemEnv,
  redisPrefix: string,
): Promise<ServerProc> {
  const port = await freePort()
  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HOST: '127.0.0.1',
    PORT: String(port),
    JWT_SECRET: env.jwtSecret,
    BENCH_PASSWORD_HASH: env.passwordHash,
  }
  if (protocol === 'parlor') {
    Object.assign(childEnv, {
      // 'test' rather than 'production' only because production requires Redis, and Parlor-1 runs
      // without it; both variants get the same settings. Nothing else in Parlor reads NODE_ENV.
      NODE_ENV: 'test',
      DATABASE_URL: env.databaseUrl,
      BCRYPT_COST: BCRYPT_COST.production,
      LOG_LEVEL: 'warn',
      MIGRATE_ON_START: 'false',
      INSTANCE_ID: `bench-${system}-${index}`,
      // All load comes from one address (loopback): see HARNESS_ENV.
      ...HARNESS_ENV,
      ...(system === 'parlor-2' ? { REDIS_URL: env.redisUrl, REDIS_PREFIX: redisPrefix } : {}),
    })
  }
  const execArgv = ['--expose-gc']
  if (env.profileDir && protocol === 'parlor') {
    // One directory per server; V8 writes one profile per thread (the main thread's has tid 0).
    const dir = resolve(env.profileDir, `${system}-${index}-${Date.now()}`)
    mkdirSync(dir, { recursive: true })
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${dir}`)
  }
  const { child, output } = forkTs(resolve(import.meta.dirname, 'servers', script), { env: childEnv, execArgv })
  const rpc = rpcClient(child, `${system}[${index}]`)
  const url = `http://127.0.0.1:${port}`
  const readyPath = protocol === 'parlor' ? '/readyz' : '/healthz'
  const until = Date.now() + 90_000
  let exited = false
  child.once('exit', () => {
    exited = true
  })
  while (true) {
    if (exited) throw new Error(`${system}[${index}] exited before it was ready:\n${output()}`)
    try {
      if ((await fetch(url + readyPath)).status === 200) break
    } catch {}
    if (Date.now() > until) {
      child.kill('SIGKILL')
      throw new Error(`${system}[${index}] not ready within 90 s:\n${output()}`)
    }
    await sleep(100)
  }
  return {
    name: `${system}[${index}]`,
    pid: child.pid as number,
    url,
    child,
    openFilesLimit: openFilesLimit(child.pid as number),
    probe: {
      reset: () => rpc.call({ type: 'probe:reset' }),
      read: (gc = false) => rpc.call<ProbeReading>({ type: 'probe:read', gc }, 30_000),
    },
    output,
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
export async function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise<void>((done) => child.once('exit', () => done()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await gone
  clearTimeout(timer)
}
