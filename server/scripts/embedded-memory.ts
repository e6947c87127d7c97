// `npm run embedded-memory`: the README's figure for the embedded database. Starts the server as
// `npm start` does (no DATABASE_URL, no REDIS_URL) on a fresh DATA_DIR, reads its RSS once it is
// ready, drives an hour of a busy class's traffic (10 people, 2 000 messages, ~300 history reads),
// reads it again, then restarts on the same data and does both again. Prints one line per reading.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { LOBBY_ID } from '../src/contract/limits'

const port = Number(process.env.PORT ?? 4477)
const url = `http://127.0.0.1:${port}`

const rssMb = (child: ChildProcess) =>
  Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024)

async function api(path: string, body?: unknown, token?: string) {
  const res = await fetch(url + path, {
    method: body ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  return { status: res.status, body: await res.json() }
}

async function start(dataDir: string): Promise<ChildProcess> {
  const { DATABASE_URL: _d, REDIS_URL: _r, ...env } = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    // The message limits are raised so the hour's traffic can be sent in a minute.
    env: { ...env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', RATE_LIMIT_SCALE: '100' },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`)
    try {
      if ((await fetch(`${url}/readyz`)).ok) return child
    } catch {
      // not listening yet
    }
    await sleep(100)
  }
}

async function anHourOfTraffic() {
  const people: string[] = []
  for (let i = 0; i < 10; i++) {
    const name = `m${randomBytes(4).toString('hex')}`
    const res = await api('/api/auth/register', {
      username: name,
      email: `${name}@example.test`,
      password: 'correct horse battery',
    })
    people.push(res.body.token)
  }
  for (let k = 0; k < 2000; k++) {
    const content = `message ${k} ${'x'.repeat(k % 200)}`
    const res = await api(
      `/api/rooms/${LOBBY_ID}/messages`,
      { content, clientMsgId: randomBytes(8).toString('hex') },
      people[k % 10],
    )
    if (res.status !== 201) throw new Error(`send ${k}: ${res.status} ${JSON.stringify(res.body)}`)
    if (k % 7 === 0) await api(`/api/rooms/${LOBBY_ID}/messages?limit=50`)
  }
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'parlor-memory-'))
  try {
    for (const run of ['first start (initdb)', 'later start']) {
      const started = Date.now()
      const server = await start(dataDir)
      console.log(`${run}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s, RSS ${rssMb(server)} MB`)
      await anHourOfTraffic()
      await sleep(2000)
      console.log(`${run}: after 2 000 messages and ~300 history reads, RSS ${rssMb(server)} MB`)
      server.kill('SIGTERM')
      await new Promise((done) => server.once('exit', done))
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
