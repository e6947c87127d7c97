import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { serveEmbedded } from './embedded-server'

/** Prisma's pool on the embedded database. Sessions take turns on PGlite's one backend, so more buys nothing. */
export const EMBEDDED_POOL_SIZE = 4

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
  const db = await PGlite.create(join(dataDir, 'pglite'))
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
