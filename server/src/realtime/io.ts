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

/**
 * Joins instances through Redis sharded pub/sub (Redis 7). "static" puts every broadcast of the
 * namespace on one channel, so a socketsLeave and a later message broadcast reach other instances in
 * the order they were sent.
 *
 * Redis pub/sub keeps nothing, so a broken link loses broadcasts in whichever direction was down, and
 * nobody can tell which rooms they were for. When the link is back, the clients that may have missed
 * something are told to fetch it from history (`sync:required`, which they answer by reading every
 * room they show after their last contiguous seq):
 * - this instance's subscription was down: broadcasts from the others never reached its own sockets,
 *   so its own sockets are told;
 * - its publishing connection was down: the messages it stored and acked meanwhile reached only its
 *   own sockets, so every socket of every instance is told (one broadcast through the adapter).
 */
export function useRedisAdapter(
  io: AppServer,
  {
    redis,
    prefix,
    syncRequired,
    log,
  }: { redis: RedisClients; prefix: string; syncRequired: (scope: 'local' | 'cluster') => void; log: Logger },
) {
  io.adapter(
    createShardedAdapter(redis.client, redis.adapterSubscriber, {
      channelPrefix: `${prefix}:sio`,
      subscriptionMode: 'static',
    }),
  )
  onRecovered(redis.adapterSubscriber, () => {
    log.info('redis subscription is back: asking local clients to catch up')
    syncRequired('local')
  })
  onRecovered(redis.client, () => {
    log.info('redis publishing is back: asking every client of every instance to catch up')
    syncRequired('cluster')
  })
}

/** Calls `recovered` each time `client` is ready again after losing its connection (not on the first connect). */
function onRecovered(client: RedisClients['client'], recovered: () => void) {
  let down = false
  const markDown = () => {
    down = true
  }
  client.on('error', markDown)
  client.on('reconnecting', markDown)
  // node-redis emits 'ready' only after the resubscriptions were answered: nothing is missed after it.
  client.on('ready', () => {
    if (!down) return
    down = false
    recovered()
  })
}

/**
 * Per-socket plumbing every feature relies on: the user channel and the token-expiry cut. One timer
 * per instance, armed for the earliest expiry, rather than one per socket (a Timeout, its closures and
 * often a timer list of its own: about 0.7 kB per socket in heap snapshots). A socket costs one Map
 * entry. Call `detach` when the socket disconnects.
 */
export function createSessions({ sessionExpired }: { sessionExpired: (socket: AppSocket) => void }) {
  /** Sockets whose token expires, with when (epoch ms). */
  const expiries = new Map<AppSocket, number>()
  let timer: NodeJS.Timeout | undefined
  let timerAt = Number.POSITIVE_INFINITY

  function stopTimer() {
    clearTimeout(timer)
    timer = undefined
    timerAt = Number.POSITIVE_INFINITY
  }

  function arm(at: number) {
    if (at >= timerAt) return
    clearTimeout(timer)
    timerAt = at
    // setTimeout cannot wait longer than MAX_TIMER_MS; the sweep then finds nothing due and re-arms.
    timer = setTimeout(sweep, Math.min(Math.max(0, at - Date.now()), MAX_TIMER_MS))
    timer.unref()
  }

  // Token expiries are whole seconds, so one sweep ends every socket due in that second. It walks
  // every entry (~0.15 ms per 10,000 sockets) and runs at most once per distinct expiry second.
  function sweep() {
    stopTimer()
    const now = Date.now()
    let next = Number.POSITIVE_INFINITY
    for (const [socket, at] of expiries) {
      if (at <= now) {
        expiries.delete(socket)
        sessionExpired(socket)
      } else if (at < next) next = at
    }
    if (next < Number.POSITIVE_INFINITY) arm(next)
  }

  return {
    /** On connection: joins the user channel and schedules the cut at token expiry. */
    attach(socket: AppSocket) {
      const { viewer, tokenExp } = socket.data
      if (viewer.kind === 'user') void socket.join(userChannel(viewer.id))
      if (tokenExp !== null) {
        expiries.set(socket, tokenExp * 1000)
        arm(tokenExp * 1000)
      }
    },
    /** On disconnect: forgets the socket. */
    detach(socket: AppSocket) {
      if (expiries.delete(socket) && expiries.size === 0) stopTimer()
    },
  }
}

function handshakeError(err: unknown): Error & { data?: unknown } {
  const appError = toAppError(err)
  const error: Error & { data?: unknown } = new Error(appError.code)
  error.data = { code: appError.code, message: ERROR_CODES[appError.code] }
  return error
}
