import type { PrismaClient } from '@prisma/client'
import type { RequestHandler } from 'express'
import type { Viewer } from '../contract/events'
import type { Feature } from '../feature'
import type { Limits } from '../limits/limits'
import type { MessagesService } from '../messages/messages.service'
import type { Push } from '../realtime/push'
import type { RoomPresence } from '../realtime/room-presence'
import { registerRoomHandlers } from './rooms.handlers'
import { roomsRoutes } from './rooms.routes'
import type { RoomsService } from './rooms.service'

/** /api/rooms (rooms and participants) and `room:join`, `room:leave`, `typing:set`. */
export function roomsFeature(deps: {
  prisma: PrismaClient
  rooms: RoomsService
  messages: MessagesService
  roomPresence: RoomPresence
  push: Push
  limits: Limits
  authenticate: RequestHandler
  requireUser: RequestHandler
  onOpened?: (viewer: Viewer, roomId: string) => Promise<void>
}): Feature {
  return {
    name: 'rooms',
    routes: (api) => api.use('/rooms', roomsRoutes(deps)),
    sockets: (handlers) => registerRoomHandlers({ ...deps, handlers }),
  }
}
