// What every harness shares — the server suites (helpers.ts), the browser tests (e2e/support) and the
// benchmark (server/bench): the environment Parlor runs with under test, and a client bound to one
// server's URL for the few things every suite does (call the API, make a user, make a room, open a
// socket).
import { randomBytes } from 'node:crypto'
import { io as ioClient, type Socket } from 'socket.io-client'
import type { SessionDto } from '../src/contract/auth'
import type { ClientToServerEvents, ServerToClientEvents } from '../src/contract/events'
import type { RoomDto } from '../src/contract/rooms'

/**
 * The environment every harness starts Parlor with. All load comes from one address (loopback) at
 * machine speed, so per-address and per-user limits would throttle the harness, not test Parlor; the
 * limiter code still runs on every request and message, and the limits have their own tests
 * (limits.test.ts, which sets RATE_LIMIT_SCALE back to 1).
 */
export const HARNESS_ENV = {
  RATE_LIMIT_SCALE: '1000',
  MAX_CONNECTIONS_PER_IP: '0',
} as const

/**
 * bcrypt cost by harness: the server suites hash hundreds of passwords (4 is the minimum); the
 * browser tests and the benchmark run production settings (production refuses less than 10).
 */
export const BCRYPT_COST = { suites: '4', production: '10' } as const

/** The password every harness account gets. */
export const HARNESS_PASSWORD = 'correct horse battery'

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>
export type ApiResponse<T = any> = { status: number; body: T; headers: Headers }

/** A fresh valid username (3–32 of a–z, 0–9, _ and -). */
export const uniqueName = (stem = 'u') => `${stem}_${randomBytes(5).toString('hex')}`.slice(0, 32)

/** Calls the REST API; never throws on a status (tests check it). */
export async function api<T = any>(
  base: string,
  method: string,
  path: string,
  { token, body, headers = {} }: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers }
}

/** Registers a new user and returns their session. */
export async function register(
  base: string,
  username = uniqueName(),
  { email = `${username}@example.com` }: { email?: string } = {},
): Promise<SessionDto> {
  const res = await api<SessionDto>(base, 'POST', '/api/auth/register', {
    body: { username, email, password: HARNESS_PASSWORD },
  })
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}

/** Creates a room as `by` (a new user if not given); private rooms get `with` as participants. */
export async function createRoom(
  base: string,
  { by, private: isPrivate = false, with: people = [], name = uniqueName('room'), description }: RoomOptions = {},
): Promise<RoomDto & { owner: SessionDto }> {
  const owner = by ?? (await register(base))
  const res = await api<{ room: RoomDto }>(base, 'POST', '/api/rooms', {
    token: owner.token,
    body: {
      name,
      isPrivate,
      participants: people.map((p) => (typeof p === 'string' ? p : p.user.username)),
      ...(description !== undefined ? { description } : {}),
    },
  })
  if (res.status !== 201) throw new Error(`create room failed: ${res.status} ${JSON.stringify(res.body)}`)
  return { ...res.body.room, owner }
}

export type RoomOptions = {
  /** The creator (a new user if not given). */
  by?: SessionDto
  private?: boolean
  /** Participants of a private room: sessions or usernames. */
  with?: (SessionDto | string)[]
  name?: string
  description?: string
}

/**
 * Connects a socket (websocket transport) and waits for the handshake to succeed. `before` runs
 * before connecting, to attach listeners for events the server sends right on connect.
 */
export function connect(
  base: string,
  token?: string,
  { before, reconnection = false }: { before?: (socket: ClientSocket) => void; reconnection?: boolean } = {},
): Promise<ClientSocket> {
  const socket: ClientSocket = ioClient(base, {
    transports: ['websocket'],
    auth: token ? { token } : {},
    reconnection,
    forceNew: true,
  })
  before?.(socket)
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', (err) => {
      socket.close()
      reject(err)
    })
  })
}

/** The helpers bound to one server: `server.api(...)`, `server.user()`, `server.room({...})`, `server.socket(user)`. */
export type BoundHelpers = {
  api<T = any>(method: string, path: string, opts?: Parameters<typeof api>[3]): Promise<ApiResponse<T>>
  user(username?: string): Promise<SessionDto>
  room(options?: RoomOptions): Promise<RoomDto & { owner: SessionDto }>
  /** A connected socket as `who` (a session), or as an anonymous guest (null). */
  socket(who: SessionDto | null, options?: Parameters<typeof connect>[2]): Promise<ClientSocket>
}

export function bindHelpers(base: string): BoundHelpers {
  return {
    api: (method, path, opts) => api(base, method, path, opts),
    user: (username) => register(base, username),
    room: (options) => createRoom(base, options),
    socket: (who, options) => connect(base, who?.token, options),
  }
}
