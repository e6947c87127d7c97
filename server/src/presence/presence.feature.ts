import type { Feature } from '../feature'
import type { Presence } from './presence.service'

/** GET /api/presence: the live counts (also pushed as `presence:changed`). */
export function presenceFeature({ presence }: { presence: Presence }): Feature {
  return {
    name: 'presence',
    routes: (api) =>
      api.get('/presence', async (_req, res) => {
        res.json(await presence.counts())
      }),
  }
}
