import { type RequestHandler, Router } from 'express'
import { ZHistoryQuery, ZSendMessage } from '../contract/messages'
import { ZRoomParams } from '../contract/rooms'
import { parseInput } from '../http/validate'
import type { MessagesService } from './messages.service'

/** Mounted at /api/rooms/:id/messages. */
export function messagesRoutes({
  messages,
  authenticate,
  requireUser,
}: {
  messages: MessagesService
  authenticate: RequestHandler
  requireUser: RequestHandler
}): Router {
  const router = Router({ mergeParams: true })

  router.get('/', authenticate, async (req, res) => {
    const { id } = parseInput(ZRoomParams, req.params)
    res.json(await messages.history(req.viewer, id, parseInput(ZHistoryQuery, req.query)))
  })

  /** Same schema as the `message:send` socket event; the room comes from the path. */
  router.post('/', requireUser, async (req, res) => {
    const { id } = parseInput(ZRoomParams, req.params)
    const body = typeof req.body === 'object' && req.body !== null ? req.body : {}
    const { message, created } = await messages.send(req.viewer, parseInput(ZSendMessage, { ...body, roomId: id }))
    res.status(created ? 201 : 200).json({ message })
  })

  return router
}
