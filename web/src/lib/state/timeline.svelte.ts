import type { HistoryDto, MessageDto } from '@contract/messages'
import { ApiError, query, send } from '../api'
import { newId } from '../ids'
import { ACK_TIMEOUT_MS, ackFailed, socket, unwrap } from '../realtime/socket'
import { session } from './session.svelte'

/** Where the reader left a room's history: at the newest message, or a message and its offset from the top. */
export type ScrollPosition = 'bottom' | { seq: number; offset: number }

export type PendingMessage = {
  clientMsgId: string
  topic: string
  content: string
  status: 'sending' | 'failed'
  error?: string
}

const OLDER_PAGE = 50
const CATCH_UP_PAGE = 100

const whenConnected = (): Promise<void> =>
  socket.connected ? Promise.resolve() : new Promise((resolve) => socket.once('connect', () => resolve()))

/**
 * One room's messages as this client holds them: a window of stored messages, ascending by `seq`
 * with no gaps and no duplicates, plus the messages this client is still sending.
 *
 * Messages that arrive past a gap (a live event after a missed one, or anything while re-joining)
 * wait in `#ahead` until the missing ones are fetched with `?after=<lastSeq>`.
 */
export class Timeline {
  readonly roomId: string
  messages = $state.raw<MessageDto[]>([])
  pending = $state<PendingMessage[]>([])
  /** Older history exists before `messages[0]`. */
  hasOlder = $state(false)
  loadingOlder = $state(false)
  /** The first room:join answered. */
  loaded = $state(false)
  /** Kept while the room is not on screen, so coming back opens where the reader was (memory only). */
  scroll: ScrollPosition | null = null
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a buffer that is never rendered
  #ahead = new Map<number, MessageDto>()
  #catchingUp: Promise<void> | null = null
  #again = false
  #disposed = false

  constructor(roomId: string) {
    this.roomId = roomId
  }

  /** The newest seq held (0: none). */
  get lastSeq(): number {
    return this.messages.at(-1)?.seq ?? 0
  }

  /** A room:join answer: the first load, or a re-join after reconnecting, which then fetches what was missed. */
  async joined(recent: MessageDto[]): Promise<void> {
    if (!this.loaded) {
      // Live messages and our own acks that arrived before this answer wait in #ahead: keep those
      // after `recent`, and fetch any gap between them.
      this.messages = recent
      this.hasOlder = (recent[0]?.seq ?? 1) > 1
      this.loaded = true
      if (this.#absorb([])) await this.catchUp()
      return
    }
    this.#absorb(recent)
    await this.catchUp()
  }

  /** A live `message:created`. A seq jump means something was missed: fetch it. */
  receive(message: MessageDto): void {
    if (this.#absorb([message])) this.catchUp().catch(() => {})
  }

  /** Fetches every message after the last seq held, page by page (single flight). */
  catchUp(): Promise<void> {
    if (!this.loaded) return Promise.resolve() // the first room:join brings the latest page
    if (this.#catchingUp) {
      this.#again = true
      return this.#catchingUp
    }
    this.#catchingUp = (async () => {
      try {
        do {
          this.#again = false
          let more = true
          while (more && !this.#disposed) {
            const page = await send<HistoryDto>(
              `/api/rooms/${this.roomId}/messages${query({ after: this.lastSeq, limit: CATCH_UP_PAGE })}`,
            )
            this.#absorb(page.messages)
            more = page.hasMore
          }
        } while (this.#again && !this.#disposed)
      } finally {
        this.#catchingUp = null
      }
    })()
    return this.#catchingUp
  }

  /** Infinite scroll: one page of older history. */
  async loadOlder(): Promise<void> {
    const first = this.messages[0]?.seq
    if (!this.hasOlder || this.loadingOlder || first === undefined) return
    this.loadingOlder = true
    try {
      const page = await send<HistoryDto>(
        `/api/rooms/${this.roomId}/messages${query({ before: first, limit: OLDER_PAGE })}`,
      )
      const older = page.messages.filter((m) => m.seq < (this.messages[0]?.seq ?? first))
      this.messages = [...older, ...this.messages]
      this.hasOlder = page.hasMore && older.length > 0
    } finally {
      this.loadingOlder = false
    }
  }

  /**
   * Shows the message at once as "sending"; it becomes a stored message when the server acks it
   * (matched by clientMsgId). While offline it waits and goes out on reconnect; a re-send with the
   * same clientMsgId is stored once.
   */
  async send(topic: string, content: string): Promise<void> {
    const clientMsgId = newId()
    this.pending.push({ clientMsgId, topic, content, status: 'sending' })
    await this.#deliver(clientMsgId)
  }

  retry(clientMsgId: string): Promise<void> {
    return this.#deliver(clientMsgId)
  }

  discard(clientMsgId: string): void {
    this.pending = this.pending.filter((p) => p.clientMsgId !== clientMsgId)
  }

  dispose(): void {
    this.#disposed = true
  }

  async #deliver(clientMsgId: string): Promise<void> {
    const find = () => this.pending.find((p) => p.clientMsgId === clientMsgId)
    const item = find()
    if (!item) return
    item.status = 'sending'
    item.error = undefined
    const payload = { roomId: this.roomId, topic: item.topic, content: item.content, clientMsgId }
    try {
      await whenConnected()
      if (this.#disposed) return
      const ack = await socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck('message:send', payload)
        .catch(() => {
          throw ackFailed()
        })
      const { message } = unwrap(ack)
      this.discard(clientMsgId)
      if (this.#absorb([message], false)) this.catchUp().catch(() => {})
    } catch (err) {
      const failed = find()
      if (failed) {
        failed.status = 'failed'
        failed.error = err instanceof ApiError ? err.message : 'Not sent.'
      }
      throw err
    }
  }

  /**
   * Adds messages: anything at or below lastSeq is already held (dropped as a duplicate); the rest
   * waits in `#ahead` and joins the window as soon as it is contiguous. Returns true if a gap remains.
   */
  #absorb(incoming: MessageDto[], reconcile = true): boolean {
    for (const m of incoming) if (m.seq > this.lastSeq) this.#ahead.set(m.seq, m)
    // Before the first room:join answer there is no window to join: everything waits (a message sent
    // before the room finished loading is acked before it — issue 12's newcomer test under load).
    if (!this.loaded) return false
    for (const seq of this.#ahead.keys()) if (seq <= this.lastSeq) this.#ahead.delete(seq) // came with `recent`
    const added: MessageDto[] = []
    let next = this.lastSeq + 1
    for (let m = this.#ahead.get(next); m; m = this.#ahead.get(next)) {
      added.push(m)
      this.#ahead.delete(next)
      next += 1
    }
    if (added.length > 0) {
      if (reconcile) this.#reconcile(added)
      this.messages = [...this.messages, ...added]
    }
    return this.#ahead.size > 0
  }

  /**
   * The broadcast of our own message usually arrives just before its ack: retire the "sending" copy
   * with the same clientMsgId so the message never shows twice.
   */
  #reconcile(added: MessageDto[]): void {
    const me = session.user?.id
    if (!me || this.pending.length === 0) return
    for (const m of added) {
      if (m.author.id !== me) continue
      const i = this.pending.findIndex((p) => p.clientMsgId === m.clientMsgId)
      if (i >= 0) this.pending.splice(i, 1)
    }
  }
}

/** The timelines of the rooms opened since the identity last changed. */
class Timelines {
  #byRoom = new Map<string, Timeline>()
  /** Bumped when timelines are dropped, so views holding one pick up its replacement. */
  #version = $state(0)

  get(roomId: string): Timeline {
    void this.#version
    let timeline = this.#byRoom.get(roomId)
    if (!timeline) {
      timeline = new Timeline(roomId)
      this.#byRoom.set(roomId, timeline)
    }
    return timeline
  }

  find(roomId: string): Timeline | undefined {
    return this.#byRoom.get(roomId)
  }

  delete(roomId: string): void {
    this.#byRoom.get(roomId)?.dispose()
    this.#byRoom.delete(roomId)
    this.#version += 1
  }

  clear(): void {
    for (const t of this.#byRoom.values()) t.dispose()
    this.#byRoom.clear()
    this.#version += 1
  }
}

export const timelines = new Timelines()
