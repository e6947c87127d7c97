// One database, Redis prefix and production server for the whole run; dropped afterwards.
// Tests that restart a server (restart.spec.ts) start their own on another port, same database.
import type { FullConfig } from '@playwright/test'
import { createDatabase, deleteRedisKeys, dropDatabase } from './support/database'
import { startServer } from './support/server'

export const E2E_PORT = Number(process.env.E2E_PORT ?? 4391)

export default async function globalSetup(_config: FullConfig) {
  const dbName = `parlor_e2e_${process.pid}_${Date.now()}`
  const redisPrefix = `parlor-e2e-${process.pid}-${Date.now()}`
  const databaseUrl = await createDatabase(dbName)
  process.env.E2E_DATABASE_URL = databaseUrl
  process.env.E2E_REDIS_PREFIX = redisPrefix

  let server: Awaited<ReturnType<typeof startServer>> | undefined
  try {
    server = await startServer({ port: E2E_PORT, databaseUrl, redisPrefix, name: 'server' })
  } catch (err) {
    await dropDatabase(dbName)
    throw err
  }

  return async () => {
    await server?.stop()
    await dropDatabase(dbName)
    await deleteRedisKeys(redisPrefix)
  }
}
