import type { RoomActivityDto } from '@contract/unread'
import { KEYS, readText, writeText } from '../storage'

/** What one tab tells the others: whether it is visible and which room it shows. */
type TabState = { tab: string; visible: boolean; roomId: string | null; at: number }

const TAB_STALE_MS = 30_000

/**
 * Browser notifications (issue 18). Off until turned on from a button (the browser asks for the
 * permission only then); remembered per browser. One notification per message however many tabs are
 * open: the tabs elect one leader with a Web Lock (the next tab takes over when it closes), the
 * others tell it over a BroadcastChannel whether they are visible and which room they show, and only
 * the leader notifies — when no visible tab shows the message's room.
 */
class Notifier {
  enabled = $state(readText(KEYS.notifications) === 'on')
  permission = $state<NotificationPermission | 'unsupported'>(
    typeof Notification === 'undefined' ? 'unsupported' : Notification.permission,
  )
  #leader = false
  #tab = Math.random().toString(36).slice(2)
  #tabs = new Map<string, TabState>()
  #channel: BroadcastChannel | null = null
  #current: () => string | null = () => null

  /** Starts the election and the tab-state exchange; `current` gives the room this tab shows. */
  start(current: () => string | null): void {
    this.#current = current
    if (typeof BroadcastChannel !== 'undefined') {
      this.#channel = new BroadcastChannel('parlor.tabs')
      this.#channel.onmessage = (e: MessageEvent<TabState | 'hello'>) => {
        if (e.data === 'hello') this.announce()
        else this.#tabs.set(e.data.tab, e.data)
      }
      this.#channel.postMessage('hello')
    }
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined
    if (locks) void locks.request('parlor.notifier', () => new Promise<void>(() => (this.#leader = true)))
    else this.#leader = true
    addEventListener('visibilitychange', () => this.announce())
    addEventListener('focus', () => this.announce())
    addEventListener('storage', (e) => {
      if (e.key === KEYS.notifications) this.enabled = readText(KEYS.notifications) === 'on'
    })
    this.announce()
  }

  /** Tells the other tabs what this one shows (on every change of room or visibility). */
  announce(): void {
    this.#channel?.postMessage({
      tab: this.#tab,
      visible: document.visibilityState === 'visible',
      roomId: this.#current(),
      at: Date.now(),
    } satisfies TabState)
  }

  /** From the "Turn on notifications" button: asks the browser's permission (only now). */
  async enable(): Promise<void> {
    if (typeof Notification === 'undefined') return
    this.permission = await Notification.requestPermission()
    this.enabled = this.permission === 'granted'
    writeText(KEYS.notifications, this.enabled ? 'on' : null)
  }

  disable(): void {
    this.enabled = false
    writeText(KEYS.notifications, null)
  }

  /** Shown somewhere: a visible tab (this one or another) shows that room. */
  #inView(roomId: string): boolean {
    if (document.visibilityState === 'visible' && this.#current() === roomId) return true
    const now = Date.now()
    for (const t of this.#tabs.values()) if (t.visible && t.roomId === roomId && now - t.at < TAB_STALE_MS) return true
    return false
  }

  /** A new message or mention that `wanted` (the room's setting) asks to be told of. */
  consider(activity: RoomActivityDto, roomName: string, wanted: boolean, open: (roomId: string) => void): void {
    if (!wanted || !this.enabled || !this.#leader || this.permission !== 'granted') return
    if (this.#inView(activity.roomId)) return
    const title = activity.mentioned ? `${activity.author ?? 'Someone'} mentioned you in ${roomName}` : roomName
    const body = activity.mentioned ? activity.preview : `${activity.author ?? 'bot'}: ${activity.preview}`
    const n = new Notification(title, { body, tag: activity.messageId })
    n.onclick = () => {
      focus()
      open(activity.roomId)
      n.close()
    }
  }
}

export const notifier = new Notifier()

/** The tab title's `(N)` and a dot on the favicon while anything is unread. */
export function showUnreadInTab(total: number, baseTitle = 'Parlor'): void {
  document.title = total > 0 ? `(${total > 99 ? '99+' : total}) ${baseTitle}` : baseTitle
  const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]')
  if (!link) return
  void faviconWithDot().then((dotted) => {
    const href = total > 0 ? dotted : '/favicon.svg'
    if (link.getAttribute('href') !== href) link.setAttribute('href', href)
  })
}

let dotted: Promise<string> | null = null
function faviconWithDot(): Promise<string> {
  dotted ??= fetch('/favicon.svg')
    .then((r) => r.text())
    .then((svg) => {
      const dot = '<circle cx="85%" cy="15%" r="15%" fill="#e11d48" stroke="#fff" stroke-width="2"/>'
      return `data:image/svg+xml,${encodeURIComponent(svg.replace(/<\/svg>\s*$/, `${dot}</svg>`))}`
    })
    .catch(() => '/favicon.svg')
  return dotted
}
