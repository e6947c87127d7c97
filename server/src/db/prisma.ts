import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from '@prisma/client'
import { makePool } from './pg-compat'

/** One PrismaClient per process, created by the composition root and passed to services. */
export function createPrisma({ url, poolSize }: { url: string; poolSize: number }): PrismaClient {
  const pool = makePool(url, {
    max: poolSize,
    allowExitOnIdle: false,
    // Fail fast when PostgreSQL is unreachable instead of queueing sends forever.
    connectionTimeoutMillis: 5_000,
  })
  // A pooled client losing its connection (PostgreSQL restart) emits 'error' on the pool; without a
  // listener that would crash the process. The pool replaces the client on the next query.
  pool.on('error', () => {})
  return new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) })
}

export type { PrismaClient }
