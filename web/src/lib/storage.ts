// localStorage wrappers: storage can be full, disabled or blocked (private modes), and the UI must
// still work then — just without remembering anything across reloads.

export const KEYS = {
  /** The signed-in user's session: `{ token, user }`. */
  session: 'parlor.session',
  /** The guest token, shared by every tab so one guest counts once. */
  guest: 'parlor.guest',
  /** Last topic used in a room. */
  topic: (roomId: string) => `parlor.topic.${roomId}`,
  /** Set while the presence is `away` because a tab saw you idle (issue 19), so any tab may undo it. */
  autoAway: 'parlor.autoAway',
  /** When any tab last saw input (ms), so one idle tab does not set you away while you use another. */
  lastActive: 'parlor.lastActive',
  /** Issue 18: browser notifications were turned on in this browser (off by default). */
  notifications: 'parlor.notifications',
} as const

export function readJson<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(key)
    return raw === null ? null : (JSON.parse(raw) as T)
  } catch {
    return null
  }
}

export function writeJson(key: string, value: unknown): void {
  try {
    if (value === null || value === undefined) localStorage.removeItem(key)
    else localStorage.setItem(key, JSON.stringify(value))
  } catch {
    // Not persisted; the in-memory state still works.
  }
}

export function readText(key: string): string | null {
  try {
    return localStorage.getItem(key)
  } catch {
    return null
  }
}

export function writeText(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key)
    else localStorage.setItem(key, value)
  } catch {
    // Not persisted.
  }
}
