import { type RequestHandler, Router } from 'express'
import { ZLogin, ZRegister } from '../contract/auth'
import { parseInput } from '../http/validate'
import type { AuthService } from './auth.service'
import { userOf } from './passport'

export function authRoutes({
  auth,
  requireUser,
  onSessionsRevoked,
}: {
  auth: AuthService
  requireUser: RequestHandler
  /** Cuts the user's live sockets on every instance. */
  onSessionsRevoked: (userId: string) => void
}): Router {
  const router = Router()

  router.post('/register', async (req, res) => {
    res.status(201).json(await auth.register(parseInput(ZRegister, req.body)))
  })

  router.post('/login', async (req, res) => {
    res.json(await auth.login(parseInput(ZLogin, req.body)))
  })

  /** A signed guest id, so one person in several tabs or after a reload counts as one guest. */
  router.post('/guest', (_req, res) => {
    res.status(201).json(auth.guest())
  })

  router.get('/me', requireUser, async (req, res) => {
    res.json({ user: await auth.me(userOf(req).id) })
  })

  /** Ends every session of the caller (all devices): existing tokens stop working everywhere. */
  router.post('/logout', requireUser, async (req, res) => {
    const { id } = userOf(req)
    await auth.revokeSessions(id)
    onSessionsRevoked(id)
    res.status(204).end()
  })

  return router
}
