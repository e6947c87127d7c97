import { type RequestHandler, Router } from 'express'
import { ZOpenDirect } from '../contract/directs'
import { ZRoomParams } from '../contract/rooms'
import { parseInput } from '../http/validate'
import type { Directs } from './directs.service'

/**
 * `/api/dms`: list your conversations, open one (201 when it is new, 200 when it existed), close one.
 * Its messages, history and live events are the room routes and events of its room id.
 */
export function directsRoutes({ directs, requireUser }: { directs: Directs; requireUser: RequestHandler }): Router {
  const router = Router()

  router.get('/', requireUser, async (req, res) => {
    res.json({ conversations: await directs.list(req.viewer) })
  })

  router.post('/', requireUser, async (req, res) => {
    const { usernames } = parseInput(ZOpenDirect, req.body)
    const { conversation, created } = await directs.open(req.viewer, usernames)
    res.status(created ? 201 : 200).json({ conversation })
  })

  router.post('/:id/close', requireUser, async (req, res) => {
    const { id } = parseInput(ZRoomParams, req.params)
    await directs.close(req.viewer, id)
    res.status(204).end()
  })

  return router
}
