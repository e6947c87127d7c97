import type { z } from 'zod'
import { type Ack, type AckFn, CLIENT_EVENTS, type ClientToServerEvents } from '../contract/events'
import { parseInput } from '../http/validate'
import { AppError, toAppError } from '../lib/app-error'
import type { Logger } from '../lib/logger'
import type { Metrics } from '../metrics/metrics'
import type { AppSocket } from './io.types'

export type Handlers = ReturnType<typeof createHandlers>

type Event = keyof ClientToServerEvents

/** What a client sends with `E`: the first parameter in the contract. */
export type EventPayload<E extends Event> = ClientToServerEvents[E] extends (payload: infer P, ack: never) => void
  ? P
  : never

/**
 * What `run` returns for `E`: the `T` of the event's `AckFn<T>` (the ack adds `ok: true`), or `void`
 * for a bare `AckFn` (the ack is `{ ok: true }`).
 */
export type EventResult<E extends Event> = ClientToServerEvents[E] extends (payload: never, ack: AckFn<infer T>) => void
  ? object extends T
    ? void
    : T
  : never

/**
 * Why `schema` cannot parse `E`'s payload, or `unknown` when it can. It must accept every payload the
 * contract lets a client send (no extra required field: its input), and give `run` nothing the
 * contract does not name (its output is a payload, with no field the payload lacks).
 */
type SchemaMismatch<E extends Event, S extends z.ZodType> = [EventPayload<E>] extends [z.input<S>]
  ? [z.output<S>] extends [EventPayload<E>]
    ? [ExtraKeys<z.output<S>, EventPayload<E>>] extends [never]
      ? unknown
      : { 'schema output has fields the payload of this event lacks': ExtraKeys<z.output<S>, EventPayload<E>> }
    : { 'schema output is not the payload of this event': EventPayload<E> }
  : { 'schema does not accept the payload of this event (a field it requires?)': EventPayload<E> }

/** Why `run`'s result is not exactly `E`'s ack result, or `unknown` when it is. */
type ResultMismatch<E extends Event, R> = [ExtraKeys<R, EventResult<E>>] extends [never]
  ? unknown
  : { 'result has fields the ack of this event lacks': ExtraKeys<R, EventResult<E>> }

type ExtraKeys<A, B> = A extends object ? (B extends object ? Exclude<keyof A, keyof B> : keyof A) : never

/**
 * The one wrapper every socket event goes through: parse the payload with its contract schema, run,
 * and always ack `{ok:true, ...result}` or `{ok:false, error}`. Nothing thrown escapes (Socket.IO
 * would turn a rejected async listener into an unhandled rejection and the client would wait
 * forever). Unknown errors are logged with the socket id and reported as `internal`.
 *
 * Events are registered once per server with `route`, and `attach` gives them to each connection:
 * every event goes through one router function shared by all sockets, installed with `onAny`
 * (Socket.IO calls it with the socket as `this`), which also counts events nobody handles. A
 * connection then costs one array slot, instead of a closure, its context and an event-map entry
 * per event (several hundred bytes per socket; issue 8's memory target).
 *
 * `route` is typed from `ClientToServerEvents`: the schema must parse the event's payload (see
 * `SchemaMismatch`) and `run` must resolve to exactly the ack's result (`EventResult`, no extra
 * field: the ack spreads it, so an extra field would reach the client). `handler.types.unit.test.ts`
 * keeps the cases that must not compile.
 *
 * @example handlers.route('room:leave', ZId, (socket, roomId) => leave(socket, roomId))
 */
export function createHandlers({ log, metrics }: { log: Logger; metrics: Metrics }) {
  type Route = { schema: z.ZodType; run: (socket: AppSocket, input: unknown) => Promise<object | void> | object | void }
  const routes = new Map<string, Route>()

  // Runs a routed event on the next tick, as Socket.IO runs its own listeners (`onAny` is called
  // synchronously on receipt): events keep their arrival order. Routed
  // events skip `socket.use` middleware, which Parlor does not use.
  function runRoute(socket: AppSocket, event: Event, route: Route, args: unknown[]) {
    if (socket.connected) handle(socket, event, route.schema, args, (input) => route.run(socket, input))
  }
  /** The one `onAny` listener of every socket. */
  function router(this: AppSocket, event: string, ...args: unknown[]) {
    const route = routes.get(event)
    if (route) process.nextTick(runRoute, this, event as Event, route, args)
    else metrics.unknownEvents.inc()
  }

  function handle<S extends z.ZodType, R extends object | void>(
    socket: AppSocket,
    event: Event,
    schema: S,
    args: unknown[],
    run: (input: z.output<S>) => Promise<R> | R,
  ) {
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

  return {
    /** Handles `event` on every socket that is `attach`ed; call once per server. */
    route<E extends Event, S extends z.ZodType, R extends EventResult<E>>(
      event: E,
      schema: S & SchemaMismatch<E, S>,
      run: ((socket: AppSocket, input: z.output<S>) => Promise<R> | R) & ResultMismatch<E, R>,
    ) {
      // `run` gets `schema`'s output, parsed by `handle`: the stored type forgets which schema.
      routes.set(event, { schema, run: run as Route['run'] })
    },

    /** Throws naming every contract event (`CLIENT_EVENTS`) nobody routed; call once all are registered. */
    assertComplete() {
      const missing = CLIENT_EVENTS.filter((event) => !routes.has(event))
      if (missing.length > 0) throw new Error(`socket events without a handler: ${missing.join(', ')}`)
    },

    /** On connection: routes the socket's events (and counts the unknown ones, ignored). */
    attach(socket: AppSocket) {
      socket.onAny(router)
    },
  }
}
