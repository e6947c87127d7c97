import { type RequestHandler, Router } from 'express'
import { ZRoomParams } from '../contract/rooms'
import { ZMarkRead, ZNotifySetting, ZReadSettings } from '../contract/unread'
import { parseInput } from '../http/validate'
import type { UnreadService } from './unread.service'

/** The body with the room id from the path; an absent body is `{}`, anything but an object stays as it is (refused). */
const withRoom = (body: unknown, roomId: string) =>
  body === undefined
    ? { roomId }
    : typeof body === 'object' && body !== null && !Array.isArray(body)
      ? { ...body, roomId }
      : body

/** `GET /api/unread`, `GET|PATCH /api/read-settings`: the signed-in person's own state, guests have none. */
export function unreadRoutes({ unread, requireUser }: { unread: UnreadService; requireUser: RequestHandler }): Router {
  const router = Router()
  router.get('/unread', requireUser, async (req, res) => {
    res.json({ rooms: await unread.summary(req.viewer) })
  })
  router.get('/read-settings', requireUser, async (req, res) => {
    res.json({ settings: await unread.settings(req.viewer) })
  })
  router.patch('/read-settings', requireUser, async (req, res) => {
    res.json({ settings: await unread.updateSettings(req.viewer, parseInput(ZReadSettings, req.body)) })
  })
  return router
}

/** Mounted at /api/rooms/:id: the REST face of `read:mark`, the notification choice, "Seen by". */
export function roomReadRoutes({
  unread,
  requireUser,
}: {
  unread: UnreadService
  requireUser: RequestHandler
}): Router {
  const router = Router({ mergeParams: true })
  /** Same schema as `read:mark`: `{ seq?, unread? }`. */
  router.post('/read', requireUser, async (req, res) => {
    const { id } = parseInput(ZRoomParams, req.params)
    res.json(await unread.mark(req.viewer, parseInput(ZMarkRead, withRoom(req.body, id))))
  })
  router.patch('/notify', requireUser, async (req, res) => {
    const { id } = parseInput(ZRoomParams, req.params)
    res.json(await unread.setNotify(req.viewer, id, parseInput(ZNotifySetting, req.body)))
  })
  router.get('/receipts', requireUser, async (req, res) => {
    const { id } = parseInput(ZRoomParams, req.params)
    res.json(await unread.receipts(req.viewer, id))
  })
  return router
}
