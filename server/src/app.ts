import { existsSync } from 'node:fs'
import { createServer, type Server as HttpServer } from 'node:http'
import { resolve } from 'node:path'
import type { PrismaClient } from '@prisma/client'
import express from 'express'
import type pg from 'pg'
import { authFeature } from './auth/auth.feature'
import { createAuthService } from './auth/auth.service'
import { createRestAuth } from './auth/passport'
import { createPasswords } from './auth/passwords'
import { createTokens } from './auth/tokens'
import { createViewerCache } from './auth/viewer-cache'
import { createPageCache } from './messages/page-cache'
import type { Config } from './config/env'
import type { Feature } from './feature'
import type { RedisClients } from './db/redis'
import { directsFeature } from './directs/directs.feature'
import { createDirects } from './directs/directs.service'
import { apiNotFound, errorHandler } from './http/error-handler'
import { clientIpResolver, httpBasics, spa } from './http/middleware'
import { operationsRoutes } from './http/operations'
import type { Logger } from './lib/logger'
import { createLimits } from './limits/limits'
import { createWriterFence } from './messages/fence'
import { messagesFeature } from './messages/messages.feature'
import { createMessagesService } from './messages/messages.service'
import { createMetrics } from './metrics/metrics'
import { createRedisPresenceStore } from './presence/presence.redis'
import { presenceFeature } from './presence/presence.feature'
import { createPresence } from './presence/presence.service'
import { createMemoryPresenceStore } from './presence/presence.store'
import { profilesFeature } from './profiles/profiles.feature'
import { createProfiles } from './profiles/profiles.service'
import { roomIdOfChannel } from './realtime/channels'
import { createHandlers } from './realtime/handler'
import { createIo } from './realtime/io'
import type { AppServer, AppSocket } from './realtime/io.types'
import { createPush } from './realtime/push'
import { useRedisAdapter } from './realtime/redis-adapter'
import { createRoomPresence } from './realtime/room-presence'
import { createSessions } from './realtime/sessions'
import { reactionsFeature } from './reactions/reactions.feature'
import { createReactionsService } from './reactions/reactions.service'
import { roomsFeature } from './rooms/rooms.feature'
import { createRoomsService } from './rooms/rooms.service'
import { usersFeature } from './users/users.feature'
import { commandsFeature } from './commands/commands.feature'
import { createCommandsService } from './commands/commands.service'
import { ephemeralFeature } from './ephemeral/ephemeral.feature'
import { createEphemeralService } from './ephemeral/ephemeral.service'
import { escalationsFeature } from './escalations/escalations.feature'
import { createEscalationsService } from './escalations/escalations.service'
import { createFiltersService } from './search/filters.service'
import { createImages } from './uploads/images'
import { createLinks } from './uploads/links'
import { createStorage } from './uploads/storage'
import { uploadsFeature } from './uploads/uploads.feature'
import { createUploadsService } from './uploads/uploads.service'
import { searchFeature } from './search/search.feature'
import { createSearchService } from './search/search.service'
import { unreadFeature } from './unread/unread.feature'
import { createUnreadService } from './unread/unread.service'

export type { RedisClients }

export type AppDeps = { config: Config; prisma: PrismaClient; pool: pg.Pool; redis: RedisClients | null; log: Logger }

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
export function createApp({ config, prisma, pool, redis, log }: AppDeps): App {
  const passwords = createPasswords({ cost: config.BCRYPT_COST, concurrency: config.BCRYPT_CONCURRENCY })
  const tokens = createTokens({
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    userTtlSeconds: config.JWT_TTL_SECONDS,
    guestTtlSeconds: config.GUEST_TTL_SECONDS,
  })
  // The user lookup of every handshake and REST request, cached per instance and invalidated on
  // every instance through Redis; push is created below (it cuts the sockets a change revokes).
  // The newest page of history of busy rooms, served by rev (messages/page-cache.ts).
  const pageCache = createPageCache()
  const viewers = createViewerCache({
    redis,
    prefix: config.REDIS_PREFIX,
    revoke: (userId, minTokenVersion) => push.sessionsRevokedLocally(userId, minTokenVersion),
    // Pages of history show their authors' names, emails and pictures (issue 23).
    usersChanged: () => pageCache.authorChanged(),
    log,
  })
  // reactions is created below; an account's deletion takes its votes and reactions back first.
  const auth = createAuthService({
    prisma,
    passwords,
    tokens,
    viewers,
    beforeAccountDeleted: (userId) => reactions.withdrawAll(userId),
  })

  const metrics = createMetrics(config.instanceId)
  const limits = createLimits({
    redis: redis?.client ?? null,
    prefix: config.REDIS_PREFIX,
    scale: config.RATE_LIMIT_SCALE,
    onLimited: (name) => metrics.rateLimited.inc({ limit: name }),
  })
  const handlers = createHandlers({ log, metrics })

  const app = express()
  const httpServer = createServer(app)
  httpBasics(app, { log })
  const io = createIo(httpServer, {
    tokens,
    auth,
    corsOrigins: config.CORS_ORIGINS,
    clientIp: clientIpResolver(app),
    maxConnectionsPerIp: config.MAX_CONNECTIONS_PER_IP,
    log,
  })
  // push is created below; the adapter calls back only when a Redis link comes back.
  if (redis) useRedisAdapter(io, { redis, prefix: config.REDIS_PREFIX, syncRequired: (s) => push.syncRequired(s), log })

  // roomPresence is called only after both exist (when a room loses people).
  const push = createPush(io, { accessRevoked: (roomId) => roomPresence.accessRevoked(roomId) })
  const roomPresence = createRoomPresence({ io, push, log })
  const unread = createUnreadService({ prisma, pool, push, limits, log }) // issue 18
  const messages = createMessagesService({
    prisma,
    pool,
    push,
    pageCache,
    limits,
    editWindowSeconds: config.MESSAGE_EDIT_WINDOW_SECONDS,
    maxAttachments: config.UPLOAD_MAX_PER_MESSAGE,
    onStored: (message, authorPointer) => {
      metrics.messagesSent.inc()
      directs.messageStored(message) // issue 19: a closed direct conversation reappears
      unread.messageStored(message, authorPointer) // issue 18: mentions, the author's pointer, followers' badges
    },
    onEdited: (message) => unread.messageEdited(message),
    onDeleted: (message) => {
      unread.messageDeleted(message)
      void uploads.messageDeleted(message.id) // issue 21: its files go too
    },
  })
  const reactions = createReactionsService({ pool, push, limits }) // votes and reactions (issue 16)
  const rooms = createRoomsService({
    prisma,
    push,
    notice: (roomId, notice) =>
      messages.notice(roomId, notice).catch((err: unknown) => log.error({ err, roomId }, 'system notice not stored')),
    onAdmitted: (roomId, userId) => unread.admitted(roomId, userId),
  })
  // Ephemeral messages, escalations and slash commands (issue 20).
  const ephemeral = createEphemeralService({ prisma, push, limits })
  const escalations = createEscalationsService({ prisma, pool, messages, push })
  const commands = createCommandsService({ prisma, limits, messages, ephemeral, escalations, roomPresence })

  const presence = createPresence({
    store: redis
      ? createRedisPresenceStore({
          redis: redis.client,
          subscriber: redis.subscriber,
          prefix: config.REDIS_PREFIX,
          instanceId: config.incarnation,
          ttlMs: config.PRESENCE_TTL_SECONDS * 1000,
          fence: createWriterFence({ pool, log }),
        })
      : createMemoryPresenceStore(),
    heartbeatMs: config.PRESENCE_HEARTBEAT_SECONDS * 1000,
    broadcast: (counts) => push.presenceChanged(counts),
    onUsersChanged: (userIds) => profiles.presenceChanged(userIds), // issue 19: online dots
    onInstanceLost: () => {
      roomPresence.refreshLocalRooms()
      // The dead instance may have stored messages (and acked some) that it never broadcast: every
      // instance tells its own clients to catch up from history.
      log.info('an instance was reaped: asking local clients to catch up')
      push.syncRequired('local')
    },
    log,
  })

  // Issue 19: profiles (their presence comes from `presence`) and direct conversations.
  const profiles = createProfiles({
    prisma,
    pool,
    push,
    online: (ids) => presence.online(ids),
    changed: (userId) => viewers.changed({ userId }),
    log,
  })
  const directs = createDirects({ prisma, pool, push, profiles, log })
  // Issue 21: uploads (in the database, or an S3-compatible store), thumbnails, signed links, pictures.
  const uploads = createUploadsService({
    prisma,
    pool,
    storage: createStorage(config, pool),
    images: createImages({
      maxPixels: config.UPLOAD_MAX_PIXELS,
      concurrency: config.IMAGE_CONCURRENCY,
      cpuShare: config.IMAGE_CPU_SHARE,
    }),
    links: createLinks({ secret: config.JWT_SECRET, ttlSeconds: config.FILE_LINK_TTL_SECONDS }),
    limits,
    log,
    maxBytes: config.UPLOAD_MAX_BYTES,
    maxPerMessage: config.UPLOAD_MAX_PER_MESSAGE,
    maxPixels: config.UPLOAD_MAX_PIXELS,
    unattachedTtlSeconds: config.UPLOAD_UNATTACHED_TTL_SECONDS,
    sweepSeconds: config.UPLOAD_SWEEP_SECONDS,
    avatarChanged: (userId, avatarId) => profiles.setAvatar(userId, avatarId),
  })
  // Sends in flight, so shutdown can let them commit and ack before closing sockets.
  const inflight = new Set<Promise<unknown>>()
  const track = <T>(work: Promise<T>): Promise<T> => {
    inflight.add(work)
    work.finally(() => inflight.delete(work)).catch(() => {})
    return work
  }

  // What a connection gets is set up once here and shared: listeners are plain functions Socket.IO
  // calls with the socket as `this`, so a socket costs listener slots, not closures (issue 8:
  // memory per idle connection).
  const sessions = createSessions({ sessionExpired: push.sessionExpired })
  const countDelivered = (event: string) => {
    if (event === 'message:created') metrics.messagesDelivered.inc()
  }
  function onDisconnecting(this: AppSocket) {
    for (const channel of this.rooms) {
      const roomId = roomIdOfChannel(channel)
      if (roomId) roomPresence.changed(roomId)
    }
  }
  function onDisconnect(this: AppSocket) {
    const { viewer } = this.data
    sessions.detach(this)
    presence.disconnected(viewer)
    metrics.sockets.dec({ kind: viewer.kind })
  }

  io.on('connection', (socket) => {
    const { viewer } = socket.data
    sessions.attach(socket)
    presence.connected(viewer)
    metrics.sockets.inc({ kind: viewer.kind })
    push.presenceChanged(presence.current(), socket)
    handlers.attach(socket) // routes the socket's events; counts unknown events
    socket.onAnyOutgoing(countDelivered)
    socket.on('disconnecting', onDisconnecting)
    socket.on('disconnect', onDisconnect)
  })

  let shuttingDown = false

  operationsRoutes(app, { prisma, redis, metrics, mode: config.mode, shuttingDown: () => shuttingDown })

  // Each feature mounts its REST routes and registers its socket events (one router shared by every
  // socket, see handlers.route); the server refuses to start if a contract event has no route.
  const { authenticate, requireUser } = createRestAuth({
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    auth,
  })
  const features: Feature[] = [
    authFeature({ auth, requireUser, limits, onSessionsRevoked: push.sessionsRevoked }),
    presenceFeature({ presence }),
    roomsFeature({
      prisma,
      rooms,
      messages,
      roomPresence,
      push,
      limits,
      authenticate,
      requireUser,
      onOpened: (viewer, roomId) => unread.opened(viewer, roomId),
    }),
    messagesFeature({ messages, authenticate, requireUser, track }),
    usersFeature({ prisma, requireUser }),
    ephemeralFeature({ ephemeral }),
    escalationsFeature({ escalations, authenticate, requireUser }),
    commandsFeature({ commands, requireUser, track }),
    // Search (issue 17)
    searchFeature({
      prisma,
      search: createSearchService({ prisma, pool, limits }),
      filters: createFiltersService({ prisma, push }),
      limits,
      authenticate,
      requireUser,
    }),
    profilesFeature({ profiles, requireUser }), // issue 19
    directsFeature({ directs, requireUser }), // issue 19
    reactionsFeature({ reactions, requireUser, track }),
    unreadFeature({ unread, requireUser }), // issue 18
    uploadsFeature({ uploads, authenticate, requireUser }), // issue 21
  ]
  const api = express.Router()
  for (const feature of features) {
    feature.routes?.(api)
    feature.sockets?.(handlers)
  }
  handlers.assertComplete()
  api.use(apiNotFound)
  app.use('/api', api)

  const webDist = resolve(config.WEB_DIST_DIR)
  if (existsSync(resolve(webDist, 'index.html'))) spa(app, webDist)
  app.use(errorHandler(log, metrics))

  return {
    express: app,
    httpServer,
    io,
    async listen() {
      await viewers.start()
      await presence.start()
      uploads.start()
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
      uploads.stop()
      await presence.stop()
      await io.close()
      httpServer.closeAllConnections()
      await passwords.close()
    },
  }
}
