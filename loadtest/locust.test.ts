// The Locust load test, headless, as part of `npm test`: ~20 s of a few dozen simulated people
// (loadtest/locustfile.py) against a Parlor started here, then Locust's CSV and the database must agree:
// no failed request of any kind, every acknowledged send stored exactly once, and every room's live
// deliveries equal to its stored messages times the sockets that had joined it.
// Needs Debian's Locust (`apt-get install python3-locust python3-socketio python3-websocket`, which
// .ci/run does); without it this test fails, it does not skip.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { spawnServer, withDatabase } from '../server/test/helpers'

const USERS = 30
const RUN_SECONDS = 20
const ROOMS = 3
const APT_PACKAGES = 'python3-locust python3-socketio python3-websocket'

const work = mkdtempSync(join(tmpdir(), 'parlor-locust-'))
after(() => rmSync(work, { recursive: true, force: true }))

/** Locust's CSV (`--csv`): one object per row, keyed by the header's column names. */
function readCsv(path: string): Record<string, string>[] {
  const rows = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => [...line.matchAll(/"([^"]*)"|([^,]+)|(?<=,|^)(?=,|$)/g)].map((m) => m[1] ?? m[2] ?? ''))
  const [header, ...body] = rows
  return body.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])))
}

/** The real web UI, so the simulated page visit loads what a browser does: web/dist, or a fresh build. */
function webDist(): string {
  if (existsSync('web/dist/index.html')) return 'web/dist'
  const out = join(work, 'web')
  const build = spawnSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--outDir', out, '--emptyOutDir'],
    { encoding: 'utf8' },
  )
  assert.equal(build.status, 0, `web build failed:\n${build.stdout}\n${build.stderr}`)
  return out
}

test(`Locust, ${USERS} people for ${RUN_SECONDS} s: no failures, acks = stored rows, deliveries = rows × room audience`, async () => {
  const version = spawnSync('locust', ['--version'], { encoding: 'utf8' })
  if (version.error || version.status !== 0)
    throw new Error(`locust is not installed (apt-get install -y ${APT_PACKAGES}); see .ci/run`)

  const server = await spawnServer({ WEB_DIST_DIR: webDist() })
  const csv = join(work, 'run')
  const summaryPath = join(work, 'summary.json')
  let output = ''
  try {
    const status = await new Promise<number | string>((resolve) => {
      const child = spawn(
        'locust',
        [
          ...['-f', 'loadtest/locustfile.py', '--headless', '--host', server.url],
          // No -t: the locust file ends the run RUN_SECONDS after everyone has joined (PARLOR_SEND_SECONDS),
          // so a slow set-up on a busy machine does not eat the sending time.
          ...['-u', String(USERS), '-r', String(USERS)],
          ...['--csv', csv, '--only-summary', '--exit-code-on-error', '1', '--loglevel', 'WARNING'],
        ],
        {
          env: {
            ...process.env,
            PARLOR_ROOMS: String(ROOMS),
            PARLOR_HOLD_SENDS: '1',
            PARLOR_SEND_SECONDS: String(RUN_SECONDS),
            PARLOR_THINK_MIN: '0.5',
            PARLOR_THINK_MAX: '2',
            PARLOR_SUMMARY: summaryPath,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
      child.stdout.on('data', (d) => (output += d))
      child.stderr.on('data', (d) => (output += d))
      // A run that never gets everyone ready must still end: Locust stops on SIGTERM and reports.
      const guard = setTimeout(() => child.kill('SIGTERM'), (RUN_SECONDS + 180) * 1000)
      child.on('exit', (code, signal) => {
        clearTimeout(guard)
        resolve(code ?? signal ?? -1)
      })
    })
    assert.equal(status, 0, `locust exited with ${status}:\n${output}\nParlor's log:\n${server.output().slice(-4000)}`)

    const stats = readCsv(`${csv}_stats.csv`)
    const row = (name: string) => {
      const found = stats.find((r) => r.Name === name)
      assert.ok(found, `no "${name}" row in Locust's stats:\n${output}`)
      return { requests: Number(found['Request Count']), failures: Number(found['Failure Count']) }
    }
    assert.equal(row('Aggregated').failures, 0, `Locust recorded failures:\n${output}`)
    assert.deepEqual(readCsv(`${csv}_failures.csv`), [])
    // Every step a person takes was recorded, by everyone who takes it.
    for (const name of ['GET /', 'connect']) assert.equal(row(name).requests, USERS, name)
    for (const name of ['GET /assets/[file]', 'POST /api/auth/register', 'POST /api/auth/guest', 'GET /api/rooms'])
      assert.ok(row(name).requests > 0, name)
    assert.ok(row('room:join').requests >= USERS, 'room:join')
    assert.ok(row('GET /api/rooms/:id/messages').requests >= USERS, 'history reads')

    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as {
      acked: number
      expected_deliveries: number
      received_deliveries: number
      missing_deliveries: number
      acked_by_room: Record<string, number>
      received_by_room: Record<string, number>
      listeners_by_room: Record<string, number>
    }
    const sends = row('message:send (ack)').requests
    assert.ok(sends >= USERS / 3, `only ${sends} messages were sent in ${RUN_SECONDS} s`)
    assert.equal(summary.acked, sends)

    // Acks = stored rows, room by room: nothing acknowledged is missing, nothing is stored twice.
    const stored = await withDatabase(async (c) => {
      const { rows } = await c.query<{ name: string; n: number; distinct_ids: number }>(
        `SELECT r.name, count(*)::int AS n, count(DISTINCT m."clientMsgId")::int AS distinct_ids
           FROM "Message" m JOIN "Room" r ON r.id = m."roomId"
          WHERE r.name LIKE 'load-%' AND m.content LIKE 'locust %'
          GROUP BY r.name`,
      )
      return rows
    })
    assert.equal(stored.length, ROOMS, 'every load room got messages')
    for (const { name, n, distinct_ids } of stored) {
      assert.equal(n, distinct_ids, `${name}: a message stored twice`)
      assert.equal(n, summary.acked_by_room[name], `${name}: stored rows vs acks`)
    }

    // Deliveries = what the room sizes predict: every stored message reached every socket of its room.
    let predicted = 0
    for (const { name, n } of stored) {
      const audience = summary.listeners_by_room[name]
      assert.ok(audience > 0, `${name} had no audience`)
      assert.equal(summary.received_by_room[name], n * audience, `${name}: deliveries vs ${n} rows × ${audience}`)
      predicted += n * audience
    }
    assert.equal(summary.expected_deliveries, predicted)
    assert.equal(summary.received_deliveries, predicted)
    assert.equal(summary.missing_deliveries, 0)
    assert.ok(row('message:created (delivery)').requests >= predicted)
  } finally {
    server.kill()
    await server.exited
  }
})
