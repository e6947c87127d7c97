import type { z } from 'zod'
import type { Ack } from '../contract/events'
import { parseInput } from '../http/validate'
import { AppError, toAppError } from '../lib/app-error'
import type { Logger } from '../lib/logger'
import type { AppSocket } from './io.types'

/** A listener as Socket.IO calls it: any number of arguments, maybe an ack function last. */
type RawListener = (...args: unknown[]) => void

/**
 * Wraps a socket event handler: parses the payload with its contract schema, runs it, and always
 * acks `{ok:true, ...result}` or `{ok:false, error}`. Nothing thrown escapes (Socket.IO would turn a
 * rejected async listener into an unhandled rejection and the client would wait forever). Unknown
 * errors are logged with the socket id and reported as `internal`.
 *
 * @example socket.on('room:leave', handle(socket, log, ZId, (roomId) => rooms.leave(socket, roomId)))
 */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers may return nothing (plain `{ok:true}` ack).
export function handle<S extends z.ZodType, R extends object | void>(
  socket: AppSocket,
  log: Logger,
  schema: S,
  run: (input: z.output<S>) => Promise<R> | R,
): RawListener {
  return (...args) => {
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as (response: Ack) => void) : undefined
    const reply = (response: Ack) => {
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
          if (appError.code === 'internal' || appError.code === 'unavailable') {
            log.error({ err, socketId: socket.id }, 'socket handler failed')
          }
          reply({ ok: false, error: appError.toBody() })
        },
      )
      .catch((err: unknown) => log.error({ err, socketId: socket.id }, 'socket ack failed'))
  }
}
