// A raw Socket.IO client over plain `ws`: engine.io open packet, namespace CONNECT, ping/pong, acks.
// No socket.io-client smoothing anything over, so tests can send any frame (used by the bad-input catalogue).
import { randomUUID } from 'node:crypto'
import WebSocket from 'ws'

export type Frame = string | Buffer | { invalidUtf8Text: Buffer }

/** The ack id every case uses for its own answer; the probe that follows uses PROBE_ID. */
export const CASE_ACK_ID = 0
export const PROBE_ID = 77
export const WAIT_MS = 10_000

export class RawClient {
  readonly acks = new Map<number, any>()
  readonly events: unknown[][] = []
  /** CONNECT_ERROR packets (`44…`), e.g. for an unknown namespace. */
  readonly connectErrors: string[] = []
  closed = false
  closeCode: number | undefined
  private readonly waiters = new Set<() => void>()

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onText(data.toString())
      this.notify()
    })
    ws.on('close', (code) => {
      this.closed = true
      this.closeCode = code
      this.notify()
    })
    ws.on('error', () => {}) // e.g. ECONNRESET while a 1 MB frame is still being written; 'close' follows
  }

  /** Opens a connection and completes the namespace handshake (`40{"token":…}` → `40{"sid":…}`). */
  static async open(base: string, token?: string): Promise<RawClient> {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`)
    const client = new RawClient(ws)
    let connected = false
    const handshake = new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        const text = data.toString()
        if (text.startsWith('0{')) ws.send(token ? `40${JSON.stringify({ token })}` : '40')
        else if (text.startsWith('40{')) {
          connected = true
          resolve()
        } else if (text.startsWith('44') && !connected) reject(new Error(`handshake refused: ${text}`))
      })
      ws.on('close', () => reject(new Error('closed during handshake')))
    })
    try {
      await handshake
    } catch (err) {
      ws.terminate()
      throw err
    }
    return client
  }

  private onText(text: string) {
    if (text === '2') {
      this.ws.send('3') // engine.io ping → pong
      return
    }
    if (!text.startsWith('4')) return
    const packet = text.slice(1)
    const ackMatch = /^3(\d+)(\[[\s\S]*)$/.exec(packet)
    if (ackMatch) {
      const [, id, json] = ackMatch
      this.acks.set(Number(id), JSON.parse(json)[0])
    } else if (packet.startsWith('2[')) {
      this.events.push(JSON.parse(packet.slice(1)))
    } else if (/^4\//.test(packet)) {
      this.connectErrors.push(packet)
    }
  }

  private notify() {
    for (const w of [...this.waiters]) w()
  }

  send(frame: Frame) {
    const done = () => {} // sending on a socket the server already closed is part of some cases
    if (typeof frame === 'string') this.ws.send(frame, done)
    else if (Buffer.isBuffer(frame)) this.ws.send(frame, { binary: true }, done)
    else this.ws.send(frame.invalidUtf8Text, { binary: false }, done)
  }

  /** Resolves with check()'s first defined value, or undefined after `ms`. */
  until<T>(check: () => T | undefined, ms: number): Promise<T | undefined> {
    const now = check()
    if (now !== undefined || ms <= 0) return Promise.resolve(now)
    return new Promise((resolve) => {
      const finish = (value: T | undefined) => {
        clearTimeout(timer)
        this.waiters.delete(waiter)
        resolve(value)
      }
      const waiter = () => {
        const v = check()
        if (v !== undefined) finish(v)
      }
      const timer = setTimeout(() => finish(undefined), ms)
      this.waiters.add(waiter)
    })
  }

  async close() {
    if (this.closed) return
    this.ws.close()
    await this.until(() => (this.closed ? true : undefined), WAIT_MS)
    if (!this.closed) this.ws.terminate()
  }
}

/**
 * What happened to the frames of a case: 'closed' (the server closed the connection), `error:<code>`
 * or 'ok' (the ack of id 0), 'connect-error' (a `44` for another namespace), 'ignored' (the probe that
 * follows was answered and no ack came), or 'no-answer'.
 */
export async function observe(raw: RawClient, waitForAck: boolean): Promise<string> {
  raw.send(`42${PROBE_ID}${JSON.stringify(['room:leave', randomUUID()])}`)
  const first = await raw.until(() => (raw.closed ? 'closed' : raw.acks.has(PROBE_ID) ? 'probe' : undefined), WAIT_MS)
  if (first === 'closed') return 'closed'
  if (first === undefined) return 'no-answer'
  const answer = await raw.until(
    () => (raw.acks.has(CASE_ACK_ID) ? 'ack' : raw.closed ? 'closed' : undefined),
    waitForAck ? WAIT_MS : 0,
  )
  if (answer === 'closed') return 'closed'
  if (answer === 'ack') return describeAck(raw.acks.get(CASE_ACK_ID))
  if (raw.connectErrors.length > 0) return 'connect-error'
  return waitForAck ? 'no-ack' : 'ignored'
}

export function describeAck(a: any): string {
  if (a?.ok === true) return 'ok'
  if (a?.ok === false && typeof a.error?.code === 'string') return `error:${a.error.code}`
  return `malformed-ack:${JSON.stringify(a).slice(0, 100)}`
}
