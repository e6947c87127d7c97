import type { PrismaClient } from '@prisma/client'
import type { Express } from 'express'
import type { Config } from '../config/env'
import type { RedisClients } from '../db/redis'
import type { Metrics } from '../metrics/metrics'

/**
 * What operators and Kubernetes probe: `/healthz` (the process is alive), `/readyz` (PostgreSQL and
 * Redis answer, and the instance is not shutting down) and `/metrics` (Prometheus).
 */
export function operationsRoutes(
  app: Express,
  {
    prisma,
    redis,
    metrics,
    mode,
    shuttingDown,
  }: {
    prisma: PrismaClient
    redis: RedisClients | null
    metrics: Metrics
    mode: Config['mode']
    shuttingDown: () => boolean
  },
) {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType)
    res.send(await metrics.registry.metrics())
  })
  app.get('/readyz', async (_req, res) => {
    const checks = { database: 'ok', redis: redis ? 'ok' : 'not configured' }
    let ready = !shuttingDown()
    try {
      await prisma.$queryRaw`SELECT 1`
    } catch {
      checks.database = 'unreachable'
      ready = false
    }
    if (redis) {
      try {
        await redis.client.ping()
      } catch {
        checks.redis = 'unreachable'
        ready = false
      }
    }
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : shuttingDown() ? 'shutting down' : 'not ready', checks, mode })
  })
}
