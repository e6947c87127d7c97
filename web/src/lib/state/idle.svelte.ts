import type { Presence } from '@contract/profiles'
import { KEYS, readText, writeText } from '../storage'

/** No input for this long sets you away (Slack uses about 10 minutes, Zulip 2–5). */
export const IDLE_MS = 5 * 60_000
const RECHECK_MS = 5_000
const ACTIVITY = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart', 'focus'] as const

/**
 * Away when idle: after IDLE_MS without input the presence becomes `away`, and the first input after
 * that, in any tab, brings it back to `online` — only if a tracker set it away (the mark is shared
 * through localStorage; a chosen away or do-not-disturb is left alone).
 */
export function trackIdle({
  current,
  set,
}: {
  /** The presence you chose last: null while signed out, undefined while your profile is loading. */
  current: () => Presence | null | undefined
  set: (presence: Presence) => Promise<unknown>
}): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  const autoAway = () => readText(KEYS.autoAway) === '1'

  let noted = 0
  const idle = () => {
    const elsewhere = Number(readText(KEYS.lastActive) ?? 0)
    const left = elsewhere + IDLE_MS - Date.now()
    if (left > 0) {
      timer = setTimeout(idle, left) // active in another tab meanwhile
      return
    }
    const presence = current()
    if (presence === undefined) {
      timer = setTimeout(idle, RECHECK_MS) // idle before your profile arrived: look again shortly
      return
    }
    if (presence !== 'online') return
    writeText(KEYS.autoAway, '1')
    void set('away').catch(() => writeText(KEYS.autoAway, null))
  }
  const active = () => {
    clearTimeout(timer)
    timer = setTimeout(idle, IDLE_MS)
    const now = Date.now()
    if (now - noted > 10_000) {
      noted = now
      writeText(KEYS.lastActive, String(now))
    }
    if (!autoAway()) return
    writeText(KEYS.autoAway, null)
    if (current() === 'away') void set('online').catch(() => {})
  }
  for (const event of ACTIVITY) addEventListener(event, active, { passive: true })
  timer = setTimeout(idle, IDLE_MS)
  return () => {
    clearTimeout(timer)
    for (const event of ACTIVITY) removeEventListener(event, active)
  }
}
