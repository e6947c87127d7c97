import type { RequestHandler } from 'express'
import type { Feature } from '../feature'
import { uploadsRoutes } from './uploads.routes'
import type { Uploads } from './uploads.service'

/** File uploads, signed downloads and profile pictures (issue 21). */
export function uploadsFeature(deps: {
  uploads: Uploads
  authenticate: RequestHandler
  requireUser: RequestHandler
}): Feature {
  return { name: 'uploads', routes: (api) => api.use('/', uploadsRoutes(deps)) }
}
