import { type RequestHandler, Router } from 'express'
import { z } from 'zod'
import { ZChangesQuery, ZDeleteMessage, ZEditMessage, ZHistoryQuery, ZSendMessage } from '../contract/messages'
import { ZThreadQuery } from '../contract/reactions'
import { ZId } from '../contract/text'
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

  /** Same schema as `message:edit`; the ids come from the path. */
  router.patch('/:messageId', requireUser, async (req, res) => {
    const { id, messageId } = parseInput(ZMessageParams, req.params)
    const body = typeof req.body === 'object' && req.body !== null ? req.body : {}
    res.json(await messages.edit(req.viewer, parseInput(ZEditMessage, { ...body, roomId: id, messageId })))
  })

  /** A thread (issue 16): its root and its replies after `after` (any message of the thread names it). */
  router.get('/:messageId/thread', authenticate, async (req, res) => {
    const { id, messageId } = parseInput(ZMessageParams, req.params)
    res.json(await messages.thread(req.viewer, id, messageId, parseInput(ZThreadQuery, req.query)))
  })

  /** Same schema as `message:delete`. */
  router.delete('/:messageId', requireUser, async (req, res) => {
    const { id, messageId } = parseInput(ZMessageParams, req.params)
    res.json(await messages.remove(req.viewer, parseInput(ZDeleteMessage, { roomId: id, messageId })))
  })

  return router
}

const ZMessageParams = z.object({ id: ZId, messageId: ZId })

/** Mounted at /api/rooms/:id/changes: the room's change stream (see MessagesService.changes). */
export function changesRoutes({
  messages,
  authenticate,
}: {
  messages: MessagesService
  authenticate: RequestHandler
}): Router {
  const router = Router({ mergeParams: true })
  router.get('/', authenticate, async (req, res) => {
    const { id } = parseInput(ZRoomParams, req.params)
    res.json(await messages.changes(req.viewer, id, parseInput(ZChangesQuery, req.query)))
  })
  return router
}
