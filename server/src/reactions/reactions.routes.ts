import { type RequestHandler, Router } from 'express'
import { z } from 'zod'
import { ZReactMessage, ZVoteMessage } from '../contract/reactions'
import { ZId } from '../contract/text'
import { parseInput } from '../http/validate'
import type { ReactionsService } from './reactions.service'

const ZMessageParams = z.object({ id: ZId, messageId: ZId })
const bodyOf = (body: unknown) => (typeof body === 'object' && body !== null ? body : {})

/** Mounted at /api/rooms/:id/messages/:messageId: the REST faces of `message:vote` and `message:react`. */
export function reactionsRoutes({
  reactions,
  requireUser,
}: {
  reactions: ReactionsService
  requireUser: RequestHandler
}): Router {
  const router = Router({ mergeParams: true })

  /** Same schema as `message:vote`: `{ vote: 'up' | 'down' }`, a toggle. */
  router.post('/vote', requireUser, async (req, res) => {
    const { id, messageId } = parseInput(ZMessageParams, req.params)
    res.json(await reactions.vote(req.viewer, parseInput(ZVoteMessage, { ...bodyOf(req.body), roomId: id, messageId })))
  })

  /** Same schema as `message:react`: `{ emoji }`, a toggle. */
  router.post('/reactions', requireUser, async (req, res) => {
    const { id, messageId } = parseInput(ZMessageParams, req.params)
    res.json(
      await reactions.react(req.viewer, parseInput(ZReactMessage, { ...bodyOf(req.body), roomId: id, messageId })),
    )
  })

  return router
}
