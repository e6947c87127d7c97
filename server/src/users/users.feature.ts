import type { PrismaClient } from '@prisma/client'
import type { RequestHandler } from 'express'
import type { Feature } from '../feature'
import { usersRoutes } from './users.routes'

/** /api/users: the user picker's search. */
export function usersFeature(deps: { prisma: PrismaClient; requireUser: RequestHandler }): Feature {
  return { name: 'users', routes: (api) => api.use('/users', usersRoutes(deps)) }
}
