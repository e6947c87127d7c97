import type { PrismaClient } from '@prisma/client'
import type { RequestHandler } from 'express'
import type { Feature } from '../feature'
import type { Limits } from '../limits/limits'
import type { FiltersService } from './filters.service'
import { registerSearchHandlers } from './search.handlers'
import { filtersRoutes, searchRoutes } from './search.routes'
import type { SearchService } from './search.service'

/** /api/search, /api/filters and `rooms:watch`: search and live filters (issue 17). */
export function searchFeature(deps: {
  prisma: PrismaClient
  search: SearchService
  filters: FiltersService
  limits: Limits
  authenticate: RequestHandler
  requireUser: RequestHandler
}): Feature {
  return {
    name: 'search',
    routes(api) {
      api.use('/search', searchRoutes(deps))
      api.use('/filters', filtersRoutes(deps))
    },
    sockets: (handlers) => registerSearchHandlers({ ...deps, handlers }),
  }
}
