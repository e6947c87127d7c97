// Type-level tests of `handlers.route`: each `@ts-expect-error` line is a mistake `tsc --noEmit` must
// refuse (tsc fails if one of them compiles). The runtime tests below check `assertComplete`, and
// run the registrations once so this file is also an ordinary node:test suite.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { z } from 'zod'
import { CLIENT_EVENTS } from '../contract/events'
import type { MessageDto } from '../contract/messages'
import { ZSendMessage } from '../contract/messages'
import { ZTyping } from '../contract/rooms'
import { ZId } from '../contract/text'
import type { Logger } from '../lib/logger'
import type { Metrics } from '../metrics/metrics'
import { createHandlers, type EventPayload, type EventResult } from './handler'

const handlersForTest = () => createHandlers({ log: {} as Logger, metrics: {} as Metrics })
const message = {} as MessageDto

/** Registrations that must compile, then the ones that must not. Only type-checked, never attached. */
function register(handlers: ReturnType<typeof handlersForTest>) {
  // Right: the contract's schema, and exactly the ack's result.
  handlers.route('message:send', ZSendMessage, async () => ({ message }))
  handlers.route('typing:set', ZTyping, () => {})
  handlers.route('room:leave', ZId, async (_socket, roomId: string) => void roomId)
  // A schema may be stricter about values, and may leave out fields the payload has as optional.
  handlers.route('typing:set', z.object({ roomId: ZId, typing: z.literal(true).or(z.literal(false)) }), () => {})

  // Wrong ack shape for 'message:send': a field named differently…
  // @ts-expect-error the ack of message:send is { message }
  handlers.route('message:send', ZSendMessage, async () => ({ msg: message }))
  // …the right field plus one the ack does not have (it would reach the client: the ack spreads it)…
  // @ts-expect-error no extra field in an ack
  handlers.route('message:send', ZSendMessage, async () => ({ message, email: 'x@example.com' }))
  // …or nothing at all.
  // @ts-expect-error message:send must answer with the message
  handlers.route('message:send', ZSendMessage, async () => {})
  // An event whose ack is bare must not answer with a result.
  // @ts-expect-error typing:set acks { ok: true } only
  handlers.route('typing:set', ZTyping, async () => ({ message }))

  // A schema with an extra required field for 'typing:set': no typed client sends it.
  // @ts-expect-error the payload of typing:set has no `until`
  handlers.route('typing:set', ZTyping.extend({ until: z.number() }), () => {})
  // An extra optional field: run would read what the contract never sends.
  // @ts-expect-error the payload of typing:set has no `until`
  handlers.route('typing:set', ZTyping.extend({ until: z.number().optional() }), () => {})
  // A schema whose output is not the payload.
  // @ts-expect-error roomId is a string
  handlers.route('typing:set', z.object({ roomId: z.number(), typing: z.boolean() }), () => {})
  // Another event's schema.
  // @ts-expect-error room:join takes a room id, not a message
  handlers.route('room:join', ZSendMessage, async () => ({ room: {} as never, messages: [] }))

  // An event the contract does not have.
  // @ts-expect-error not a ClientToServerEvents key
  handlers.route('message:sned', ZSendMessage, async () => ({ message }))
}

// The derived types themselves.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const checks: [
  Equal<EventResult<'message:send'>, { message: MessageDto }>,
  Equal<EventResult<'typing:set'>, void>,
  Equal<EventPayload<'typing:set'>, z.input<typeof ZTyping>>,
  Equal<EventPayload<'room:join'>, string>,
] = [true, true, true, true]

test('the route helper registers every case above (the checks are tsc’s)', () => {
  assert.deepEqual(checks, [true, true, true, true])
  register(handlersForTest())
})

test('assertComplete names every contract event without a route', () => {
  const handlers = handlersForTest()
  assert.throws(() => handlers.assertComplete(), new RegExp(CLIENT_EVENTS.join(', ')))
  handlers.route('room:leave', ZId, () => {})
  handlers.route('message:send', ZSendMessage, async () => ({ message }))
  const rest = CLIENT_EVENTS.filter((e) => e !== 'room:leave' && e !== 'message:send')
  assert.throws(() => handlers.assertComplete(), { message: `socket events without a handler: ${rest.join(', ')}` })
  const untyped = handlers.route as unknown as (event: string, schema: z.ZodType, run: () => void) => void
  for (const event of rest) untyped(event, z.any(), () => {})
  assert.doesNotThrow(() => handlers.assertComplete())
})
