/**
 * Broadcasts a room's messages in seq order. Seqs are assigned and committed in order by PostgreSQL,
 * but concurrent sends on different pool connections can finish in JavaScript out of order. The
 * sequencer holds a finished message while a lower seq may still be finishing on this instance, and
 * releases it as soon as the gap fills — or after `maxHoldMs`, when the gap must belong to another
 * instance (clients fill such gaps from the history API by seq).
 */
export function createRoomSequencer<M extends { seq: number }>({
  emit,
  maxHoldMs = 50,
}: {
  emit: (roomId: string, message: M) => void
  maxHoldMs?: number
}) {
  type State = { inflight: number; lastEmitted: number | null; held: M[]; timer: NodeJS.Timeout | null }
  const rooms = new Map<string, State>()

  const stateOf = (roomId: string): State => {
    let s = rooms.get(roomId)
    if (!s) {
      s = { inflight: 0, lastEmitted: null, held: [], timer: null }
      rooms.set(roomId, s)
    }
    return s
  }

  function release(roomId: string, s: State, all: boolean) {
    s.held.sort((a, b) => a.seq - b.seq)
    while (s.held.length > 0) {
      const next = s.held[0]
      const inOrder = s.lastEmitted !== null && next.seq <= s.lastEmitted + 1
      if (!all && !inOrder) break
      s.held.shift()
      emit(roomId, next)
      s.lastEmitted = Math.max(s.lastEmitted ?? 0, next.seq)
    }
    if (s.timer && s.held.length === 0) {
      clearTimeout(s.timer)
      s.timer = null
    }
    if (s.held.length > 0 && !s.timer) {
      s.timer = setTimeout(() => {
        s.timer = null
        release(roomId, s, true)
      }, maxHoldMs)
    }
    if (s.inflight === 0 && s.held.length === 0) rooms.delete(roomId)
  }

  return {
    /** Call when a send starts; call the returned function exactly once with the stored message, or null if it failed. */
    begin(roomId: string): (message: M | null) => void {
      const s = stateOf(roomId)
      s.inflight++
      let done = false
      return (message) => {
        if (done) return
        done = true
        s.inflight--
        if (message) s.held.push(message)
        // Nothing else in flight here: any remaining gap is another instance's, so do not wait for it.
        release(roomId, s, s.inflight === 0)
      }
    },
    stop() {
      for (const s of rooms.values()) if (s.timer) clearTimeout(s.timer)
      rooms.clear()
    },
  }
}
