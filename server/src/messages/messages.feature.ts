import type { RequestHandler } from 'express'
import type { Feature } from '../feature'
import { registerMessageHandlers } from './messages.handlers'
import { changesRoutes, messagesRoutes } from './messages.routes'
import type { MessagesService } from './messages.service'

/** /api/rooms/:id/messages and /changes, and `message:send`, `message:edit`, `message:delete`. */
export function messagesFeature(deps: {
  messages: MessagesService
  authenticate: RequestHandler
  requireUser: RequestHandler
  /** Counts the work in flight, so shutdown waits for it. */
  track: <T>(work: Promise<T>) => Promise<T>
}): Feature {
  return {
    name: 'messages',
    routes: (api) => {
      api.use('/rooms/:id/messages', messagesRoutes(deps))
      api.use('/rooms/:id/changes', changesRoutes(deps))
    },
    sockets: (handlers) => registerMessageHandlers({ ...deps, handlers }),
  }
}
