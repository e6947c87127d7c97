import type { Server, Socket } from 'socket.io'
import type { ClientToServerEvents, ServerToClientEvents, SocketData } from '../contract/events'

// Socket.IO's slot for server-to-server events, unused.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type InterServerEvents = {}

export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>
