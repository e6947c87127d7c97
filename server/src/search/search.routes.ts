import { type RequestHandler, Router } from 'express'
import { ANONYMOUS } from '../auth/passport'
import type { Viewer } from '../contract/events'
import { ZFilterParams, ZSaveFilter, ZSearchQuery, ZUpdateFilter } from '../contract/search'
import { parseInput } from '../http/validate'
import type { FiltersService } from './filters.service'
import type { SearchService } from './search.service'

type UserViewer = Extract<Viewer, { kind: 'user' }>
const body = (b: unknown) => (typeof b === 'object' && b !== null ? b : {})

/** Mounted at /api/search: guests search public rooms, users every room they can read. */
export function searchRoutes({ search, authenticate }: { search: SearchService; authenticate: RequestHandler }) {
  const router = Router()
  router.get('/', authenticate, async (req, res) => {
    // Callers without any token share one viewer id: their budget is per address instead.
    const rateKey = req.viewer === ANONYMOUS ? `ip:${req.ip}` : req.viewer.id
    res.json(await search.search(req.viewer, parseInput(ZSearchQuery, req.query), rateKey))
  })
  return router
}

/** Mounted at /api/filters: the signed-in user's saved filters. */
export function filtersRoutes({ filters, requireUser }: { filters: FiltersService; requireUser: RequestHandler }) {
  const router = Router()
  const viewer = (req: { viewer: Viewer }) => req.viewer as UserViewer // requireUser let only users through

  router.get('/', requireUser, async (req, res) => {
    res.json({ filters: await filters.list(viewer(req)) })
  })
  router.post('/', requireUser, async (req, res) => {
    res.status(201).json({ filter: await filters.create(viewer(req), parseInput(ZSaveFilter, body(req.body))) })
  })
  router.patch('/:filterId', requireUser, async (req, res) => {
    const { filterId } = parseInput(ZFilterParams, req.params)
    res.json({ filter: await filters.update(viewer(req), filterId, parseInput(ZUpdateFilter, body(req.body))) })
  })
  router.delete('/:filterId', requireUser, async (req, res) => {
    const { filterId } = parseInput(ZFilterParams, req.params)
    await filters.remove(viewer(req), filterId)
    res.status(204).end()
  })
  return router
}
