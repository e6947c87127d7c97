import type { z } from 'zod'
import type { Ack, ClientToServerEvents } from '../contract/events'
import { parseInput } from '../http/validate'
import { AppError, toAppError } from '../lib/app-error'
import type { Logger } from '../lib/logger'
import type { Metrics } from '../metrics/metrics'
import type { AppSocket } from './io.types'

export type Handlers = ReturnType<typeof createHandlers>

/**
 * The one wrapper every socket event goes through: parse the payload with its contract schema, run,
 * and always ack `{ok:true, ...result}` or `{ok:false, error}`. Nothing thrown escapes (Socket.IO
 * would turn a rejected async listener into an unhandled rejection and the client would wait
 * forever). Unknown errors are logged with the socket id and reported as `internal`.
 *
 * @example handlers.on(socket, 'room:leave', ZId, (roomId) => leave(socket, roomId))
 */
export function createHandlers({ log, metrics }: { log: Logger; metrics: Metrics }) {
  const registered = new Set<string>()
  return {
    /** Whether any socket handles `event` (others are ignored and counted as unknown). */
    handles: (event: string) => registered.has(event),

    on<S extends z.ZodType, R extends object | void>(
      socket: AppSocket,
      event: keyof ClientToServerEvents,
      schema: S,
      run: (input: z.output<S>) => Promise<R> | R,
    ) {
      const listener = (...args: unknown[]) => {
        const started = process.hrtime.bigint()
        const ack = typeof args.at(-1) === 'function' ? (args.pop() as (response: Ack) => void) : undefined
        const reply = (response: Ack) => {
          metrics.ackLatency.observe({ event }, Number(process.hrtime.bigint() - started) / 1e9)
          if (ack && socket.connected) ack(response)
        }
        Promise.resolve()
          .then(() => {
            if (args.length > 1) {
              throw new AppError('invalid_input', {
                message: 'Too many arguments.',
                fields: { payload: 'expected one argument' },
              })
            }
            return run(parseInput(schema, args[0]))
          })
          .then(
            (result) => reply({ ok: true, ...(result ?? {}) }),
            (err: unknown) => {
              const appError = toAppError(err)
              metrics.error(appError.code, 'socket')
              if (appError.code === 'internal' || appError.code === 'unavailable') {
                log.error({ err, socketId: socket.id, event }, 'socket handler failed')
              }
              reply({ ok: false, error: appError.toBody() })
            },
          )
          .catch((err: unknown) => log.error({ err, socketId: socket.id, event }, 'socket ack failed'))
      }
      registered.add(event)
      socket.on(event, listener as never)
    },
  }
}
