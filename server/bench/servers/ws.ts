// Raw `ws` broadcast server: rooms are sets of sockets, frames are JSON text. The broadcast frame is
// serialised once and sent to every member. Started by the bench with PORT set.
import './probe'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { type WebSocket, WebSocketServer } from 'ws'
import { baselineHttp } from './login'

type Frame =
  { t: 'join'; id: number; roomId: string } | { t: 'send'; id: number; roomId: string; topic: string; content: string }

const httpServer = createServer(baselineHttp)
const wss = new WebSocketServer({ server: httpServer, maxPayload: 64 * 1024, perMessageDeflate: false })
const rooms = new Map<string, Set<WebSocket>>()
const seqs = new Map<string, number>()

wss.on('connection', (ws, req) => {
  const username = new URL(req.url ?? '/', 'http://localhost').searchParams.get('user') ?? 'anonymous'
  const author = { id: randomUUID(), username }
  const email = `${username}@bench.example`
  const joined = new Set<string>()
  ws.on('message', (data) => {
    let f: Frame
    try {
      f = JSON.parse(String(data))
    } catch {
      return
    }
    if (f.t === 'join' && typeof f.roomId === 'string') {
      let members = rooms.get(f.roomId)
      if (!members) {
        members = new Set()
        rooms.set(f.roomId, members)
      }
      members.add(ws)
      joined.add(f.roomId)
      ws.send(JSON.stringify({ t: 'ack', id: f.id, ok: true, room: { id: f.roomId }, messages: [] }))
    } else if (f.t === 'send' && typeof f.roomId === 'string' && typeof f.content === 'string') {
      const seq = (seqs.get(f.roomId) ?? 0) + 1
      seqs.set(f.roomId, seq)
      const message = {
        id: randomUUID(),
        roomId: f.roomId,
        seq,
        author,
        email,
        topic: typeof f.topic === 'string' ? f.topic : 'general',
        content: f.content,
        createdAt: new Date().toISOString(),
      }
      const frame = Buffer.from(JSON.stringify({ t: 'message:created', message }))
      for (const member of rooms.get(f.roomId) ?? []) member.send(frame, { binary: false })
      ws.send(JSON.stringify({ t: 'ack', id: f.id, ok: true, message }))
    }
  })
  ws.on('close', () => {
    for (const roomId of joined) rooms.get(roomId)?.delete(ws)
  })
})

httpServer.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1')
process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate()
  process.exit(0)
})
