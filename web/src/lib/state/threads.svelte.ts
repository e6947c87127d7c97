import type { MessageDeletedDto, MessageDto } from '@contract/messages'
import type { ThreadDto } from '@contract/reactions'
import { query, send } from '../api'
import { timelines } from './timeline.svelte'

const PAGE = 100

/**
 * The open thread (issue 16): its first message and its replies, as this client holds them. Fetched
 * whole when opened (and again after a reconnect), then kept live from the room's events: a copy is
 * replaced only by one with a higher rev, so a late or repeated event is harmless. The root renders
 * from the root itself, so its edits and deletion show through.
 */
export class Thread {
  readonly roomId: string
  readonly rootId: string
  root = $state.raw<MessageDto | null>(null)
  replies = $state.raw<MessageDto[]>([])
  loaded = $state(false)
  failed = $state(false)
  #disposed = false

  constructor(roomId: string, rootId: string) {
    this.roomId = roomId
    this.rootId = rootId
  }

  async load(): Promise<void> {
    try {
      let after = 0
      let more = true
      const replies: MessageDto[] = []
      while (more && !this.#disposed) {
        const page = await send<ThreadDto>(
          `/api/rooms/${this.roomId}/messages/${this.rootId}/thread${query({ after, limit: PAGE })}`,
        )
        this.receive(page.root)
        timelines.get(this.roomId).learnOwn([page.root, ...page.replies]) // our own votes and reactions
        replies.push(...page.replies)
        after = page.replies.at(-1)?.seq ?? after
        more = page.hasMore && page.replies.length > 0
      }
      for (const r of replies) this.receive(r)
      this.loaded = true
      this.failed = false
    } catch (err) {
      this.failed = true
      throw err
    }
  }

  /** A message of the room, live or fetched: kept if it is the root or one of its replies. */
  receive(m: MessageDto): void {
    if (m.roomId !== this.roomId) return
    if (m.id === this.rootId) {
      if (!this.root || this.root.rev < m.rev) this.root = m
      return
    }
    if (m.threadRootId !== this.rootId) return
    const i = this.replies.findIndex((r) => r.id === m.id)
    if (i >= 0) {
      if (this.replies[i].rev >= m.rev) return
      this.replies = this.replies.with(i, m)
    } else {
      this.replies = [...this.replies, m].sort((x, y) => x.seq - y.seq)
    }
  }

  /** `message:deleted`: ids only, so the held copy becomes a tombstone. */
  removed({ id, rev }: MessageDeletedDto): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a time stamp, not state
    const now = new Date().toISOString()
    const gone = (m: MessageDto): MessageDto => ({ ...m, rev, content: '', topic: '', deletedAt: m.deletedAt ?? now })
    if (id === this.rootId && this.root && this.root.rev < rev) this.root = gone(this.root)
    const i = this.replies.findIndex((r) => r.id === id)
    if (i >= 0 && this.replies[i].rev < rev) this.replies = this.replies.with(i, gone(this.replies[i]))
  }

  dispose(): void {
    this.#disposed = true
  }
}

/** Which thread is open (one at a time, beside the room, like Slack). */
class Threads {
  current = $state<Thread | null>(null)

  open(roomId: string, rootId: string): Thread {
    if (this.current?.roomId === roomId && this.current.rootId === rootId) return this.current
    this.current?.dispose()
    const thread = new Thread(roomId, rootId)
    this.current = thread
    return thread
  }

  close(): void {
    this.current?.dispose()
    this.current = null
  }
}

export const threads = new Threads()
