// Runs the real Parlor server (production mode, real PostgreSQL and Redis, the built web UI) as a
// child process, so tests can stop and restart it like an operator would.
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { BCRYPT_COST, HARNESS_ENV } from '../../server/test/harness'

export const ROOT = resolve(import.meta.dirname, '../..')
export const ARTIFACTS = resolve(ROOT, 'e2e/artifacts')

/** Not the development secret (production refuses that one). */
const JWT_SECRET = 'e2e-only-secret-9f2c4b7a1d6e8053c2b9a4f7e1d0c6b8'

export type ServerOptions = {
  port: number
  databaseUrl: string
  redisPrefix: string
  /** Log file name under e2e/artifacts. */
  name: string
  /** Apply migrations on start (default true); a restart of an already migrated database skips it. */
  migrate?: boolean
}

export type RunningServer = {
  url: string
  stop(): Promise<void>
}

export function serverEnv({ port, databaseUrl, redisPrefix, migrate = true }: ServerOptions): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    MIGRATE_ON_START: String(migrate),
    REDIS_URL: process.env.E2E_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: redisPrefix,
    JWT_SECRET,
    BCRYPT_COST: BCRYPT_COST.production,
    WEB_DIST_DIR: resolve(ROOT, 'web/dist'),
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...HARNESS_ENV,
  }
}

/** Starts the server and resolves once /readyz answers 200. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const log = createWriteStream(resolve(ARTIFACTS, `${options.name}.log`), { flags: 'a' })
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    // E2E_SERVER_ROOT: run the server from another checkout (the web build is still this one's).
    cwd: process.env.E2E_SERVER_ROOT ?? ROOT,
    env: serverEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.pipe(log, { end: false })
  child.stderr?.pipe(log, { end: false })
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  const url = `http://127.0.0.1:${options.port}`

  const deadline = Date.now() + 60_000
  for (;;) {
    const code = await Promise.race([exited, sleep(150).then(() => 'running' as const)])
    if (code !== 'running')
      throw new Error(`server exited with ${code} before it was ready; see e2e/artifacts/${options.name}.log`)
    if (await isReady(url)) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server not ready after 60 s; see e2e/artifacts/${options.name}.log`)
    }
  }

  return {
    url,
    async stop() {
      await stopChild(child, exited)
      log.end()
    },
  }
}

async function isReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/readyz`)
    return res.status === 200
  } catch {
    return false
  }
}

/** SIGTERM (graceful: in-flight sends finish, sockets close), SIGKILL if it hangs. */
async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}
