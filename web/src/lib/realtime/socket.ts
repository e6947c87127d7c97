import type { Ack, ClientToServerEvents, ServerToClientEvents } from '@contract/events'
import { io, type Socket } from 'socket.io-client'
import { ApiError } from '../api'

/** The app's one connection, typed with the server's own event maps. */
export type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>

let tokenSource: () => string | null = () => null

/** Lets the session state supply the handshake token; read again on every (re)connection. */
export function useSocketToken(source: () => string | null): void {
  tokenSource = source
}

export const socket: AppSocket = io({
  autoConnect: false,
  transports: ['websocket', 'polling'],
  reconnectionDelay: 500,
  reconnectionDelayMax: 3000,
  auth: (cb) => {
    const token = tokenSource()
    cb(token ? { token } : {})
  },
})

/** How long a command may wait for its ack before the UI reports it failed. */
export const ACK_TIMEOUT_MS = 12_000

/** Unwraps an ack: the result on `ok`, an ApiError otherwise (timeouts become `unavailable`). */
export function unwrap<T extends object>(ack: Ack<T>): T {
  if (ack.ok) return ack
  throw new ApiError(0, ack.error)
}

/** Wraps a rejected `emitWithAck` (timeout or disconnect) as an ApiError. */
export function ackFailed(): ApiError {
  return new ApiError(0, { code: 'unavailable', message: 'No answer from the server. Check your connection.' })
}
