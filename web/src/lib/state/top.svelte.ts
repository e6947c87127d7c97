import type { HistoryDto, MessageDto } from '@contract/messages'
import { query, send } from '../api'
import { timelines } from './timeline.svelte'

const PAGE = 50
const score = (m: MessageDto) => m.upvotes - m.downvotes

/**
 * A room's "top" view (issue 16): its messages by score (upvotes minus downvotes), then newest first,
 * as the server ranks them (`?order=top`); live updates re-rank what is held.
 */
export class TopView {
  readonly roomId: string
  messages = $state.raw<MessageDto[]>([])
  hasMore = $state(false)
  loaded = $state(false)
  loading = $state(false)

  constructor(roomId: string) {
    this.roomId = roomId
  }

  async load(more = false): Promise<void> {
    if (this.loading) return
    this.loading = true
    try {
      const offset = more ? this.messages.length : 0
      const page = await send<HistoryDto>(
        `/api/rooms/${this.roomId}/messages${query({ order: 'top', offset: offset || undefined, limit: PAGE })}`,
      )
      timelines.get(this.roomId).learnOwn(page.messages) // our own votes and reactions
      this.messages = more ? [...this.messages, ...page.messages] : page.messages
      this.hasMore = page.hasMore
      this.loaded = true
    } finally {
      this.loading = false
    }
  }

  /** A live change: a held message in its new state, re-ranked (a deleted one leaves the view). */
  receive(m: MessageDto): void {
    const i = this.messages.findIndex((x) => x.id === m.id)
    if (i < 0 || this.messages[i].rev >= m.rev) return
    const next = m.deletedAt ? this.messages.toSpliced(i, 1) : this.messages.with(i, m)
    this.messages = next.toSorted(
      (x, y) => score(y) - score(x) || Date.parse(y.createdAt) - Date.parse(x.createdAt) || y.seq - x.seq,
    )
  }

  removed(id: string): void {
    this.messages = this.messages.filter((m) => m.id !== id)
  }
}

/** Whether the open room shows its timeline or its top view (one top view at a time). */
class TopViews {
  current = $state<TopView | null>(null)

  show(roomId: string): TopView {
    if (this.current?.roomId !== roomId) this.current = new TopView(roomId)
    return this.current
  }

  hide(): void {
    this.current = null
  }
}

export const topViews = new TopViews()
