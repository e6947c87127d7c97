const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' })
const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' })
const dayWithYear = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' })

/** "just now", "5 min. ago", "3 hr. ago", "yesterday", then a date. */
export function relativeTime(iso: string, now: number): string {
  const then = Date.parse(iso)
  const seconds = (then - now) / 1000
  const abs = Math.abs(seconds)
  if (abs < 45) return 'just now'
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute')
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), 'hour')
  if (abs < 7 * 86_400) return relative.format(Math.round(seconds / 86_400), 'day')
  const sameYear = new Date(then).getFullYear() === new Date(now).getFullYear()
  return (sameYear ? day : dayWithYear).format(then)
}

/** The full date and time, for hover titles. */
export function exactTime(iso: string): string {
  return exact.format(Date.parse(iso))
}

/** A stable, readable background for a user's avatar (white text on it passes WCAG AA). */
export function avatarColor(username: string): string {
  let hash = 0
  for (const ch of username) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0
  return `hsl(${hash % 360} 50% 30%)`
}

/** A field name from the server ("participants.0") as people read it ("Participants"). */
export function fieldLabel(field: string): string {
  const head = field.split('.')[0] ?? field
  return head.charAt(0).toUpperCase() + head.slice(1)
}

const hourMinute = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' })

/** "14:05" (or "2:05 PM"): the time of day, for messages under a group's header. */
export function clockTime(iso: string): string {
  return hourMinute.format(Date.parse(iso))
}
