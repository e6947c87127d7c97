import { type RequestHandler, Router } from 'express'
import { userOf } from '../auth/passport'
import { ZRoomParams } from '../contract/rooms'
import type { Feature } from '../feature'
import { parseInput } from '../http/validate'
import type { EscalationsService } from './escalations.service'

/**
 * `GET /api/escalations`: the open escalations of the rooms you created (the creator's list);
 * `GET /api/rooms/:id/escalations`: a room's open escalations (its banner), for whoever may read it.
 * Escalations are opened and resolved by the `/escalate` and `/resolve` commands.
 */
export function escalationsFeature({
  escalations,
  authenticate,
  requireUser,
}: {
  escalations: EscalationsService
  authenticate: RequestHandler
  requireUser: RequestHandler
}): Feature {
  return {
    name: 'escalations',
    routes: (api) => {
      const mine = Router()
      mine.get('/', requireUser, async (req, res) => {
        res.json(await escalations.openForCreator(userOf(req)))
      })
      const ofRoom = Router({ mergeParams: true })
      ofRoom.get('/', authenticate, async (req, res) => {
        const { id } = parseInput(ZRoomParams, req.params)
        res.json(await escalations.openInRoom(req.viewer, id))
      })
      api.use('/escalations', mine)
      api.use('/rooms/:id/escalations', ofRoom)
    },
  }
}
