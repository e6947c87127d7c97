// A test client that behaves like the web client must: it tracks the last contiguous seq per room,
// fills gaps from the history API (on a seq jump, after reconnecting, on `sync:required`), fails over
// to another instance when its instance goes away, and retries unacknowledged sends with the same
// clientMsgId. Used by the scale-out and fault tests.
import { randomBytes } from 'node:crypto'
import { io as ioClient } from 'socket.io-client'
import type { HistoryDto, MessageDto } from '../src/contract/messages'
import { api, type ClientSocket, sleep } from './helpers'

export class ChatClient {
  /** roomId → seq → message: what this client "shows". */
  readonly views = new Map<string, Map<number, MessageDto>>()
  /** roomId → highest seq up to which the view has no gap. */
  readonly contiguous = new Map<string, number>()
  /** Messages received more than once from the server (deduplicated in the view). */
  duplicatesReceived = 0
  readonly acked: MessageDto[] = []
  connects = 0
  socket: ClientSocket | null = null
  private urlIndex: number
  private stopped = false
  private readonly catchingUp = new Set<string>()
  private readonly again = new Set<string>()

  constructor(
    private readonly urls: string[],
    private readonly token: string | undefined,
    private readonly rooms: string[],
    startAt = 0,
  ) {
    this.urlIndex = startAt % urls.length
    for (const r of rooms) {
      this.views.set(r, new Map())
      this.contiguous.set(r, 0)
    }
  }

  get url() {
    return this.urls[this.urlIndex]
  }

  async start(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.connectOnce()
        return
      } catch {
        this.urlIndex = (this.urlIndex + 1) % this.urls.length
        await sleep(200)
      }
    }
  }

  private connectOnce(): Promise<void> {
    const socket: ClientSocket = ioClient(this.url, {
      transports: ['websocket'],
      auth: this.token ? { token: this.token } : {},
      reconnection: false,
      forceNew: true,
      timeout: 3000,
    })
    socket.on('message:created', (m) => this.accept(m))
    socket.on('sync:required', () => {
      for (const r of this.rooms) void this.catchUp(r)
    })
    return new Promise((resolve, reject) => {
      socket.once('connect_error', (err) => {
        socket.close()
        reject(err)
      })
      socket.once('connect', async () => {
        this.socket = socket
        this.connects++
        socket.once('disconnect', () => {
          if (this.socket === socket) this.socket = null
          if (!this.stopped) void this.failover()
        })
        try {
          for (const roomId of this.rooms) {
            const res = await socket.timeout(5000).emitWithAck('room:join', roomId)
            if (!res.ok) throw new Error(`join failed: ${res.error.code}`)
            for (const m of res.messages) this.accept(m)
            await this.catchUp(roomId)
          }
          resolve()
        } catch (err) {
          socket.close()
          reject(err)
        }
      })
    })
  }

  /** The instance went away: try the next one (as a load balancer would route the reconnect). */
  private async failover() {
    await sleep(100 + Math.random() * 200)
    this.urlIndex = (this.urlIndex + 1) % this.urls.length
    await this.start()
  }

  private accept(m: MessageDto) {
    const view = this.views.get(m.roomId)
    if (!view) return
    if (view.has(m.seq)) {
      this.duplicatesReceived++
      return
    }
    view.set(m.seq, m)
    let c = this.contiguous.get(m.roomId) ?? 0
    while (view.has(c + 1)) c++
    this.contiguous.set(m.roomId, c)
    if (m.seq > c + 1) void this.catchUp(m.roomId) // a jump: something is missing below m.seq
  }

  /** Fetches everything after the contiguous seq from the API of the current instance. */
  async catchUp(roomId: string): Promise<void> {
    if (this.catchingUp.has(roomId)) {
      this.again.add(roomId)
      return
    }
    this.catchingUp.add(roomId)
    try {
      do {
        this.again.delete(roomId)
        for (;;) {
          const after = this.contiguous.get(roomId) ?? 0
          const res = await api<HistoryDto>(this.url, 'GET', `/api/rooms/${roomId}/messages?after=${after}&limit=100`, {
            token: this.token,
          }).catch(() => null)
          if (res?.status !== 200) break
          for (const m of res.body.messages) this.accept(m)
          if (!res.body.hasMore) break
        }
      } while (this.again.has(roomId))
    } finally {
      this.catchingUp.delete(roomId)
    }
  }

  /**
   * Sends until acknowledged, retrying with the same clientMsgId across failures and failovers.
   * Resolves with the stored message, or null if it gave up (the message may or may not be stored).
   */
  async send(roomId: string, content: string, { attempts = 40 } = {}): Promise<MessageDto | null> {
    const clientMsgId = randomBytes(8).toString('hex')
    for (let i = 0; i < attempts && !this.stopped; i++) {
      const socket = this.socket
      if (!socket?.connected) {
        await sleep(100)
        continue
      }
      try {
        const res = await socket
          .timeout(3000)
          .emitWithAck('message:send', { roomId, topic: 'load', content, clientMsgId })
        if (res.ok) {
          this.acked.push(res.message)
          return res.message
        }
        if (res.error.code !== 'unavailable' && res.error.code !== 'internal') throw new Error(res.error.code)
      } catch (err) {
        if (err instanceof Error && !/timed out|disconnect|operation has timed out/i.test(err.message)) throw err
      }
      await sleep(100)
    }
    return null
  }

  /** Seqs shown for a room, in order. */
  seqs(roomId: string): number[] {
    return [...(this.views.get(roomId)?.keys() ?? [])].sort((a, b) => a - b)
  }

  stop() {
    this.stopped = true
    this.socket?.close()
  }
}
