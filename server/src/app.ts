import { existsSync } from 'node:fs'
import { createServer, type Server as HttpServer } from 'node:http'
import { resolve } from 'node:path'
import type { PrismaClient } from '@prisma/client'
import { createShardedAdapter } from '@socket.io/redis-adapter'
import express from 'express'
import type { RedisClientType } from 'redis'
import { authRoutes } from './auth/auth.routes'
import { createAuthService } from './auth/auth.service'
import { createRestAuth } from './auth/passport'
import { createPasswords } from './auth/passwords'
import { createTokens } from './auth/tokens'
import type { Config } from './config/env'
import { apiNotFound, errorHandler } from './http/error-handler'
import { httpBasics, spa } from './http/middleware'
import type { Logger } from './lib/logger'
import { registerMessageHandlers } from './messages/messages.handlers'
import { messagesRoutes } from './messages/messages.routes'
import { createMessagesService } from './messages/messages.service'
import { createRedisPresenceStore } from './presence/presence.redis'
import { createPresence } from './presence/presence.service'
import { createMemoryPresenceStore } from './presence/presence.store'
import { roomIdOfChannel } from './realtime/channels'
import { createFanout } from './realtime/fanout'
import { attachSession, createIo } from './realtime/io'
import type { AppServer } from './realtime/io.types'
import { createRoomPresence } from './realtime/room-presence'
import { registerRoomHandlers } from './rooms/rooms.handlers'
import { roomsRoutes } from './rooms/rooms.routes'
import { createRoomsService } from './rooms/rooms.service'
import { usersRoutes } from './users/users.routes'

type Redis = RedisClientType

/** Redis connections: commands, presence subscriptions, and the adapter's subscriber. */
export type RedisClients = { client: Redis; subscriber: Redis; adapterSubscriber: Redis }

export type AppDeps = { config: Config; prisma: PrismaClient; redis: RedisClients | null; log: Logger }

export type App = {
  /** The Express application (tests walk its routes). */
  express: express.Express
  httpServer: HttpServer
  io: AppServer
  /** Starts presence and listens; resolves with the bound port. */
  listen(): Promise<number>
  /** Stops accepting, finishes in-flight sends, closes every socket. Does not close Prisma or Redis. */
  shutdown(): Promise<void>
}

/** Wires services, REST routes and Socket.IO handlers. Used by main.ts and by the tests (port 0). */
export function createApp({ config, prisma, redis, log }: AppDeps): App {
  const passwords = createPasswords({ cost: config.BCRYPT_COST })
  const tokens = createTokens({
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    userTtlSeconds: config.JWT_TTL_SECONDS,
    guestTtlSeconds: config.GUEST_TTL_SECONDS,
  })
  const auth = createAuthService({ prisma, passwords, tokens })

  const app = express()
  const httpServer = createServer(app)
  const io = createIo(httpServer, { tokens, auth, corsOrigins: config.CORS_ORIGINS, log })
  if (redis) {
    // Sharded pub/sub (Redis 7); "static" puts every broadcast of the namespace on one channel, so
    // a socketsLeave and a later message broadcast reach other instances in the order they were sent.
    io.adapter(
      createShardedAdapter(redis.client, redis.adapterSubscriber, {
        channelPrefix: `${config.REDIS_PREFIX}:sio`,
        subscriptionMode: 'static',
      }),
    )
  }

  if (redis) {
    // While Redis was away, broadcasts from other instances could not reach this instance's sockets.
    // When it is back, tell them to fetch what they missed (clients catch up by seq from the API).
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

  const roomPresence = createRoomPresence({ io, log })
  const fanout = createFanout(io, roomPresence)
  const rooms = createRoomsService({ prisma, fanout })
  const messages = createMessagesService({ prisma, fanout })
  const presence = createPresence({
    store: redis
      ? createRedisPresenceStore({
          redis: redis.client,
          subscriber: redis.subscriber,
          prefix: config.REDIS_PREFIX,
          instanceId: config.instanceId,
          ttlMs: config.PRESENCE_TTL_SECONDS * 1000,
        })
      : createMemoryPresenceStore(),
    heartbeatMs: config.PRESENCE_HEARTBEAT_SECONDS * 1000,
    broadcast: (counts) => io.local.emit('presence:changed', counts),
    log,
  })

  // Sends in flight, so shutdown can let them commit and ack before closing sockets.
  const inflight = new Set<Promise<unknown>>()
  const track = <T>(work: Promise<T>): Promise<T> => {
    inflight.add(work)
    work.finally(() => inflight.delete(work)).catch(() => {})
    return work
  }

  io.on('connection', (socket) => {
    const { viewer } = socket.data
    attachSession(socket)
    presence.connected(viewer)
    socket.emit('presence:changed', presence.current())
    registerRoomHandlers(socket, { prisma, messages, roomPresence, log })
    registerMessageHandlers(socket, { messages, log, track })
    socket.on('disconnecting', () => {
      for (const channel of socket.rooms) {
        const roomId = roomIdOfChannel(channel)
        if (roomId) roomPresence.changed(roomId)
      }
    })
    socket.on('disconnect', () => presence.disconnected(viewer))
  })

  let shuttingDown = false
  const { authenticate, requireUser } = createRestAuth({
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    auth,
  })

  httpBasics(app, { log })
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })
  app.get('/readyz', async (_req, res) => {
    const checks = { database: 'ok', redis: redis ? 'ok' : 'not configured' }
    let ready = !shuttingDown
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
      .json({ status: ready ? 'ready' : shuttingDown ? 'shutting down' : 'not ready', checks, mode: config.mode })
  })

  const api = express.Router()
  api.use('/auth', authRoutes({ auth, requireUser, onSessionsRevoked: fanout.sessionsRevoked }))
  api.get('/presence', async (_req, res) => {
    res.json(await presence.counts())
  })
  api.use('/rooms', roomsRoutes({ rooms, authenticate, requireUser }))
  api.use('/rooms/:id/messages', messagesRoutes({ messages, authenticate, requireUser }))
  api.use('/users', usersRoutes({ prisma, requireUser }))
  api.use(apiNotFound)
  app.use('/api', api)

  const webDist = resolve(config.WEB_DIST_DIR)
  if (existsSync(resolve(webDist, 'index.html'))) spa(app, webDist)
  app.use(errorHandler(log))

  return {
    express: app,
    httpServer,
    io,
    async listen() {
      await presence.start()
      await new Promise<void>((done, fail) => {
        httpServer.once('error', fail)
        httpServer.listen(config.PORT, config.HOST, () => done())
      })
      const address = httpServer.address()
      return typeof address === 'object' && address ? address.port : config.PORT
    },
    async shutdown() {
      shuttingDown = true
      httpServer.close() // no new connections; open sockets stay until io.close()
      await Promise.allSettled([...inflight])
      roomPresence.stop()
      await presence.stop()
      await io.close()
      httpServer.closeAllConnections()
    },
  }
}
