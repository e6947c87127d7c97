import type { MessageDto } from '@contract/messages'

/** Messages from one author this close together share one header (avatar, name, email, time). */
export const GROUP_WINDOW_MS = 5 * 60_000

export type Row =
  | { kind: 'day'; key: string; date: string }
  | { kind: 'notice'; key: string; message: MessageDto }
  | { kind: 'message'; key: string; message: MessageDto; continued: boolean; topicChanged: boolean }

/** The local calendar day of an instant, e.g. "2025-03-07". */
export function dayKey(time: string | number): string {
  const d = new Date(time)
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

/**
 * True when `message` continues the group `previous` started (same author, same day, within the
 * window). A system notice has no author: it ends a group and never joins or starts one.
 */
export function continues(previous: MessageDto | undefined, message: MessageDto): boolean {
  if (!previous?.author || !message.author || previous.author.id !== message.author.id) return false
  if (previous.kind !== message.kind) return false
  const gap = Date.parse(message.createdAt) - Date.parse(previous.createdAt)
  return gap >= 0 && gap < GROUP_WINDOW_MS && dayKey(previous.createdAt) === dayKey(message.createdAt)
}

/**
 * The history as rendered: a separator before each new day, system notices on their own rows, and
 * each message marked as a group's first or not. A grouped message shows its topic when it differs
 * from the last one shown in its group (a tombstone has none, so it shows none and changes nothing).
 */
export function toRows(messages: readonly MessageDto[]): Row[] {
  const rows: Row[] = []
  let previous: MessageDto | undefined
  let groupTopic: string | undefined
  for (const message of messages) {
    const day = dayKey(message.createdAt)
    if (!previous || dayKey(previous.createdAt) !== day) rows.push({ kind: 'day', key: `day-${day}`, date: day })
    const continued = continues(previous, message)
    previous = message
    if (message.kind === 'system') {
      rows.push({ kind: 'notice', key: message.id, message })
      continue
    }
    const deleted = message.deletedAt !== null
    if (!continued) groupTopic = undefined
    rows.push({
      kind: 'message',
      key: message.id,
      message,
      continued,
      topicChanged: continued && !deleted && groupTopic !== message.topic,
    })
    if (!deleted) groupTopic = message.topic
  }
  return rows
}

const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' })
const withYear = new Intl.DateTimeFormat(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' })

/** "Today", "Yesterday", "Monday, March 3", or with the year when it is not this year. */
export function dayLabel(day: string, now: number): string {
  const [y, m, d] = day.split('-').map(Number)
  const date = new Date(y, m - 1, d)
  const today = new Date(now)
  if (day === dayKey(now)) return 'Today'
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1)
  if (day === dayKey(yesterday.getTime())) return 'Yesterday'
  return (date.getFullYear() === today.getFullYear() ? weekday : withYear).format(date)
}
