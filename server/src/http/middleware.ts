import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { join } from 'node:path'
import express, { type Express } from 'express'
import helmet from 'helmet'
import { pinoHttp } from 'pino-http'
import type { Logger } from '../lib/logger'

/** Largest JSON body accepted; a 4000-character message is far below it. */
export const JSON_BODY_LIMIT = '32kb'

/** Security headers, request ids and logs, JSON bodies. */
export function httpBasics(app: Express, { log }: { log: Logger }) {
  app.disable('x-powered-by')
  app.set('trust proxy', 'loopback, linklocal, uniquelocal')
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          frameAncestors: ["'none'"],
          formAction: ["'self'"],
        },
      },
    }),
  )
  app.use(
    pinoHttp({
      logger: log,
      genReqId: (_req, res) => {
        const id = randomUUID()
        res.setHeader('X-Request-Id', id)
        return id
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: req.url?.split('?')[0] }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
    }),
  )
  app.use(express.json({ limit: JSON_BODY_LIMIT }))
}

/**
 * The client address of a raw request (Socket.IO handshakes), by the same trust-proxy rule Express
 * uses for `req.ip`: walk X-Forwarded-For from the nearest hop while the hop is a trusted proxy.
 */
export function clientIpResolver(app: Express): (req: IncomingMessage) => string {
  const trust = app.get('trust proxy fn') as (addr: string, i: number) => boolean
  return (req) => {
    const forwarded = String(req.headers['x-forwarded-for'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .reverse()
    const hops = [req.socket.remoteAddress ?? 'unknown', ...forwarded]
    for (let i = 0; i < hops.length - 1; i++) if (!trust(hops[i], i)) return hops[i]
    return hops[hops.length - 1]
  }
}

/** Serves the built web UI and answers unknown non-API paths with index.html (client-side routing). */
export function spa(app: Express, dir: string) {
  app.use(express.static(dir, { index: false, maxAge: '1h' }))
  app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache')
    res.sendFile(join(dir, 'index.html'))
  })
}
