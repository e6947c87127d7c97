// Starts Parlor exactly as the README's run command does (`npm start`, no DATABASE_URL, no REDIS_URL:
// the embedded PGlite database and in-memory presence), with only its own port and DATA_DIR, so the
// newcomer tests exercise what a person trying Parlor for the first time runs.
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ARTIFACTS, ROOT } from './server'

export type ReadmeServer = {
  url: string
  /** Stops the whole process group: SIGTERM (graceful) or SIGKILL (as `kill -9`). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<number | string>
}

export async function startReadmeServer({
  port,
  dataDir,
  name,
}: {
  port: number
  dataDir: string
  name: string
}): Promise<ReadmeServer> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const log = createWriteStream(resolve(ARTIFACTS, `${name}.log`), { flags: 'a' })
  // The person's shell environment, less anything that would point Parlor at real servers.
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir }
  for (const key of Object.keys(env)) {
    if (/^(DATABASE_URL|REDIS_URL|REDIS_PREFIX|NODE_ENV|E2E_|PARLOR_)/.test(key)) delete env[key]
  }
  const child: ChildProcess = spawn('npm', ['start'], {
    cwd: ROOT,
    env,
    detached: true, // its own process group: npm, the shell and the server stop together
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.pipe(log, { end: false })
  child.stderr?.pipe(log, { end: false })
  const exited = new Promise<number | string>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal ?? -1)),
  )
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 180_000 // the first start builds the web UI and runs initdb in WebAssembly
  for (;;) {
    const state = await Promise.race([exited, sleep(200).then(() => 'running' as const)])
    if (state !== 'running') throw new Error(`npm start exited with ${state}; see e2e/artifacts/${name}.log`)
    if (await ready(url)) break
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL')
      throw new Error(`npm start not ready after 180 s; see e2e/artifacts/${name}.log`)
    }
  }
  return {
    url,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, signal)
        } catch {
          // already gone
        }
      }
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000)
      const code = await exited
      clearTimeout(timer)
      // The server (a grandchild) may still be ending after npm itself exited.
      while (await ready(url)) await sleep(100)
      // The server's last lines can still be in the pipes (it outlives npm): detach them before the
      // log ends, or a late chunk fails the test with "write after end".
      child.stdout?.unpipe(log)
      child.stderr?.unpipe(log)
      log.end()
      return code
    },
  }
}

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/readyz`)).status === 200
  } catch {
    return false
  }
}
