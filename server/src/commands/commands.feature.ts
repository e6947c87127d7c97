import { type RequestHandler, Router } from 'express'
import { ZRunCommand } from '../contract/commands'
import { ZRoomParams } from '../contract/rooms'
import type { Feature } from '../feature'
import { parseInput } from '../http/validate'
import type { CommandsService } from './commands.service'

/** `command:run` and `GET /api/rooms/:id/commands` (the composer's list). */
export function commandsFeature({
  commands,
  requireUser,
  track,
}: {
  commands: CommandsService
  requireUser: RequestHandler
  /** Counts the work in flight, so shutdown waits for it. */
  track: <T>(work: Promise<T>) => Promise<T>
}): Feature {
  return {
    name: 'commands',
    routes: (api) => {
      const router = Router({ mergeParams: true })
      router.get('/', requireUser, async (req, res) => {
        const { id } = parseInput(ZRoomParams, req.params)
        res.json(await commands.list(req.viewer, id))
      })
      api.use('/rooms/:id/commands', router)
    },
    sockets: (handlers) =>
      handlers.route('command:run', ZRunCommand, (socket, input) => track(commands.run(socket.data.viewer, input))),
  }
}
