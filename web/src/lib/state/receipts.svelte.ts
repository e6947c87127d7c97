import type { ReceiptDto, ReceiptsDto } from '@contract/unread'
import { send } from '../api'

/**
 * "Seen by" (issue 18): how far the other participants of a small private room have read, from their
 * read pointers (no row per message). Loaded when the room is joined, kept live by `receipt:changed`.
 */
class Receipts {
  byRoom = $state<Record<string, Record<string, number>>>({})

  async load(roomId: string): Promise<void> {
    const { receipts, enabled } = await send<ReceiptsDto>(`/api/rooms/${roomId}/receipts`)
    if (!enabled) {
      delete this.byRoom[roomId]
      return
    }
    this.byRoom[roomId] = Object.fromEntries(receipts.map((r) => [r.username, r.lastReadSeq]))
  }

  set(receipt: ReceiptDto): void {
    const room = this.byRoom[receipt.roomId]
    if (room) room[receipt.username] = receipt.lastReadSeq
  }

  /**
   * Who to show under which message: each person under the newest of `seqs` (the shown messages, in
   * order) that they have read, leaving `me` out.
   */
  seenBy(roomId: string, seqs: number[], me: string | undefined): Record<number, string[]> {
    const out: Record<number, string[]> = {}
    const room = this.byRoom[roomId]
    if (!room || seqs.length === 0) return out
    for (const [username, pointer] of Object.entries(room)) {
      if (username === me) continue
      let at = -1
      for (const seq of seqs) if (seq <= pointer) at = seq
      if (at >= 0) out[at] = [...(out[at] ?? []), username].sort()
    }
    return out
  }

  reset(): void {
    this.byRoom = {}
  }
}

export const receipts = new Receipts()
