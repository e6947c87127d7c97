import type { Ack } from '@contract/events'
import type { ChangesDto, HistoryDto, MessageDeletedDto, MessageDto } from '@contract/messages'
import type { OwnStateChangedDto, OwnStateDto, Vote } from '@contract/reactions'
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
  /** Uploads (issue 21): ids of the files it carries, already uploaded. */
  attachments?: string[]
  status: 'sending' | 'failed'
  error?: string
}

const OLDER_PAGE = 50
const CATCH_UP_PAGE = 100

const whenConnected = (): Promise<void> =>
  socket.connected ? Promise.resolve() : new Promise((resolve) => socket.once('connect', () => resolve()))

/**
 * Sends a command and returns its ack's result, or throws an ApiError (a timeout or a lost connection
 * is `unavailable`). Never sent while offline: the socket would buffer it and apply it unasked later.
 */
async function answered<T extends object>(emit: () => Promise<Ack<T>>): Promise<T> {
  if (!socket.connected) throw ackFailed()
  const ack = await emit().catch(() => {
    throw ackFailed()
  })
  return unwrap(ack)
}

const NO_OWN: OwnStateDto = { vote: null, reactions: [] }

/** What a deleted message becomes: its place and author stay, its text goes. */
const tombstone = (m: MessageDto, rev: number): MessageDto => ({
  ...m,
  rev,
  content: '',
  topic: '',
  deletedAt: m.deletedAt ?? new Date().toISOString(),
})

/**
 * One room's messages as this client holds them: a window of stored messages, ascending by `seq`
 * with no gaps and no duplicates, each in its latest known state, plus the messages this client is
 * still sending.
 *
 * Two counters keep it complete. By seq: messages that arrive past a gap wait in `#ahead` until the
 * missing ones are fetched. By rev (the room's change number, one per create, edit or delete):
 * `lastRev` is the rev up to which every change is held; a change seen past it with a hole below,
 * a reconnect or `sync:required` fetch `/changes?after=<lastRev>`, which brings new messages as well
 * as edits and deletions. A message is only ever replaced by a copy with a higher rev, so a change
 * that arrives twice, or late, is harmless. Changes to messages older than the window are ignored:
 * scrolling back fetches those as they are now.
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
  /** The message being edited inline (its id). */
  editing = $state<string | null>(null)
  /** Kept while the room is not on screen, so coming back opens where the reader was (memory only). */
  scroll: ScrollPosition | null = null
  /** Every change of this room up to this rev is held (counted from the first room:join answer). */
  lastRev = 0
  /**
   * Replies, votes and reactions (issue 16): our own vote and reactions per message id, with the rev
   * they are from. Room broadcasts never carry them; what we fetch does, and `mine:changed` brings
   * what any tab of ours did. A state is replaced only by one of a higher rev.
   */
  own = $state.raw<Record<string, OwnStateDto & { rev: number }>>({})
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a buffer that is never rendered
  #ahead = new Map<number, MessageDto>()
  /** Revs above lastRev already applied; lastRev moves up through them once the hole below fills. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
  #revsAhead = new Set<number>()
  /** The highest rev seen in any event, applied or not: above lastRev means something is missing. */
  #maxRev = 0
  /** Changes to messages older than the window, seen while an older page is on its way: applied to it. */
  #late: (MessageDto | MessageDeletedDto)[] = []
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

  /**
   * A room:join answer: the first load, or a re-join after reconnecting, which then fetches what was
   * missed. `roomRev` is the room's rev read before `recent`, so counting from it is safe.
   */
  async joined(recent: MessageDto[], roomRev: number): Promise<void> {
    this.learnOwn(recent)
    if (!this.loaded) {
      // Live messages and our own acks that arrived before this answer wait in #ahead: keep those
      // after `recent` (and newer copies of those in it), and fetch any gap between them.
      this.messages = recent
      this.hasOlder = (recent[0]?.seq ?? 1) > 1
      this.loaded = true
      this.lastRev = Math.max(this.lastRev, roomRev)
      this.#advanceRev()
      if (this.#absorb([]) || this.#behind()) await this.catchUp()
      return
    }
    this.#absorb(recent)
    await this.catchUp()
  }

  /** A live `message:created` or `message:updated` (or our own command's ack): its current state. */
  receive(message: MessageDto): void {
    this.learnOwn([message])
    const gap = this.#absorb([message])
    this.#noteRev(message.rev, true)
    if (gap || this.#behind()) this.catchUp().catch(() => {})
  }

  /** A live `message:deleted`: ids only, so the held copy becomes the tombstone. */
  removed(deleted: MessageDeletedDto): void {
    this.#noteRev(deleted.rev, this.#tombstone(deleted))
    if (this.#behind()) this.catchUp().catch(() => {})
  }

  /** Fetches every change after lastRev, then any seq hole left, page by page (single flight). */
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
          await this.#fetchChanges()
          if (this.#ahead.size > 0) await this.#fetchAfterSeq()
        } while (this.#again && !this.#disposed)
      } finally {
        this.#catchingUp = null
      }
    })()
    return this.#catchingUp
  }

  /** Infinite scroll: one page of older history (a call while one is on its way waits for that one). */
  loadOlder(): Promise<void> {
    this.#older ??= this.#loadOlder().finally(() => (this.#older = null))
    return this.#older
  }
  #older: Promise<void> | null = null

  /**
   * Older pages until the message after `seq` is held (issue 18: a room opens at its first unread
   * message, above the newest page when many arrived), at most `maxPages` of them.
   */
  async loadBackTo(seq: number, maxPages = 20): Promise<void> {
    for (let i = 0; i < maxPages && this.hasOlder && (this.messages[0]?.seq ?? 0) > seq + 1; i++) await this.loadOlder()
  }

  async #loadOlder(): Promise<void> {
    const first = this.messages[0]?.seq
    if (!this.hasOlder || first === undefined) return
    this.loadingOlder = true
    try {
      const page = await send<HistoryDto>(
        `/api/rooms/${this.roomId}/messages${query({ before: first, limit: OLDER_PAGE })}`,
      )
      this.learnOwn(page.messages)
      const older = page.messages.filter((m) => m.seq < (this.messages[0]?.seq ?? first))
      this.messages = [...older, ...this.messages]
      this.hasOlder = page.hasMore && older.length > 0
    } finally {
      this.loadingOlder = false
      const late = this.#late
      this.#late = []
      for (const change of late) {
        if ('kind' in change) this.#replaceHeld([change])
        else this.#tombstone(change)
      }
    }
  }

  /**
   * Shows the message at once as "sending"; it becomes a stored message when the server acks it
   * (matched by clientMsgId). While offline it waits and goes out on reconnect; a re-send with the
   * same clientMsgId is stored once.
   */
  async send(topic: string, content: string, attachments: string[] = []): Promise<void> {
    const clientMsgId = newId()
    this.pending.push({ clientMsgId, topic, content, attachments, status: 'sending' })
    await this.#deliver(clientMsgId)
  }

  retry(clientMsgId: string): Promise<void> {
    return this.#deliver(clientMsgId)
  }

  discard(clientMsgId: string): void {
    this.pending = this.pending.filter((p) => p.clientMsgId !== clientMsgId)
  }

  /** Edits one of our messages; shown as soon as the server has stored it. Not queued while offline. */
  async edit(messageId: string, content: string): Promise<void> {
    const payload = { roomId: this.roomId, messageId, content }
    const { message } = await answered(() => socket.timeout(ACK_TIMEOUT_MS).emitWithAck('message:edit', payload))
    this.receive(message)
  }

  /** Deletes a message (ours, or any in a room we created); it becomes a tombstone. */
  async delete(messageId: string): Promise<void> {
    const payload = { roomId: this.roomId, messageId }
    const { message } = await answered(() => socket.timeout(ACK_TIMEOUT_MS).emitWithAck('message:delete', payload))
    this.receive(message)
  }

  // --- Replies, votes and reactions (issue 16).

  /** The room's timeline as shown: replies only when also sent to the room (as in Slack). */
  get visible(): MessageDto[] {
    return this.messages.filter((m) => m.threadRootId === null || m.alsoInRoom)
  }

  /** Our own vote and reactions on a message. */
  ownOf(messageId: string): OwnStateDto {
    return this.own[messageId] ?? NO_OWN
  }

  /** `mine:changed`: what a tab of ours did (this one included). */
  ownChanged(change: OwnStateChangedDto): void {
    this.#setOwn(change.messageId, change.rev, change)
  }

  /** Toggles our vote; the ack brings the new counts and our state. Not queued while offline. */
  async vote(messageId: string, vote: Vote): Promise<MessageDto> {
    const payload = { roomId: this.roomId, messageId, vote }
    const { message } = await answered(() => socket.timeout(ACK_TIMEOUT_MS).emitWithAck('message:vote', payload))
    this.receive(message)
    return message
  }

  /** Toggles our reaction with one emoji. */
  async react(messageId: string, emoji: string): Promise<MessageDto> {
    const payload = { roomId: this.roomId, messageId, emoji }
    const { message } = await answered(() => socket.timeout(ACK_TIMEOUT_MS).emitWithAck('message:react', payload))
    this.receive(message)
    return message
  }

  /** Sends a reply to a thread (stored once even if retried: one clientMsgId). */
  async reply(
    replyTo: string,
    topic: string,
    content: string,
    alsoInRoom: boolean,
    attachments: string[] = [],
  ): Promise<MessageDto> {
    const payload = { roomId: this.roomId, topic, content, clientMsgId: newId(), replyTo, alsoInRoom, attachments }
    const { message } = await answered(() => socket.timeout(ACK_TIMEOUT_MS).emitWithAck('message:send', payload))
    this.receive(message)
    return message
  }

  /** Our own state from messages we fetched (history, changes, a thread, the top view). */
  learnOwn(messages: MessageDto[]): void {
    for (const m of messages) if (m.mine) this.#setOwn(m.id, m.rev, m.mine)
  }

  #setOwn(messageId: string, rev: number, state: OwnStateDto): void {
    const held = this.own[messageId]
    if (held && held.rev > rev) return
    this.own = { ...this.own, [messageId]: { vote: state.vote, reactions: state.reactions, rev } }
  }

  /** The newest message of ours that can still be edited (Up-arrow in an empty composer). */
  lastEditable(userId: string): MessageDto | undefined {
    return this.visible.findLast((m) => m.kind === 'user' && m.author?.id === userId && m.deletedAt === null)
  }

  dispose(): void {
    this.#disposed = true
  }

  async #fetchChanges(): Promise<void> {
    let more = true
    while (more && !this.#disposed) {
      const page = await send<ChangesDto>(
        `/api/rooms/${this.roomId}/changes${query({ after: this.lastRev, limit: CATCH_UP_PAGE })}`,
      )
      this.learnOwn(page.changes)
      this.#absorb(page.changes)
      more = page.hasMore && page.changes.length > 0
      // A full page covers the revs up to its last change (a change it skips was superseded by a later
      // one, still to come); the last page covers everything up to the room's rev.
      const upTo = more ? (page.changes.at(-1)?.rev ?? 0) : page.rev
      this.lastRev = Math.max(this.lastRev, upTo)
      this.#advanceRev()
    }
  }

  /** Seq holes the change stream left (it should leave none): filled from history. */
  async #fetchAfterSeq(): Promise<void> {
    let more = true
    while (more && this.#ahead.size > 0 && !this.#disposed) {
      const page = await send<HistoryDto>(
        `/api/rooms/${this.roomId}/messages${query({ after: this.lastSeq, limit: CATCH_UP_PAGE })}`,
      )
      this.#absorb(page.messages)
      more = page.hasMore
    }
  }

  async #deliver(clientMsgId: string): Promise<void> {
    const find = () => this.pending.find((p) => p.clientMsgId === clientMsgId)
    const item = find()
    if (!item) return
    item.status = 'sending'
    item.error = undefined
    const payload = {
      roomId: this.roomId,
      topic: item.topic,
      content: item.content,
      clientMsgId,
      attachments: item.attachments ?? [],
    }
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
      this.receive(message)
    } catch (err) {
      const failed = find()
      if (failed) {
        failed.status = 'failed'
        failed.error = err instanceof ApiError ? err.message : 'Not sent.'
      }
      throw err
    }
  }

  /** Counts a change seen live; `applied`: what we hold now reflects it. */
  #noteRev(rev: number, applied: boolean): void {
    this.#maxRev = Math.max(this.#maxRev, rev)
    if (applied && rev > this.lastRev) this.#revsAhead.add(rev)
    if (this.loaded) this.#advanceRev()
  }

  #advanceRev(): void {
    for (const rev of this.#revsAhead) if (rev <= this.lastRev) this.#revsAhead.delete(rev)
    while (this.#revsAhead.delete(this.lastRev + 1)) this.lastRev += 1
  }

  /** A change was seen that is not held yet (nor counted): the change stream has it. */
  #behind(): boolean {
    return this.loaded && this.#maxRev > this.lastRev
  }

  /**
   * Adds or updates messages: those within the window replace their older copy in place; the rest
   * wait in `#ahead` and join the window as soon as they are contiguous. Returns true if a gap remains.
   */
  #absorb(incoming: MessageDto[], reconcile = true): boolean {
    const held: MessageDto[] = []
    for (const m of incoming) {
      if (m.seq <= this.lastSeq) held.push(m)
      else if ((this.#ahead.get(m.seq)?.rev ?? -1) < m.rev) this.#ahead.set(m.seq, m)
    }
    // Before the first room:join answer there is no window to join: everything waits (a message sent
    // before the room finished loading is acked before it — issue 12's newcomer test under load).
    if (!this.loaded) return false
    for (const [seq, m] of this.#ahead) {
      if (seq > this.lastSeq) continue
      held.push(m) // came with `recent`: the newer copy wins
      this.#ahead.delete(seq)
    }
    this.#replaceHeld(held)
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

  /** Puts newer copies of messages in the window in place; older than the window: ignored. */
  #replaceHeld(updates: MessageDto[]): void {
    const first = this.messages[0]?.seq
    if (first === undefined || updates.length === 0) return
    let next: MessageDto[] | null = null
    for (const m of updates) {
      if (m.seq < first) {
        if (this.loadingOlder) this.#late.push(m)
        continue
      }
      const i = m.seq - first
      const current = (next ?? this.messages)[i]
      if (current?.id !== m.id || current.rev >= m.rev) continue
      next ??= [...this.messages]
      next[i] = m
      if (m.deletedAt !== null && this.editing === m.id) this.editing = null
    }
    if (next) this.messages = next
  }

  /** Turns the held copy into a tombstone; false if the message is not held (the change stream brings it). */
  #tombstone({ id, seq, rev }: MessageDeletedDto): boolean {
    const waiting = this.#ahead.get(seq)
    if (waiting?.id === id) {
      if (waiting.rev < rev) this.#ahead.set(seq, tombstone(waiting, rev))
      return true
    }
    const first = this.messages[0]?.seq
    if (!this.loaded || first === undefined || seq > this.lastSeq) return false
    if (seq < first) {
      if (this.loadingOlder) this.#late.push({ roomId: this.roomId, id, seq, rev })
      return true
    }
    const current = this.messages[seq - first]
    if (current?.id !== id) return false
    this.#replaceHeld([tombstone(current, rev)])
    return true
  }

  /**
   * The broadcast of our own message usually arrives just before its ack: retire the "sending" copy
   * with the same clientMsgId so the message never shows twice.
   */
  #reconcile(added: MessageDto[]): void {
    const me = session.user?.id
    if (!me || this.pending.length === 0) return
    for (const m of added) {
      if (m.author?.id !== me) continue
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
