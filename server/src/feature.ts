import type { Router } from 'express'
import type { Handlers } from './realtime/handler'

/**
 * How a feature plugs into the app: its REST routes (mounted on the `/api` router) and its socket
 * events (routed by `handlers`). Each feature folder has a `<name>.feature.ts` that builds one from
 * the services it needs; createApp builds the services and loops over the features, so adding a
 * feature touches its own folder and one line of the list in app.ts.
 */
export type Feature = {
  name: string
  routes?: (api: Router) => void
  sockets?: (handlers: Handlers) => void
}
