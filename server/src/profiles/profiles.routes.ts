import { type RequestHandler, Router } from 'express'
import { z } from 'zod'
import { ZUsername } from '../contract/auth'
import { ZUpdateProfile } from '../contract/profiles'
import { parseInput } from '../http/validate'
import type { Profiles } from './profiles.service'

/** `GET /api/profiles/:username` (anyone's card) and `PATCH /api/profile` (your own). */
export function profilesRoutes({ profiles, requireUser }: { profiles: Profiles; requireUser: RequestHandler }): Router {
  const router = Router()

  router.get('/profiles/:username', requireUser, async (req, res) => {
    const { username } = parseInput(z.object({ username: ZUsername }), req.params)
    res.json({ profile: await profiles.get(req.viewer, username) })
  })

  router.patch('/profile', requireUser, async (req, res) => {
    res.json({ profile: await profiles.update(req.viewer, parseInput(ZUpdateProfile, req.body)) })
  })

  return router
}
