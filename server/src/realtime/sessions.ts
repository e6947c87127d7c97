import { userChannel } from './channels'
import type { AppSocket } from './io.types'

const MAX_TIMER_MS = 2_147_483_647

/**
 * Per-socket plumbing every feature relies on: the user channel and the token-expiry cut. One timer
 * per instance, armed for the earliest expiry, rather than one per socket (a Timeout, its closures and
 * often a timer list of its own: about 0.7 kB per socket in heap snapshots). A socket costs one Map
 * entry. Call `detach` when the socket disconnects.
 */
export function createSessions({ sessionExpired }: { sessionExpired: (socket: AppSocket) => void }) {
  /** Sockets whose token expires, with when (epoch ms). */
  const expiries = new Map<AppSocket, number>()
  let timer: NodeJS.Timeout | undefined
  let timerAt = Number.POSITIVE_INFINITY

  function stopTimer() {
    clearTimeout(timer)
    timer = undefined
    timerAt = Number.POSITIVE_INFINITY
  }

  function arm(at: number) {
    if (at >= timerAt) return
    clearTimeout(timer)
    timerAt = at
    // setTimeout cannot wait longer than MAX_TIMER_MS; the sweep then finds nothing due and re-arms.
    timer = setTimeout(sweep, Math.min(Math.max(0, at - Date.now()), MAX_TIMER_MS))
    timer.unref()
  }

  // Token expiries are whole seconds, so one sweep ends every socket due in that second. It walks
  // every entry (~0.15 ms per 10,000 sockets) and runs at most once per distinct expiry second.
  function sweep() {
    stopTimer()
    const now = Date.now()
    let next = Number.POSITIVE_INFINITY
    for (const [socket, at] of expiries) {
      if (at <= now) {
        expiries.delete(socket)
        sessionExpired(socket)
      } else if (at < next) next = at
    }
    if (next < Number.POSITIVE_INFINITY) arm(next)
  }

  return {
    /** On connection: joins the user channel and schedules the cut at token expiry. */
    attach(socket: AppSocket) {
      const { viewer, tokenExp } = socket.data
      if (viewer.kind === 'user') void socket.join(userChannel(viewer.id))
      if (tokenExp !== null) {
        expiries.set(socket, tokenExp * 1000)
        arm(tokenExp * 1000)
      }
    },
    /** On disconnect: forgets the socket. */
    detach(socket: AppSocket) {
      if (expiries.delete(socket) && expiries.size === 0) stopTimer()
    },
  }
}
