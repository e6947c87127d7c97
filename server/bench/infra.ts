// What the systems under test run on: the bench database (created, migrated, seeded, dropped), the
// Redis key prefix (cleaned), and the machine description that goes into the results.
import { execFileSync } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { resolve } from 'node:path'
import bcrypt from 'bcrypt'
import pg from 'pg'
import { createClient } from 'redis'
import { createTokens } from '../src/auth/tokens'
import { migrateDeploy } from '../src/db/migrate'
import type { RoundTripCosts } from './calibrate'
import { openFilesLimit } from './proc'

export const REPO_ROOT = resolve(import.meta.dirname, '../..')
export const PASSWORD = 'bench-password-0123'
const TOKEN_TTL_SECONDS = 6 * 3600

export type BenchUser = { id: string; username: string; token: string }

export type BenchDb = {
  url: string
  pool: pg.Pool
  jwtSecret: string
  passwordHash: string
  users: BenchUser[]
  /** Drops the database if the bench created it. */
  close(): Promise<void>
}

/** Fails with the machine notes' start command when PostgreSQL or Redis is not running. */
export async function checkServices(adminUrl: string, redisUrl: string): Promise<{ postgres: string; redis: string }> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 })
  let postgres: string
  try {
    await client.connect()
    postgres = (await client.query('SHOW server_version')).rows[0].server_version
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${adminUrl} (${(err as Error).message}). Start it with:\n` +
        '  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    )
  } finally {
    await client.end().catch(() => {})
  }
  const redis = createClient({ url: redisUrl, socket: { connectTimeout: 3000, reconnectStrategy: false } })
  redis.on('error', () => {})
  try {
    await redis.connect()
    const info = await redis.info('server')
    await redis.quit()
    return { postgres, redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown' }
  } catch (err) {
    throw new Error(
      `Redis is not reachable at ${redisUrl} (${(err as Error).message}). Start it with:\n` +
        '  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no',
    )
  }
}

/** Where the bench database will be and the secrets the servers share; known before it exists. */
export type DbPlan = { url: string; dbName: string | null; jwtSecret: string; passwordHash: string }

export async function planBenchDb(adminUrl: string, existingUrl: string | null): Promise<DbPlan> {
  let url = existingUrl
  let dbName: string | null = null
  if (!url) {
    dbName = `parlor_bench_${process.pid}_${randomBytes(3).toString('hex')}`
    const u = new URL(adminUrl)
    u.pathname = `/${dbName}`
    url = u.toString()
  }
  return { url, dbName, jwtSecret: randomBytes(32).toString('hex'), passwordHash: await bcrypt.hash(PASSWORD, 10) }
}

/**
 * Opens the bench database: creates `parlor_bench_<pid>_<rand>` and applies the repo's migrations
 * (`close` drops it), or uses the given one as is. Seeds `userCount` users sharing one bcrypt (cost
 * 10) password hash and signs each a session token, so no bench time goes into registrations.
 */
export async function openBenchDb(
  plan: DbPlan,
  { adminUrl, userCount, tag }: { adminUrl: string; userCount: number; tag: string },
): Promise<BenchDb> {
  const { url, dbName, jwtSecret, passwordHash } = plan
  if (dbName) await admin(adminUrl, (c) => c.query(`CREATE DATABASE "${dbName}"`))
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  pool.on('error', () => {})
  const close = async () => {
    await pool.end().catch(() => {})
    if (dbName) await admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`))
  }
  try {
    if (dbName) await migrateDeploy(url, process.env)
    const tokens = createTokens({
      secret: jwtSecret,
      issuer: 'parlor',
      audience: 'parlor',
      userTtlSeconds: TOKEN_TTL_SECONDS,
      guestTtlSeconds: TOKEN_TTL_SECONDS,
    })
    const { rows } = await pool.query<{ id: string; username: string; tokenVersion: number }>(
      `INSERT INTO "User" ("username", "email", "passwordHash")
       SELECT 'b' || $1 || '_' || g, 'b' || $1 || '_' || g || '@bench.example', $2 FROM generate_series(0, $3 - 1) g
       RETURNING "id", "username", "tokenVersion"`,
      [tag, passwordHash, userCount],
    )
    const index = (username: string) => Number(username.slice(username.lastIndexOf('_') + 1))
    rows.sort((a, b) => index(a.username) - index(b.username))
    const users = rows.map((r) => ({ id: r.id, username: r.username, token: tokens.signUser(r) }))
    return { url, pool, jwtSecret, passwordHash, users, close }
  } catch (err) {
    await close().catch(() => {})
    throw err
  }
}

/** Creates `count` rooms (public, or private with the given participants); returns their ids in order. */
export async function createRooms(
  db: BenchDb,
  { tag, count, members }: { tag: string; count: number; members?: (i: number) => string[] },
): Promise<string[]> {
  const isPrivate = members !== undefined
  const { rows } = await db.pool.query<{ id: string; name: string }>(
    `INSERT INTO "Room" ("name", "publicNameKey", "isPrivate")
     SELECT 'bench-' || $1 || '-' || g, CASE WHEN $3 THEN NULL ELSE 'bench-' || $1 || '-' || g END, $3
     FROM generate_series(0, $2 - 1) g RETURNING "id", "name"`,
    [tag, count, isPrivate],
  )
  const index = (name: string) => Number(name.slice(name.lastIndexOf('-') + 1))
  const ids = rows.sort((a, b) => index(a.name) - index(b.name)).map((r) => r.id)
  if (members) {
    const roomIds: string[] = []
    const userIds: string[] = []
    ids.forEach((roomId, i) => {
      for (const userId of members(i)) {
        roomIds.push(roomId)
        userIds.push(userId)
      }
    })
    await db.pool.query(
      `INSERT INTO "RoomParticipant" ("roomId", "userId") SELECT * FROM unnest($1::uuid[], $2::uuid[])`,
      [roomIds, userIds],
    )
  }
  return ids
}

/**
 * Gives each room `count` messages of history (seq and rev 1…count, by `authorId`), as if they had
 * been sent: the storms' rooms are joined "with history" (issue 23).
 */
export async function fillRooms(db: BenchDb, roomIds: string[], count: number, authorId: string, tag: string) {
  if (count === 0 || roomIds.length === 0) return
  await db.pool.query(
    `INSERT INTO "Message" ("roomId", "seq", "rev", "authorId", "topic", "content", "clientMsgId")
     SELECT r, g, g, $2, 'bench', 'history ' || g || ' ' || repeat('x', 60), $3 || '-h-' || r || '-' || g
     FROM unnest($1::uuid[]) r, generate_series(1, $4) g`,
    [roomIds, authorId, tag, count],
  )
  await db.pool.query(`UPDATE "Room" SET "lastSeq" = $2, "rev" = $2 WHERE "id" = ANY($1::uuid[])`, [roomIds, count])
}

/** Room ids for the baselines, which have no database. */
export const fakeRooms = (count: number) => Array.from({ length: count }, () => randomUUID())

/** Rows stored under a clientMsgId prefix (one run's phase). */
export async function countMessages(db: BenchDb, clientMsgIdPrefix: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM "Message" WHERE "clientMsgId" LIKE $1`,
    [`${clientMsgIdPrefix}%`],
  )
  return Number(rows[0].n)
}

/** Test-only fault: deletes stored rows so the row check must fail. */
export async function deleteMessages(db: BenchDb, clientMsgIdPrefix: string, n: number): Promise<void> {
  await db.pool.query(
    `DELETE FROM "Message" WHERE "id" IN (SELECT "id" FROM "Message" WHERE "clientMsgId" LIKE $1 LIMIT $2)`,
    [`${clientMsgIdPrefix}%`, n],
  )
}

/** Deletes every Redis key under the prefix (presence keys; the adapter uses channels only). */
export async function cleanRedis(redisUrl: string, prefix: string): Promise<number> {
  const redis = createClient({ url: redisUrl })
  redis.on('error', () => {})
  await redis.connect()
  let deleted = 0
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) deleted += await redis.del(keys)
  }
  await redis.quit()
  return deleted
}

async function admin<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return await work(c)
  } finally {
    await c.end()
  }
}

export type Machine = {
  cpu: string
  cores: number
  memoryGiB: number
  os: string
  kernel: string
  node: string
  postgres: string
  redis: string
  openFilesLimit: number | null
  loadAverageAtStart: number[]
  /** Share of all cores busy during the 2 s before the bench started (other tenants of the machine). */
  busyShareBeforeStart: number
  /** CPU one round trip to PostgreSQL / Redis costs the caller here (calibrate.ts); null until measured. */
  roundTrips: RoundTripCosts | null
  packages: Record<string, string>
  commit: string | null
  startedAt: string
}

export function describeMachine(services: { postgres: string; redis: string }): Machine {
  const version = (pkg: string) => {
    try {
      return JSON.parse(readFileSync(resolve(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version
    } catch {
      return 'unknown'
    }
  }
  let os = 'unknown'
  try {
    os = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os
  } catch {}
  let commit: string | null = null
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim()
  } catch {}
  const c = cpus()
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os,
    kernel: release(),
    node: process.version,
    postgres: services.postgres,
    redis: services.redis,
    openFilesLimit: openFilesLimit(),
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    busyShareBeforeStart: 0,
    roundTrips: null,
    packages: Object.fromEntries(
      ['socket.io', 'socket.io-client', 'ws', '@socket.io/redis-adapter', '@prisma/client', 'pg', 'bcrypt'].map((p) => [
        p,
        version(p),
      ]),
    ),
    commit,
    startedAt: new Date().toISOString(),
  }
}
