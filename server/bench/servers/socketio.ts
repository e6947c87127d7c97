// Bare Socket.IO broadcast server: the same events and payload shapes as Parlor, with no auth, no
// validation beyond types, no database and no Redis. Started by the bench with PORT set.
import './probe'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { Server } from 'socket.io'
import { appendMessage, joinAnswer } from './baseline-app'
import { baselineHttp } from './login'

type Ack = (response: object) => void

const httpServer = createServer(baselineHttp)
// Same engine options as Parlor's io.ts.
const io = new Server(httpServer, {
  transports: ['websocket', 'polling'],
  serveClient: false,
  maxHttpBufferSize: 64 * 1024,
})

io.on('connection', (socket) => {
  const username = String(socket.handshake.auth?.user ?? 'anonymous')
  const author = { id: randomUUID(), username }
  const email = `${username}@bench.example`
  // The web client's connect handler watches its filters' rooms (issue 23: same request set).
  socket.on('rooms:watch', (_p: unknown, ack?: Ack) => ack?.({ ok: true }))
  socket.on('room:join', (roomId: unknown, ack?: Ack) => {
    if (typeof roomId !== 'string') return ack?.({ ok: false })
    socket.join(roomId)
    // Issue 23: the newest page of the room's history, kept in memory, like Parlor's answer.
    ack?.(joinAnswer(roomId))
  })
  socket.on('message:send', (p: { roomId?: unknown; topic?: unknown; content?: unknown }, ack?: Ack) => {
    if (typeof p?.roomId !== 'string' || typeof p.content !== 'string') return ack?.({ ok: false })
    const stored = appendMessage(p.roomId, author, typeof p.topic === 'string' ? p.topic : 'general', p.content)
    const message = { ...stored, email }
    io.to(p.roomId).emit('message:created', message)
    ack?.({ ok: true, message })
  })
})

httpServer.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1')
process.on('SIGTERM', () => {
  io.close()
  process.exit(0)
})
