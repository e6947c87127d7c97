import type { Server as HttpServer, IncomingMessage } from 'node:http'
import { Server } from 'socket.io'
import type { AuthService } from '../auth/auth.service'
import type { Tokens } from '../auth/tokens'
import { ERROR_CODES } from '../contract/errors'
import type { Viewer } from '../contract/events'
import { AppError, toAppError } from '../lib/app-error'
import type { Logger } from '../lib/logger'
import type { AppServer, AppSocket } from './io.types'

/** Socket.IO frames larger than this are refused (the connection is closed). */
export const MAX_FRAME_BYTES = 64 * 1024

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

/**
 * Creates the typed Socket.IO server and decides who may connect: allowed origins, the per-address
 * cap, and the handshake that turns a token into `socket.data.viewer`. The Redis adapter
 * (redis-adapter.ts) and per-socket sessions (sessions.ts) are the other two jobs of the realtime layer.
 */
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
  // One listener function shared by every socket (Socket.IO calls it with the socket as `this`), so
  // a connection costs no closure. clientIp() reads the kept handshake request: same answer twice.
  function leftIp(this: AppSocket) {
    const ip = clientIp(this.request)
    const left = (perIp.get(ip) ?? 1) - 1
    if (left > 0) perIp.set(ip, left)
    else perIp.delete(ip)
  }
  io.on('connection', (socket) => {
    const ip = clientIp(socket.request)
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1)
    socket.on('disconnect', leftIp)
  })

  // Handshake: a user token → user; a guest token → that guest; no token → an anonymous guest.
  // A token that is present but bad (expired, forged, revoked) is refused rather than downgraded.
  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth?.token
    if (token === undefined || token === null || token === '') {
      socket.data.viewer = { kind: 'guest', id: `anon-${socket.id}` }
      socket.data.tokenExp = null
      socket.data.tokenVersion = null
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
        socket.data.tokenVersion = claims.kind === 'user' ? claims.tv : null
        // Socket.IO keeps `handshake.auth` for the socket's lifetime; nothing reads the token again,
        // so do not keep it (~300 bytes per socket, and one credential less in memory).
        socket.handshake.auth = {}
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

function handshakeError(err: unknown): Error & { data?: unknown } {
  const appError = toAppError(err)
  const error: Error & { data?: unknown } = new Error(appError.code)
  error.data = { code: appError.code, message: ERROR_CODES[appError.code] }
  return error
}
