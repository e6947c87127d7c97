// A lean Socket.IO v4 client (Engine.IO protocol 4, WebSocket transport only, default namespace) for
// the load generator. The server sees exactly the frames socket.io-client would send; the generator
// spends a fraction of the CPU per received message, which matters when it shares 2 cores with the
// server under test. `--official-client` switches back to socket.io-client to cross-check.
import { WebSocket } from 'ws'
import { type BenchClient, type ClientEvents, togglePayload } from './clients'

// Engine.IO packet types (first character) and Socket.IO packet types (second, inside a "4" message).
const EIO_OPEN = 48 // '0'
const EIO_CLOSE = 49 // '1'
const EIO_PING = 50 // '2'
const EIO_MESSAGE = 52 // '4'
const SIO_CONNECT = 48 // '0'
const SIO_DISCONNECT = 49 // '1'
const SIO_EVENT = 50 // '2'
const SIO_ACK = 51 // '3'
const SIO_CONNECT_ERROR = 52 // '4'

type Ack = { ok: boolean; error?: { code?: string; message?: string }; message?: { id: string } }

export function socketIoLite(url: string, auth: object, events: ClientEvents): BenchClient {
  let ws: WebSocket | null = null
  let nextId = 0
  let closed = false
  const acks = new Map<number, { done: (err: string | null, res?: Ack) => void; timer: NodeJS.Timeout }>()

  const emit = (args: unknown[], timeoutMs: number, done: (err: string | null, res?: Ack) => void) => {
    const id = nextId++
    const timer = setTimeout(() => {
      acks.delete(id)
      done('operation has timed out')
    }, timeoutMs)
    acks.set(id, { done, timer })
    ;(ws as WebSocket).send(`42${id}${JSON.stringify(args)}`)
  }
  const ackError = (res: Ack) => `${res.error?.code ?? 'error'}: ${res.error?.message ?? ''}`

  return {
    connect(timeoutMs) {
      const u = new URL(url.replace(/^http/, 'ws'))
      u.pathname = '/socket.io/'
      u.searchParams.set('EIO', '4')
      u.searchParams.set('transport', 'websocket')
      const socket = new WebSocket(u, { perMessageDeflate: false, handshakeTimeout: timeoutMs })
      ws = socket
      return new Promise<void>((resolve, reject) => {
        let connected = false
        const fail = (err: Error) => {
          clearTimeout(timer)
          if (!connected) {
            connected = true // settle once
            socket.terminate()
            reject(err)
          }
        }
        const timer = setTimeout(() => fail(new Error('timeout')), timeoutMs)
        socket.on('message', (data) => {
          const s = String(data)
          const eio = s.charCodeAt(0)
          if (eio === EIO_MESSAGE) {
            const sio = s.charCodeAt(1)
            if (sio === SIO_EVENT) {
              const [event, payload] = JSON.parse(s.slice(2)) as [
                string,
                { roomId: string; content: string; seq?: number },
              ]
              if (event === 'message:created') events.onMessage(payload.roomId, payload.content, payload)
            } else if (sio === SIO_ACK) {
              const bracket = s.indexOf('[')
              const id = Number(s.slice(2, bracket))
              const pending = acks.get(id)
              if (!pending) return
              acks.delete(id)
              clearTimeout(pending.timer)
              pending.done(null, (JSON.parse(s.slice(bracket)) as Ack[])[0])
            } else if (sio === SIO_CONNECT) {
              clearTimeout(timer)
              connected = true
              resolve()
            } else if (sio === SIO_CONNECT_ERROR) {
              fail(new Error((JSON.parse(s.slice(2)) as { message: string }).message))
            } else if (sio === SIO_DISCONNECT) {
              events.onDisconnect('io server disconnect')
            }
          } else if (eio === EIO_PING) {
            socket.send('3')
          } else if (eio === EIO_OPEN) {
            socket.send(`40${JSON.stringify(auth)}`)
          } else if (eio === EIO_CLOSE) {
            socket.terminate()
          }
        })
        socket.on('error', (err) => fail(err))
        socket.on('close', () => {
          if (!connected) fail(new Error('closed during the handshake'))
          else if (!closed) events.onDisconnect('transport close')
          for (const p of acks.values()) {
            clearTimeout(p.timer)
            p.done('disconnected')
          }
          acks.clear()
        })
      })
    },
    join(roomId, timeoutMs) {
      return new Promise((resolve, reject) =>
        emit(['room:join', roomId], timeoutMs, (err, res) => {
          if (err) reject(new Error(err))
          else if (!res?.ok) reject(new Error(`room:join refused: ${ackError(res as Ack)}`))
          else resolve()
        }),
      )
    },
    send(roomId, content, clientMsgId, timeoutMs, done) {
      emit(['message:send', { roomId, topic: 'bench', content, clientMsgId }], timeoutMs, (err, res) =>
        done(err ?? (res?.ok ? null : ackError(res as Ack)), res?.message?.id),
      )
    },
    request(event, args, timeoutMs) {
      return new Promise((resolve, reject) =>
        emit([event, ...args], timeoutMs, (err, res) => (err ? reject(new Error(err)) : resolve(res))),
      )
    },
    toggle(roomId, messageId, kind, timeoutMs, done) {
      emit(togglePayload(roomId, messageId, kind), timeoutMs, (err, res) =>
        done(err ?? (res?.ok ? null : ackError(res as Ack))),
      )
    },
    close() {
      closed = true
      // An Engine.IO close packet, then the socket: the server sees a clean client disconnect.
      if (ws?.readyState === WebSocket.OPEN) ws.send('1')
      ws?.close()
    },
  }
}
