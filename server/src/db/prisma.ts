import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from '@prisma/client'
import type pg from 'pg'
import { makePool } from './pg-compat'

export type Database = {
  prisma: PrismaClient
  /** The pool Prisma's adapter runs on; for the few hot statements that skip Prisma (message-writer.ts). */
  pool: pg.Pool
}

/** One PrismaClient (and its pg pool) per process, created by the composition root and passed to services. */
export function createDatabase({
  url,
  poolSize,
  applicationName,
}: {
  url: string
  poolSize: number
  /** Names the sessions in pg_stat_activity (`config.incarnation`), so a reaped instance's can be ended (messages/fence.ts). */
  applicationName?: string
}): Database {
  const pool = makePool(url, {
    max: poolSize,
    application_name: applicationName,
    allowExitOnIdle: false,
    // Fail fast when PostgreSQL is unreachable instead of queueing sends forever.
    connectionTimeoutMillis: 5_000,
  })
  // A pooled client losing its connection (PostgreSQL restart) emits 'error' on the pool; without a
  // listener that would crash the process. The pool replaces the client on the next query.
  pool.on('error', () => {})
  // disposeExternalPool: prisma.$disconnect() ends the pool too.
  return { prisma: new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) }), pool }
}

export type { PrismaClient }
