import type { RequestHandler } from 'express'
import { ZMarkRead } from '../contract/unread'
import type { Feature } from '../feature'
import { roomReadRoutes, unreadRoutes } from './unread.routes'
import type { UnreadService } from './unread.service'

/**
 * Unread counts, read pointers, mentions and receipts (issue 18): `GET /api/unread`, `/api/read-settings`,
 * `POST /api/rooms/:id/read`, `PATCH /api/rooms/:id/notify`, `GET /api/rooms/:id/receipts`, `read:mark`.
 */
export function unreadFeature(deps: { unread: UnreadService; requireUser: RequestHandler }): Feature {
  const { unread } = deps
  return {
    name: 'unread',
    routes: (api) => {
      api.use('/', unreadRoutes(deps))
      api.use('/rooms/:id', roomReadRoutes(deps))
    },
    sockets: (handlers) => {
      handlers.route('read:mark', ZMarkRead, (socket, input) => unread.mark(socket.data.viewer, input))
    },
  }
}
