// The embedded database (PGlite behind embedded-server.ts) must behave like a PostgreSQL server for
// everything Parlor does through it: several pool clients at once, named and unnamed prepared
// statements, interleaved transactions, idle clients closed and reopened, clients that vanish, and
// restarts with the data intact. On @electric-sql/pglite-socket the first test failed at once with
// `prepared statement "ins" already exists` (issue 12).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import pg from 'pg'
import { eventually, sleep } from '../../test/helpers'
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded'

const dataDir = mkdtempSync(join(tmpdir(), 'parlor-embedded-'))
let db: EmbeddedPostgres
/** Idle clients are closed after 200 ms, so tests can cross the pool's idle timeout quickly. */
let pool: pg.Pool

before(async () => {
  db = await startEmbeddedPostgres(dataDir)
  pool = new pg.Pool({ connectionString: db.url, max: 6, idleTimeoutMillis: 200 })
  await pool.query('CREATE TABLE t (id serial PRIMARY KEY, v text NOT NULL UNIQUE)')
})
after(async () => {
  await pool?.end()
  await db?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

const insertNamed = (client: pg.Pool | pg.PoolClient, v: string) =>
  client.query<{ id: number }>({ name: 'ins', text: 'INSERT INTO t (v) VALUES ($1) RETURNING id', values: [v] })
const count = async (where = 'true', values: unknown[] = []) =>
  (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM t WHERE ${where}`, values)).rows[0].n

test('six pool clients at once, each with the same named statement and unnamed ones, then after an idle close', async () => {
  const round = (tag: string) =>
    Promise.all(
      [0, 1, 2, 3, 4, 5].map(async (c) => {
        for (let i = 0; i < 25; i++) {
          const { rows } = await insertNamed(pool, `${tag}-${c}-${i}`)
          const back = await pool.query<{ v: string }>('SELECT v FROM t WHERE id = $1', [rows[0].id])
          assert.equal(back.rows[0].v, `${tag}-${c}-${i}`, 'each client reads its own row back')
        }
      }),
    )
  await round('a')
  assert.equal(await count(`v LIKE 'a-%'`), 150)
  assert.ok(db.sessions() > 1, 'several sessions were open at once')

  await eventually(() => pool.totalCount === 0, 5000, 'the pool closes its idle clients')
  await eventually(() => db.sessions() === 0, 5000, 'the server saw them go')
  await round('b') // new sessions prepare "ins" again: no "already exists"
  assert.equal(await count(`v LIKE 'b-%'`), 150)
})

test('transactions of different clients interleave without seeing or breaking each other', async () => {
  const a = await pool.connect()
  const b = await pool.connect()
  try {
    const inA = (async () => {
      await a.query('BEGIN')
      await insertNamed(a, 'tx-a')
      await sleep(100) // b is waiting for its turn meanwhile
      await a.query('ROLLBACK')
    })()
    const inB = (async () => {
      await sleep(10)
      await b.query('BEGIN')
      await insertNamed(b, 'tx-b')
      await b.query('COMMIT')
    })()
    await Promise.all([inA, inB])
    assert.equal(await count(`v = 'tx-a'`), 0, 'the rolled-back row is gone')
    assert.equal(await count(`v = 'tx-b'`), 1, 'the committed row stays')

    // A failed statement aborts its transaction; b's query waits for a's ROLLBACK, then runs.
    await a.query('BEGIN')
    await assert.rejects(insertNamed(a, 'tx-b'), /duplicate key/)
    const other = b.query<{ n: number }>(`SELECT count(*)::int AS n FROM t WHERE v = 'tx-b'`)
    await sleep(50)
    await assert.rejects(a.query('SELECT 1'), /current transaction is aborted/)
    await a.query('ROLLBACK')
    assert.equal((await other).rows[0].n, 1)
  } finally {
    await a.query('ROLLBACK').catch(() => {})
    a.release()
    b.release()
  }
  assert.equal((await pool.query('SELECT 1 AS one')).rows[0].one, 1)
})

test('a client that vanishes mid-transaction is rolled back and frees the database', async () => {
  const lost = new pg.Client({ connectionString: db.url })
  lost.on('error', () => {})
  await lost.connect()
  await lost.query('BEGIN')
  await lost.query("INSERT INTO t (v) VALUES ('lost')")
  const socket = (lost as unknown as { connection: { stream: { destroy(): void } } }).connection.stream
  socket.destroy() // as if its process had been killed
  assert.equal(await count(`v = 'lost'`), 0)
  await insertNamed(pool, 'after-lost')
  assert.equal(await count(`v = 'after-lost'`), 1)
})

test('a restart keeps every committed row; a new session starts with no statements', async () => {
  const before = await count()
  await pool.end()
  await db.stop()
  db = await startEmbeddedPostgres(dataDir)
  pool = new pg.Pool({ connectionString: db.url, max: 6, idleTimeoutMillis: 200 })
  assert.equal(await count(), before)
  await insertNamed(pool, 'after-restart')
  assert.equal(await count(), before + 1)
})
