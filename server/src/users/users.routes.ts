import type { PrismaClient } from '@prisma/client'
import { type RequestHandler, Router } from 'express'
import { ZUserSearch } from '../contract/auth'
import { parseInput } from '../http/validate'
import { searchUsers } from './users.service'

export function usersRoutes({ prisma, requireUser }: { prisma: PrismaClient; requireUser: RequestHandler }): Router {
  const router = Router()
  router.get('/', requireUser, async (req, res) => {
    const { query } = parseInput(ZUserSearch, req.query)
    res.json({ users: await searchUsers(prisma, query) })
  })
  return router
}
