import { execFile } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { serveEmbedded } from './embedded-server'

/** Prisma's pool on the embedded database. Sessions take turns on PGlite's one backend, so more buys nothing. */
export const EMBEDDED_POOL_SIZE = 4

/**
 * PostgreSQL's default 128 MB of shared buffers is most of PGlite's memory (WebAssembly pages, all
 * resident once touched); a development database fits in far less. Measured RSS of the whole server
 * after start: 434 MB with 128 MB, 334 MB with 32 MB (README, "Run it").
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB']

export type EmbeddedPostgres = {
  url: string
  /** Open client connections. */
  sessions(): number
  stop(): Promise<void>
}

/**
 * Development without PostgreSQL: a file-backed PGlite (PostgreSQL 17 in WebAssembly) under
 * `dataDir`, served over the PostgreSQL wire protocol on a loopback port of this process
 * (embedded-server.ts: one session per connection), so Prisma, the pg pool and the migration CLI
 * talk to it like to any server. Single-process only; production requires DATABASE_URL.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  mkdirSync(dataDir, { recursive: true })
  // Absolute: the first-start child runs in this module's folder, and DATA_DIR is usually relative (./data).
  const pgdata = resolve(dataDir, 'pglite')
  if (!existsSync(join(pgdata, 'PG_VERSION'))) await initInChildProcess(pgdata)
  // pg_trgm: the search indexes (the migration creates the extension; PGlite must have it loaded).
  const db = await PGlite.create(pgdata, { startParams: START_PARAMS, extensions: { pg_trgm } })
  const server = await serveEmbedded(db)
  return {
    url: `postgresql://postgres:postgres@${server.address}/postgres?sslmode=disable`,
    sessions: server.sessions,
    async stop() {
      await server.stop()
      await db.close()
    },
  }
}

/**
 * The first start runs initdb, which PGlite does in a second and third WebAssembly instance; in this
 * process their memory would stay (RSS 867 MB after the first start, 434 MB after later ones). A
 * short-lived child process creates the database instead and gives its memory back when it exits.
 */
async function initInChildProcess(pgdata: string): Promise<void> {
  const script = `import('@electric-sql/pglite').then(async ({ PGlite }) => (await PGlite.create(process.argv[1])).close())`
  await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, pgdata], {
    cwd: import.meta.dirname,
    timeout: 240_000,
  })
}
