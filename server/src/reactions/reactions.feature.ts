import type { RequestHandler } from 'express'
import { ZReactMessage, ZVoteMessage } from '../contract/reactions'
import type { Feature } from '../feature'
import { reactionsRoutes } from './reactions.routes'
import type { ReactionsService } from './reactions.service'

/**
 * Votes and reactions (issue 16): `POST /api/rooms/:id/messages/:messageId/vote` and `/reactions`,
 * and `message:vote`, `message:react` (acked with the message's new state, your own included).
 */
export function reactionsFeature(deps: {
  reactions: ReactionsService
  requireUser: RequestHandler
  track: <T>(work: Promise<T>) => Promise<T>
}): Feature {
  const { reactions, track } = deps
  return {
    name: 'reactions',
    routes: (api) => {
      api.use('/rooms/:id/messages/:messageId', reactionsRoutes(deps))
    },
    sockets: (handlers) => {
      handlers.route('message:vote', ZVoteMessage, (socket, input) => track(reactions.vote(socket.data.viewer, input)))
      handlers.route('message:react', ZReactMessage, (socket, input) =>
        track(reactions.react(socket.data.viewer, input)),
      )
    },
  }
}
