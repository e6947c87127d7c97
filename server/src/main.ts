// Composition root: config → database (+ migrations) → Redis → app → listen; SIGTERM → graceful stop.
import { hostname } from 'node:os'
import { createApp } from './app'
import { ConfigError, loadConfig } from './config/env'
import { EMBEDDED_POOL_SIZE, startEmbeddedPostgres } from './db/embedded'
import { migrateDeploy } from './db/migrate'
import { createDatabase } from './db/prisma'
import { connectRedis } from './db/redis'
import { createLogger } from './lib/logger'

async function main() {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig(process.env, { instanceId: `${hostname()}-${process.pid}` })
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
  const log = createLogger({ level: config.LOG_LEVEL, instanceId: config.instanceId })

  const embedded = config.DATABASE_URL ? null : await startEmbeddedPostgres(config.DATA_DIR)
  const databaseUrl = config.DATABASE_URL ?? (embedded?.url as string)
  log.info(
    { database: config.mode.database, redis: config.mode.redis },
    `storage: ${embedded ? `embedded PGlite in ${config.DATA_DIR} (development only)` : 'PostgreSQL'}; ` +
      `${config.REDIS_URL ? 'Redis (multi-instance)' : 'in-memory presence and adapter (single instance)'}`,
  )
  if (config.MIGRATE_ON_START) {
    await migrateDeploy(databaseUrl, process.env)
    log.info('migrations applied')
  }

  const { prisma, pool } = createDatabase({
    url: databaseUrl,
    poolSize: embedded ? EMBEDDED_POOL_SIZE : config.DATABASE_POOL_SIZE,
    applicationName: config.incarnation,
  })
  const redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL, log) : null
  const app = createApp({ config, prisma, pool, redis, log })
  const port = await app.listen()
  log.info({ port }, `Parlor listening on http://localhost:${port}`)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down')
    const deadline = setTimeout(() => {
      log.error('shutdown timed out; exiting')
      process.exit(1)
    }, config.SHUTDOWN_TIMEOUT_MS)
    deadline.unref()
    try {
      await app.shutdown()
      await prisma.$disconnect()
      if (redis)
        await Promise.allSettled([redis.client.quit(), redis.subscriber.quit(), redis.adapterSubscriber.quit()])
      await embedded?.stop()
      log.info('stopped')
      process.exit(0)
    } catch (err) {
      log.error({ err }, 'shutdown failed')
      process.exit(1)
    }
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'))
}

main().catch((err) => {
  process.stderr.write(`Parlor failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
