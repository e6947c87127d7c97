import { type RequestHandler, Router } from 'express'
import { ZChangePassword, ZLogin, ZRegister } from '../contract/auth'
import { ZChangeEmail, ZConfirmPassword } from '../contract/profiles'
import { parseInput } from '../http/validate'
import { AppError } from '../lib/app-error'
import type { Limits } from '../limits/limits'
import type { AuthService } from './auth.service'
import { userOf } from './passport'

export function authRoutes({
  auth,
  requireUser,
  limits,
  onSessionsRevoked,
}: {
  auth: AuthService
  requireUser: RequestHandler
  limits: Limits
  /** Cuts the user's live sockets on every instance. */
  onSessionsRevoked: (userId: string, reason?: 'revoked' | 'deleted') => void
}): Router {
  const router = Router()

  /** Runs a step that checks the current password under the same per-account throttle as login. */
  async function withPasswordCheck<T>(username: string, step: () => Promise<T>): Promise<T> {
    await limits.check('loginAccount', username)
    try {
      return await step()
    } catch (err) {
      if (err instanceof AppError && err.code === 'invalid_credentials') await limits.consume('loginAccount', username)
      throw err
    }
  }

  router.post('/register', async (req, res) => {
    await limits.consume('registerIp', req.ip ?? 'unknown')
    res.status(201).json(await auth.register(parseInput(ZRegister, req.body)))
  })

  /** Throttled per address and, for failures, per account — checked before bcrypt runs. */
  router.post('/login', async (req, res) => {
    const input = parseInput(ZLogin, req.body)
    await limits.consume('loginIp', req.ip ?? 'unknown')
    await limits.check('loginAccount', input.login)
    try {
      res.json(await auth.login(input))
    } catch (err) {
      if (err instanceof AppError && err.code === 'invalid_credentials')
        await limits.consume('loginAccount', input.login)
      throw err
    }
  })

  /** Changes the password and ends every other session (all devices, all instances). */
  router.post('/password', requireUser, async (req, res) => {
    const { id, username } = userOf(req)
    const input = parseInput(ZChangePassword, req.body)
    await limits.check('loginAccount', username)
    let session: Awaited<ReturnType<AuthService['changePassword']>>
    try {
      session = await auth.changePassword(id, input)
    } catch (err) {
      if (err instanceof AppError && err.code === 'invalid_credentials') await limits.consume('loginAccount', username)
      throw err
    }
    onSessionsRevoked(id)
    res.json(session)
  })

  // Account settings (issue 19).

  /** Changes the email (needs the current password). Sessions are kept. */
  router.post('/email', requireUser, async (req, res) => {
    const { id, username } = userOf(req)
    const input = parseInput(ZChangeEmail, req.body)
    res.json({ user: await withPasswordCheck(username, () => auth.changeEmail(id, input)) })
  })

  /** Signs out every other session (all devices, all instances); the caller gets a new token. */
  router.post('/logout-others', requireUser, async (req, res) => {
    const { id } = userOf(req)
    const session = await auth.logoutOthers(id)
    onSessionsRevoked(id)
    res.json(session)
  })

  /** Deletes the account (needs the current password); its sockets are cut on every instance. */
  router.delete('/account', requireUser, async (req, res) => {
    const { id, username } = userOf(req)
    const { currentPassword } = parseInput(ZConfirmPassword, req.body)
    await withPasswordCheck(username, () => auth.deleteAccount(id, currentPassword))
    onSessionsRevoked(id, 'deleted')
    res.status(204).end()
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
