import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

/** Connections the embedded server accepts; PGlite refuses (does not queue) extra ones. */
export const EMBEDDED_MAX_CONNECTIONS = 8
/** Prisma's pool on the embedded database, leaving room for the migration CLI. */
export const EMBEDDED_POOL_SIZE = 4

/**
 * Development without PostgreSQL: a file-backed PGlite (PostgreSQL 17 in WebAssembly) under
 * `dataDir`, served over the PostgreSQL wire protocol on a loopback port of this process, so Prisma
 * and its CLI talk to it like to any server. Single-process only; production requires DATABASE_URL.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  mkdirSync(dataDir, { recursive: true })
  const db = await PGlite.create(join(dataDir, 'pglite'))
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: EMBEDDED_MAX_CONNECTIONS })
  await server.start()
  return {
    url: `postgresql://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    async stop() {
      await server.stop()
      await db.close()
    },
  }
}
