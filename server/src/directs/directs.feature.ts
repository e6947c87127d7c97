import type { RequestHandler } from 'express'
import type { Feature } from '../feature'
import { directsRoutes } from './directs.routes'
import type { Directs } from './directs.service'

/** /api/dms: direct conversations (issue 19). */
export function directsFeature(deps: { directs: Directs; requireUser: RequestHandler }): Feature {
  return { name: 'directs', routes: (api) => api.use('/dms', directsRoutes(deps)) }
}
