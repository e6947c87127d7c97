// `npm run cluster [-- N]`: N instances (default 2) on ports 3001…300N, joined through Redis, for
// development. Needs PostgreSQL and Redis (defaults: the local servers); the first instance migrates.
// Each instance serves the web UI; open any of them. Ctrl-C stops them all gracefully.
import { type ChildProcess, spawn } from 'node:child_process'

const count = Math.max(2, Number(process.argv[2] ?? 2) || 2)
const env = {
  ...process.env,
  DATABASE_URL: process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/parlor',
  REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
}
const children: ChildProcess[] = []

function start(i: number): Promise<void> {
  const port = 3001 + i
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    env: { ...env, PORT: String(port), INSTANCE_ID: `dev-${i + 1}`, MIGRATE_ON_START: i === 0 ? 'true' : 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  const tag = `[${port}] `
  const pipe = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) =>
    stream.on('data', (d: Buffer) => out.write(d.toString().replace(/^(?=.)/gm, tag)))
  pipe(child.stdout!, process.stdout)
  pipe(child.stderr!, process.stderr)
  child.on('exit', (code) => process.stdout.write(`${tag}exited (${code})\n`))
  return new Promise((resolve, reject) => {
    const poll = setInterval(async () => {
      if (child.exitCode !== null) {
        clearInterval(poll)
        reject(new Error(`instance on ${port} exited`))
      }
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) {
          clearInterval(poll)
          resolve()
        }
      } catch {}
    }, 200)
  })
}

const stop = () => {
  for (const c of children) c.kill('SIGTERM')
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)

await start(0) // migrations run once, before the others start
await Promise.all(Array.from({ length: count - 1 }, (_, i) => start(i + 1)))
process.stdout.write(
  `\n${count} Parlor instances up: ${Array.from({ length: count }, (_, i) => `http://localhost:${3001 + i}`).join('  ')}\n`,
)
