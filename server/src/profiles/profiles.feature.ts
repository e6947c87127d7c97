import type { RequestHandler } from 'express'
import type { Feature } from '../feature'
import { profilesRoutes } from './profiles.routes'
import type { Profiles } from './profiles.service'

/** Profiles (issue 19): display name, status text and emoji, online / away / do-not-disturb. */
export function profilesFeature(deps: { profiles: Profiles; requireUser: RequestHandler }): Feature {
  return { name: 'profiles', routes: (api) => api.use('/', profilesRoutes(deps)) }
}
