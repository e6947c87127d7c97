import { UNREAD_CAP, type NotifyLevel, type RoomActivityDto, type UnreadDto } from '@contract/unread'
import { send } from '../api'
import { socket } from '../realtime/socket'

/** A room's badge as this tab holds it: the server's count, then the deltas of `room:activity`. */
export type Badge = UnreadDto & {
  /** The newest seq accounted for (the count's `lastSeq`, then each activity's): older activity is already in. */
  knownSeq: number
}

/** How a count reads on screen: `99+` from the server's cap. */
export const formatCount = (n: number) => (n >= UNREAD_CAP ? `${UNREAD_CAP - 1}+` : String(n))

const MARK_DELAY_MS = 400

/**
 * Unread counts (issue 18): one badge per followed room, loaded on every connect (`GET /api/unread`),
 * kept live by `room:activity` (someone else's message, a mention, a deletion) and replaced by
 * `read:changed` (your pointer moved, on this device or another). Reading sends `read:mark`, at most
 * a few per second. Guests have no badges.
 */
class Unread {
  byRoom = $state<Record<string, Badge>>({})
  #marks = new Map<string, { seq: number; timer: ReturnType<typeof setTimeout> }>()
  #refresh: ReturnType<typeof setTimeout> | undefined
  #generation = 0
  /** A room marked unread here: shown messages do not read it again until it is opened anew. */
  #held: string | null = null

  badge(roomId: string): Badge | undefined {
    return this.byRoom[roomId]
  }

  /** Unread messages in every room but those named (the tab title's `(N)`). */
  total(except: string | null = null): number {
    let n = 0
    for (const b of Object.values(this.byRoom)) if (b.roomId !== except) n += Math.min(b.unread, UNREAD_CAP)
    return n
  }

  async load(): Promise<void> {
    const generation = ++this.#generation
    const { rooms } = await send<{ rooms: UnreadDto[] }>('/api/unread')
    if (generation !== this.#generation) return
    const next: Record<string, Badge> = {}
    // A count computed before activity this tab already applied misses that activity: take it for
    // now and ask again (as `apply` does for one room).
    let behind = false
    for (const r of rooms) {
      if ((this.byRoom[r.roomId]?.knownSeq ?? 0) > r.lastSeq) behind = true
      next[r.roomId] = { ...r, knownSeq: r.lastSeq }
    }
    this.byRoom = next
    if (behind) this.refreshSoon()
  }

  /** Loads every badge again soon (several reasons in a row cost one request). */
  refreshSoon(): void {
    clearTimeout(this.#refresh)
    this.#refresh = setTimeout(() => void this.load().catch(() => {}), 200)
  }

  /** `read:changed` or an ack: the server's badge replaces ours. */
  apply(dto: UnreadDto): void {
    const held = this.byRoom[dto.roomId]
    // Activity newer than this count was already applied; the count does not hold it, so ask again.
    if (held && held.knownSeq > dto.lastSeq) this.refreshSoon()
    this.byRoom[dto.roomId] = { ...dto, knownSeq: dto.lastSeq }
  }

  /** `room:activity`. Returns true when it is news: a message (or a mention) not yet counted. */
  activity(a: RoomActivityDto, myId: string | undefined): boolean {
    const b = this.byRoom[a.roomId]
    if (!b) {
      this.refreshSoon() // a room we just started to follow
      return a.kind === 'created' || a.kind === 'mentioned'
    }
    if (a.authorId !== null && a.authorId === myId) return false
    const after = a.seq > b.lastReadSeq
    switch (a.kind) {
      case 'created':
        if (a.seq <= b.knownSeq) return false
        b.knownSeq = a.seq
        if (after && a.counts) b.unread += 1
        if (after && a.mentioned) b.mentions += 1
        return after
      case 'deleted':
        if (!after || a.seq > b.knownSeq) return false
        if (b.unread >= UNREAD_CAP)
          this.refreshSoon() // a capped count cannot be taken from
        else if (a.counts) b.unread = Math.max(0, b.unread - 1)
        if (a.mentioned) b.mentions = Math.max(0, b.mentions - 1)
        return false
      case 'mentioned':
        if (after) b.mentions += 1
        return after
      case 'unmentioned':
        if (after) b.mentions = Math.max(0, b.mentions - 1)
        return false
    }
  }

  /** A message up to `seq` was shown in a visible, focused tab: move the pointer (batched). */
  seen(roomId: string, seq: number): void {
    if (roomId === this.#held) return
    const b = this.byRoom[roomId]
    if (b && seq <= b.lastReadSeq) return
    const queued = this.#marks.get(roomId)
    if (queued && queued.seq >= seq) return
    clearTimeout(queued?.timer)
    const timer = setTimeout(() => {
      this.#marks.delete(roomId)
      this.#emit(roomId, { seq })
    }, MARK_DELAY_MS)
    this.#marks.set(roomId, { seq, timer })
  }

  /** Another room was opened: a room marked unread reads normally again once it is opened. */
  roomOpened(roomId: string): void {
    if (this.#held !== roomId) this.#held = null
  }

  /** "Mark all as read": everything up to the room's newest message. */
  markAll(roomId: string): void {
    if (this.#held === roomId) this.#held = null
    this.#emit(roomId, {})
  }

  /** "Mark unread from here": the pointer goes back to just before this message. */
  markUnreadFrom(roomId: string, seq: number): void {
    this.#held = roomId
    clearTimeout(this.#marks.get(roomId)?.timer)
    this.#marks.delete(roomId)
    this.#emit(roomId, { seq: Math.max(0, seq - 1), unread: true })
  }

  async setNotify(roomId: string, level: NotifyLevel | 'default'): Promise<void> {
    const { unread } = await send<{ unread: UnreadDto }>(`/api/rooms/${roomId}/notify`, {
      method: 'PATCH',
      body: { level },
    })
    this.apply(unread)
  }

  #emit(roomId: string, fields: { seq?: number; unread?: boolean }): void {
    if (!socket.connected) return
    socket.emit('read:mark', { roomId, ...fields }, (ack) => {
      if (ack.ok) this.apply(ack.unread)
    })
  }

  reset(): void {
    this.#generation++
    for (const { timer } of this.#marks.values()) clearTimeout(timer)
    this.#marks.clear()
    this.byRoom = {}
  }
}

export const unread = new Unread()
