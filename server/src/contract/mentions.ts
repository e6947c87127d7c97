import { USERNAME_MAX, USERNAME_MIN } from './limits'

/**
 * Mentions (issue 18), without zod so the web can use the same parser for highlighting: `@username`
 * with word boundaries (`@alicex` is not `@alice`, `bob@example.com` mentions nobody) outside code
 * (inline `code` and fenced blocks), and `@room`. The server stores what it finds for the people who
 * can read the room; the web marks the same tokens.
 */

/** The reserved word that mentions everyone in the room (only its creator may use it). */
export const ROOM_MENTION = 'room'

/** A mention token: `@` not preceded by a word character, a username, then no further username character. */
const TOKEN = new RegExp(
  `(?<![A-Za-z0-9_@.-])@([A-Za-z0-9_-]{${USERNAME_MIN},${USERNAME_MAX}})(?![A-Za-z0-9_-]|@|\\.[A-Za-z0-9])`,
  'g',
)

/** Code spans and fenced blocks, in the order a reader sees them: fences first, then inline code. */
const FENCE = /```[\s\S]*?(?:```|$)/g
const INLINE = /`[^`\n]*`/g

export type MentionPart = { text: string; mention: string | null; code: boolean }

/** Splits text into code and prose runs (code runs are never scanned for mentions). */
function codeRuns(text: string): { text: string; code: boolean }[] {
  const runs: { text: string; code: boolean }[] = []
  const spans: [number, number][] = []
  for (const m of text.matchAll(FENCE)) spans.push([m.index, m.index + m[0].length])
  const masked = spans.reduce((t, [a, b]) => t.slice(0, a) + ' '.repeat(b - a) + t.slice(b), text)
  for (const m of masked.matchAll(INLINE)) spans.push([m.index, m.index + m[0].length])
  spans.sort((x, y) => x[0] - y[0])
  let at = 0
  for (const [a, b] of spans) {
    if (a < at) continue
    if (a > at) runs.push({ text: text.slice(at, a), code: false })
    runs.push({ text: text.slice(a, b), code: true })
    at = b
  }
  if (at < text.length) runs.push({ text: text.slice(at), code: false })
  return runs
}

/**
 * The text cut into parts: prose, code, and mention tokens (`mention` is the lower-cased username,
 * or `room`). Joining every part's `text` gives the input back.
 */
export function mentionParts(text: string): MentionPart[] {
  const parts: MentionPart[] = []
  for (const run of codeRuns(text)) {
    if (run.code) {
      parts.push({ text: run.text, mention: null, code: true })
      continue
    }
    let at = 0
    for (const m of run.text.matchAll(TOKEN)) {
      if (m.index > at) parts.push({ text: run.text.slice(at, m.index), mention: null, code: false })
      parts.push({ text: m[0], mention: m[1].toLowerCase(), code: false })
      at = m.index + m[0].length
    }
    if (at < run.text.length) parts.push({ text: run.text.slice(at), mention: null, code: false })
  }
  return parts
}

/** Who a text mentions: distinct lower-cased usernames (at most `max`), and whether it says `@room`. */
export function extractMentions(text: string, max = 50): { usernames: string[]; room: boolean } {
  const names = new Set<string>()
  let room = false
  for (const part of mentionParts(text)) {
    if (part.mention === null) continue
    if (part.mention === ROOM_MENTION) room = true
    else if (names.size < max) names.add(part.mention)
  }
  return { usernames: [...names], room }
}
