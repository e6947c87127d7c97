import { type RequestHandler, Router } from 'express'
import { ZAddParticipant, ZCreateRoom, ZParticipantParams, ZRoomParams } from '../contract/rooms'
import { parseInput } from '../http/validate'
import type { RoomsService } from './rooms.service'

export function roomsRoutes({
  rooms,
  authenticate,
  requireUser,
}: {
  rooms: RoomsService
  authenticate: RequestHandler
  requireUser: RequestHandler
}): Router {
  const router = Router()

  router.get('/', authenticate, async (req, res) => {
    res.json({ rooms: await rooms.list(req.viewer) })
  })

  router.post('/', requireUser, async (req, res) => {
    res.status(201).json({ room: await rooms.create(req.viewer, parseInput(ZCreateRoom, req.body)) })
  })

  router.get('/:id', authenticate, async (req, res) => {
    const { id } = parseInput(ZRoomParams, req.params)
    res.json({ room: await rooms.get(req.viewer, id) })
  })

  router.delete('/:id', requireUser, async (req, res) => {
    const { id } = parseInput(ZRoomParams, req.params)
    await rooms.remove(req.viewer, id)
    res.status(204).end()
  })

  router.get('/:id/participants', authenticate, async (req, res) => {
    const { id } = parseInput(ZRoomParams, req.params)
    res.json({ participants: await rooms.participants(req.viewer, id) })
  })

  router.post('/:id/participants', requireUser, async (req, res) => {
    const { id } = parseInput(ZRoomParams, req.params)
    const { username } = parseInput(ZAddParticipant, req.body)
    res.status(201).json({ participants: await rooms.addParticipant(req.viewer, id, username) })
  })

  router.delete('/:id/participants/:username', requireUser, async (req, res) => {
    const { id, username } = parseInput(ZParticipantParams, req.params)
    await rooms.removeParticipant(req.viewer, id, username)
    res.status(204).end()
  })

  return router
}
