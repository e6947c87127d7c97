import type { RequestHandler } from 'express'
import type { Feature } from '../feature'
import type { Limits } from '../limits/limits'
import { authRoutes } from './auth.routes'
import type { AuthService } from './auth.service'

/** /api/auth: register, log in, who am I, log out, password change; email change, sign out others, delete account. */
export function authFeature(deps: {
  auth: AuthService
  requireUser: RequestHandler
  limits: Limits
  onSessionsRevoked: (userId: string, reason?: 'revoked' | 'deleted') => void
}): Feature {
  return { name: 'auth', routes: (api) => api.use('/auth', authRoutes(deps)) }
}
