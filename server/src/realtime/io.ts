import type { Server as HttpServer, IncomingMessage } from 'node:http'
import { createShardedAdapter } from '@socket.io/redis-adapter'
import { Server } from 'socket.io'
import type { RedisClients } from '../app'
import type { AuthService } from '../auth/auth.service'
import type { Tokens } from '../auth/tokens'
import { ERROR_CODES } from '../contract/errors'
import type { Viewer } from '../contract/events'
import { AppError, toAppError } from '../lib/app-error'
import type { Logger } from '../lib/logger'
import { userChannel } from './channels'
import type { AppServer, AppSocket } from './io.types'

/** Socket.IO frames larger than this are refused (the connection is closed). */
export const MAX_FRAME_BYTES = 64 * 1024
const MAX_TIMER_MS = 2_147_483_647

/**
 * Browser origins allowed to open a socket: the server's own host plus CORS_ORIGINS. Requests without
 * an Origin header (non-browser clients) are allowed; a browser on another site is refused, which
 * stops cross-site WebSocket hijacking.
 */
export function isAllowedOrigin(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin
  if (!origin) return true
  if (allowed.includes(origin)) return true
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}

/** Creates the typed Socket.IO server with handshake authentication. Feature handlers attach in `onConnection`. */
export function createIo(
  httpServer: HttpServer,
  {
    tokens,
    auth,
    corsOrigins,
    clientIp,
    maxConnectionsPerIp,
    log,
  }: {
    tokens: Tokens
    auth: AuthService
    corsOrigins: readonly string[]
    clientIp: (req: IncomingMessage) => string
    /** 0 = no cap. */
    maxConnectionsPerIp: number
    log: Logger
  },
): AppServer {
  const io: AppServer = new Server(httpServer, {
    maxHttpBufferSize: MAX_FRAME_BYTES,
    // WebSocket first; long-polling stays as a fallback (it needs sticky sessions, see README).
    transports: ['websocket', 'polling'],
    allowRequest: (req, callback) => callback(null, isAllowedOrigin(req, corsOrigins)),
    cors: { origin: corsOrigins.length > 0 ? [...corsOrigins] : false, credentials: false },
    serveClient: false,
  })

  // Per-address connection cap (per instance: connections are an instance's resource).
  const perIp = new Map<string, number>()
  io.use((socket, next) => {
    const ip = clientIp(socket.request)
    if (maxConnectionsPerIp > 0 && (perIp.get(ip) ?? 0) >= maxConnectionsPerIp) {
      return next(handshakeError(new AppError('rate_limited', { message: 'Too many connections from your address.' })))
    }
    next()
  })
  io.on('connection', (socket) => {
    const ip = clientIp(socket.request)
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1)
    socket.on('disconnect', () => {
      const left = (perIp.get(ip) ?? 1) - 1
      if (left > 0) perIp.set(ip, left)
      else perIp.delete(ip)
    })
  })

  // Handshake: a user token → user; a guest token → that guest; no token → an anonymous guest.
  // A token that is present but bad (expired, forged, revoked) is refused rather than downgraded.
  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth?.token
    if (token === undefined || token === null || token === '') {
      socket.data.viewer = { kind: 'guest', id: `anon-${socket.id}` }
      socket.data.tokenExp = null
      return next()
    }
    let claims: ReturnType<Tokens['verify']>
    try {
      claims = tokens.verify(token as string)
    } catch (err) {
      return next(handshakeError(err))
    }
    auth.resolveViewer(claims).then(
      (viewer: Viewer) => {
        socket.data.viewer = viewer
        socket.data.tokenExp = claims.exp
        next()
      },
      (err: unknown) => {
        const appError = toAppError(err)
        if (appError.code === 'internal' || appError.code === 'unavailable') log.error({ err }, 'handshake failed')
        next(handshakeError(err))
      },
    )
  })

  return io
}

/**
 * Joins instances through Redis sharded pub/sub (Redis 7). "static" puts every broadcast of the
 * namespace on one channel, so a socketsLeave and a later message broadcast reach other instances in
 * the order they were sent. While Redis is away, broadcasts from other instances cannot reach this
 * instance's sockets; when it is back, they are told to fetch what they missed (`sync:required`).
 */
export function useRedisAdapter(
  io: AppServer,
  { redis, prefix, log }: { redis: RedisClients; prefix: string; log: Logger },
) {
  io.adapter(
    createShardedAdapter(redis.client, redis.adapterSubscriber, {
      channelPrefix: `${prefix}:sio`,
      subscriptionMode: 'static',
    }),
  )
  let redisDown = false
  const markDown = () => {
    redisDown = true
  }
  redis.adapterSubscriber.on('error', markDown)
  redis.adapterSubscriber.on('reconnecting', markDown)
  redis.adapterSubscriber.on('ready', () => {
    if (!redisDown) return
    redisDown = false
    log.info('redis is back: asking local clients to catch up')
    io.local.emit('sync:required')
  })
}

/** Per-socket plumbing every feature relies on: the user channel and the token-expiry cut. */
export function attachSession(socket: AppSocket): void {
  const { viewer, tokenExp } = socket.data
  if (viewer.kind === 'user') void socket.join(userChannel(viewer.id))
  if (tokenExp !== null) {
    let timer: NodeJS.Timeout | undefined
    const scheduleCut = () => {
      const ms = tokenExp * 1000 - Date.now()
      if (ms > MAX_TIMER_MS) {
        timer = setTimeout(scheduleCut, MAX_TIMER_MS) // setTimeout cannot wait longer; check again then
        return
      }
      timer = setTimeout(
        () => {
          socket.emit('session:ended', { reason: 'expired' })
          socket.disconnect(true)
        },
        Math.max(0, ms),
      )
    }
    scheduleCut()
    socket.on('disconnect', () => clearTimeout(timer))
  }
}

function handshakeError(err: unknown): Error & { data?: unknown } {
  const appError = toAppError(err)
  const error: Error & { data?: unknown } = new Error(appError.code)
  error.data = { code: appError.code, message: ERROR_CODES[appError.code] }
  return error
}
