// One connection of the load generator, in each of the three protocols.
import { io, type Socket } from 'socket.io-client'
import { WebSocket } from 'ws'
import type { ClientSpec, Protocol } from './protocol'
import { socketIoLite } from './sio-lite'

export type BenchClient = {
  connect(timeoutMs: number): Promise<void>
  join(roomId: string, timeoutMs: number): Promise<void>
  /** Fire-and-forget send; `done` gets null once acknowledged (with the stored message's id), or an error text. */
  send(
    roomId: string,
    content: string,
    clientMsgId: string,
    timeoutMs: number,
    done: (error: string | null, messageId?: string) => void,
  ): void
  /** Parlor only (issue 16): a vote or reaction toggle; `done` as for send. */
  toggle?(
    roomId: string,
    messageId: string,
    kind: 'vote' | 'react',
    timeoutMs: number,
    done: (error: string | null) => void,
  ): void
  /** Socket.IO protocols only (issue 23): emits an event with an ack and resolves with the ack's payload. */
  request?(event: string, args: unknown[], timeoutMs: number): Promise<any>
  close(): void
}

export type ClientEvents = {
  /** `message` is the whole `message:created` payload (the storms read its seq). */
  onMessage(roomId: string, content: string, message?: { seq?: number }): void
  onDisconnect(reason: string): void
}

/** `official`: use socket.io-client instead of the lean client (same frames, more generator CPU). */
export function createClient(
  protocol: Protocol,
  spec: ClientSpec,
  events: ClientEvents,
  official = false,
): BenchClient {
  if (protocol === 'ws') return wsClient(spec, events)
  if (official) return socketIoClient(protocol, spec, events)
  return socketIoLite(spec.url, protocol === 'parlor' ? { token: spec.token } : { user: spec.user }, events)
}

type Ack = { ok: boolean; error?: { code?: string; message?: string }; message?: { id: string } }

/** The payload of a toggle (issue 16). */
export const togglePayload = (roomId: string, messageId: string, kind: 'vote' | 'react') =>
  kind === 'vote'
    ? ['message:vote', { roomId, messageId, vote: 'up' }]
    : ['message:react', { roomId, messageId, emoji: '👍' }]

function socketIoClient(protocol: Protocol, spec: ClientSpec, events: ClientEvents): BenchClient {
  let socket: Socket | null = null
  const ackError = (res: Ack) => `${res.error?.code ?? 'error'}: ${res.error?.message ?? ''}`
  return {
    connect(timeoutMs) {
      socket = io(spec.url, {
        transports: ['websocket'],
        auth: protocol === 'parlor' ? { token: spec.token } : { user: spec.user },
        reconnection: false,
        forceNew: true,
        timeout: timeoutMs,
      })
      socket.on('message:created', (m: { roomId: string; content: string; seq?: number }) =>
        events.onMessage(m.roomId, m.content, m),
      )
      const s = socket
      return new Promise((resolve, reject) => {
        s.once('connect', () => {
          s.on('disconnect', (reason) => events.onDisconnect(reason))
          resolve()
        })
        s.once('connect_error', (err) => {
          s.close()
          reject(err)
        })
      })
    },
    async join(roomId, timeoutMs) {
      const res: Ack = await (socket as Socket).timeout(timeoutMs).emitWithAck('room:join', roomId)
      if (!res.ok) throw new Error(`room:join refused: ${ackError(res)}`)
    },
    send(roomId, content, clientMsgId, timeoutMs, done) {
      ;(socket as Socket)
        .timeout(timeoutMs)
        .emit('message:send', { roomId, topic: 'bench', content, clientMsgId }, (err: Error | null, res: Ack) => {
          if (err) done(err.message)
          else done(res.ok ? null : ackError(res), res.message?.id)
        })
    },
    request(event, args, timeoutMs) {
      return (socket as Socket).timeout(timeoutMs).emitWithAck(event, ...args)
    },
    toggle(roomId, messageId, kind, timeoutMs, done) {
      const [event, payload] = togglePayload(roomId, messageId, kind)
      ;(socket as Socket).timeout(timeoutMs).emit(event as string, payload, (err: Error | null, res: Ack) => {
        if (err) done(err.message)
        else done(res.ok ? null : ackError(res))
      })
    },
    close() {
      socket?.close()
    },
  }
}

function wsClient(spec: ClientSpec, events: ClientEvents): BenchClient {
  let ws: WebSocket | null = null
  let nextId = 1
  const pending = new Map<number, { done: (error: string | null) => void; timer: NodeJS.Timeout }>()
  const request = (frame: object, timeoutMs: number, done: (error: string | null) => void) => {
    const id = nextId++
    const timer = setTimeout(() => {
      pending.delete(id)
      done('operation has timed out')
    }, timeoutMs)
    pending.set(id, { done, timer })
    ;(ws as WebSocket).send(JSON.stringify({ ...frame, id }))
  }
  return {
    connect(timeoutMs) {
      const url = new URL(spec.url.replace(/^http/, 'ws'))
      url.searchParams.set('user', spec.user)
      ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs })
      const w = ws
      w.on('message', (data) => {
        const f = JSON.parse(String(data)) as { t: string; id?: number; ok?: boolean; message?: any }
        if (f.t === 'message:created') events.onMessage(f.message.roomId, f.message.content)
        else if (f.t === 'ack' && f.id !== undefined) {
          const p = pending.get(f.id)
          if (!p) return
          pending.delete(f.id)
          clearTimeout(p.timer)
          p.done(f.ok ? null : 'refused')
        }
      })
      return new Promise((resolve, reject) => {
        w.once('open', () => {
          w.on('close', () => events.onDisconnect('closed'))
          resolve()
        })
        w.once('error', reject)
      })
    },
    join(roomId, timeoutMs) {
      return new Promise((resolve, reject) =>
        request({ t: 'join', roomId }, timeoutMs, (error) => (error ? reject(new Error(error)) : resolve())),
      )
    },
    send(roomId, content, _clientMsgId, timeoutMs, done) {
      request({ t: 'send', roomId, topic: 'bench', content }, timeoutMs, done)
    },
    close() {
      for (const p of pending.values()) clearTimeout(p.timer)
      pending.clear()
      ws?.terminate()
    },
  }
}
