import type { Server as HttpServer, IncomingMessage } from 'node:http'
import { Server } from 'socket.io'
import type { AuthService } from '../auth/auth.service'
import type { Tokens } from '../auth/tokens'
import { ERROR_CODES } from '../contract/errors'
import type { Viewer } from '../contract/events'
import { toAppError } from '../lib/app-error'
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
    log,
  }: { tokens: Tokens; auth: AuthService; corsOrigins: readonly string[]; log: Logger },
): AppServer {
  const io: AppServer = new Server(httpServer, {
    maxHttpBufferSize: MAX_FRAME_BYTES,
    // WebSocket first; long-polling stays as a fallback (it needs sticky sessions, see README).
    transports: ['websocket', 'polling'],
    allowRequest: (req, callback) => callback(null, isAllowedOrigin(req, corsOrigins)),
    cors: { origin: corsOrigins.length > 0 ? [...corsOrigins] : false, credentials: false },
    serveClient: false,
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
