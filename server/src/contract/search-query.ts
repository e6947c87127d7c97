// The search query language: one parser and one evaluator, shared by the server (which compiles the
// parsed query to SQL, search/search.sql.ts) and the web client (which evaluates live messages against a
// saved filter). No imports, zod above all: the web bundles this file.
//
// Semantics (README "Search"), the same on both sides:
// - every term must hold (AND); `-term` negates any term;
// - a word of ASCII letters and digits only (`deploy`, `v2`) matches a word of the message that starts
//   with it, case-insensitively (`deploy` finds "Deploying"); words are the runs of ASCII letters and
//   digits (PostgreSQL full-text search over that text);
// - any other word (`db.json`, `t-shirt`, `PLT-3699`, `a/b`, `50%`, CJK, emoji) and every "phrase"
//   matches that exact text anywhere in the message, case-insensitively (pg_trgm);
// - `#tag` matches messages carrying that hashtag (see `extractHashtags`);
// - `topic:x` the topic exactly, `from:name` the author, `in:name` the room (case-insensitive);
// - `before:D` sent before day D began, `after:D` sent after day D ended, `on:D` during day D, in the
//   viewer's time zone;
// - `has:link` contains an http(s) link; `is:reply` is a reply in a thread.
// Deleted messages and system notices never match. Unknown `key:` tokens are plain words.

/** The longest query accepted, in characters. */
export const SEARCH_QUERY_MAX = 500
/** The most results one search page returns. */
export const SEARCH_PAGE_MAX = 50
/** Longest hashtag stored (longer ones are not tags). */
export const HASHTAG_MAX = 64
/** Saved filters per user. */
export const FILTERS_PER_USER_MAX = 50
export const FILTER_NAME_MAX = 64

export type Term =
  | { kind: 'word'; value: string; negated: boolean }
  | { kind: 'phrase'; value: string; negated: boolean }
  | { kind: 'hashtag'; value: string; negated: boolean }
  | { kind: 'topic' | 'from' | 'in'; value: string; negated: boolean }
  | { kind: 'before' | 'after' | 'on'; date: string; negated: boolean }
  | { kind: 'has'; value: 'link'; negated: boolean }
  | { kind: 'is'; value: 'reply'; negated: boolean }

export type ParsedQuery = { terms: Term[] }
export type ParseResult = { ok: true; query: ParsedQuery } | { ok: false; error: string }

/** The operators, for hints in the search box. */
export const SEARCH_OPERATORS: { syntax: string; meaning: string }[] = [
  { syntax: '"exact phrase"', meaning: 'this exact text' },
  { syntax: '-word', meaning: 'without this word' },
  { syntax: '#tag', meaning: 'messages with this hashtag' },
  { syntax: 'from:username', meaning: 'sent by this person' },
  { syntax: 'in:room', meaning: 'in this room' },
  { syntax: 'topic:name', meaning: 'with this topic' },
  { syntax: 'before:YYYY-MM-DD', meaning: 'sent before that day' },
  { syntax: 'after:YYYY-MM-DD', meaning: 'sent after that day' },
  { syntax: 'on:YYYY-MM-DD', meaning: 'sent that day' },
  { syntax: 'has:link', meaning: 'contains a link' },
  { syntax: 'is:reply', meaning: 'a reply in a thread' },
]

const TEXT_KEYS = new Set(['topic', 'from', 'in'])
const DATE_KEYS = new Set(['before', 'after', 'on'])
const TAG_BODY = '[\\p{L}\\p{N}_]+(?:-[\\p{L}\\p{N}_]+)*'
const WHOLE_TAG = new RegExp(`^#(${TAG_BODY})$`, 'u')
/** `#` not preceded by a letter, digit, `_`, `&`, `/` or `#` (so `a#b`, `&#38;` and URL fragments are not tags). */
const HASHTAGS = new RegExp(`(?<![\\p{L}\\p{N}_&/#])#(${TAG_BODY})`, 'gu')
const FTS_WORD = /^[A-Za-z0-9]+$/
const LINK = /https?:\/\//i

/** Splits a query into tokens: whitespace separates, `"…"` groups (also after `key:` and `-`). */
function tokenize(input: string): { raw: string; quoted: boolean; prefix: string }[] {
  const tokens: { raw: string; quoted: boolean; prefix: string }[] = []
  let i = 0
  const s = input
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++
    if (i >= s.length) break
    // Everything up to a quote or whitespace is the prefix (`-`, `topic:`, a plain word).
    let start = i
    while (i < s.length && !/\s/.test(s[i]) && s[i] !== '"') i++
    const prefix = s.slice(start, i)
    if (s[i] === '"' && (prefix === '' || prefix === '-' || /^-?[A-Za-z]+:$/.test(prefix))) {
      start = ++i
      while (i < s.length && s[i] !== '"') i++
      tokens.push({ raw: s.slice(start, i), quoted: true, prefix })
      i++ // the closing quote (or the end)
    } else {
      // A quote inside a word is part of the word (`it"s`): read on to the next whitespace.
      while (i < s.length && !/\s/.test(s[i])) i++
      tokens.push({ raw: s.slice(start, i), quoted: false, prefix: '' })
    }
  }
  return tokens
}

/** Parses a query. Never throws; a malformed date is the only error, and it names the token. */
export function parseQuery(input: string): ParseResult {
  const terms: Term[] = []
  for (const token of tokenize(input)) {
    if (token.quoted) {
      const negated = token.prefix.startsWith('-')
      const key = token.prefix.replace(/^-/, '').replace(/:$/, '').toLowerCase()
      const value = token.raw.trim().replace(/\s+/g, ' ')
      if (value === '') continue
      if (key === '') terms.push({ kind: 'phrase', value, negated })
      else if (TEXT_KEYS.has(key)) terms.push({ kind: key as 'topic', value: cleanValue(key, value), negated })
      else terms.push({ kind: 'phrase', value: `${token.prefix.replace(/^-/, '')}${value}`, negated })
      continue
    }
    let raw = token.raw
    let negated = false
    if (raw.length > 1 && raw.startsWith('-')) {
      negated = true
      raw = raw.slice(1)
    }
    const colon = raw.indexOf(':')
    if (colon > 0 && colon < raw.length - 1) {
      const key = raw.slice(0, colon).toLowerCase()
      const value = raw.slice(colon + 1)
      if (TEXT_KEYS.has(key)) {
        terms.push({ kind: key as 'topic', value: cleanValue(key, value), negated })
        continue
      }
      if (DATE_KEYS.has(key)) {
        if (!isValidDate(value)) return { ok: false, error: `Invalid date in "${token.raw}": use YYYY-MM-DD.` }
        terms.push({ kind: key as 'before', date: value, negated })
        continue
      }
      if (key === 'has' && value.toLowerCase() === 'link') {
        terms.push({ kind: 'has', value: 'link', negated })
        continue
      }
      if (key === 'is' && value.toLowerCase() === 'reply') {
        terms.push({ kind: 'is', value: 'reply', negated })
        continue
      }
    }
    const tag = WHOLE_TAG.exec(raw)
    if (tag) terms.push({ kind: 'hashtag', value: tag[1].toLowerCase(), negated })
    else terms.push({ kind: 'word', value: raw, negated })
  }
  return { ok: true, query: { terms } }
}

/** `from:@bob` is `from:bob`, `in:#general` is `in:general`. */
function cleanValue(key: string, value: string): string {
  if (key === 'from') return value.replace(/^@/, '')
  if (key === 'in') return value.replace(/^#/, '')
  return value
}

/** `YYYY-MM-DD`, a real calendar day, years 1000–9999. */
export function isValidDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (!m) return false
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (y < 1000) return false
  const t = new Date(Date.UTC(y, mo - 1, d))
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d
}

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>()
/** The zone's offset from UTC at instant `utcMs`, in ms (local wall clock − UTC). */
function offsetMs(utcMs: number, tz: string): number {
  let f = offsetFormats.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    offsetFormats.set(tz, f)
  }
  const p = Object.fromEntries(f.formatToParts(utcMs).map((x) => [x.type, x.value]))
  const local = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  )
  return local - Math.floor(utcMs / 1000) * 1000
}

const dayStarts = new Map<string, number>()
/** The instant (epoch ms) day `date` (YYYY-MM-DD) begins in time zone `tz`; `plusDays` moves the day. */
export function dayStart(date: string, tz: string, plusDays = 0): number {
  // Remembered: a live filter evaluates the same few days for every message that arrives.
  const key = `${date}|${tz}|${plusDays}`
  const known = dayStarts.get(key)
  if (known !== undefined) return known
  if (dayStarts.size > 1000) dayStarts.clear()
  const t = computeDayStart(date, tz, plusDays)
  dayStarts.set(key, t)
  return t
}

function computeDayStart(date: string, tz: string, plusDays: number): number {
  const [y, m, d] = date.split('-').map(Number)
  const wall = Date.UTC(y, m - 1, d + plusDays)
  let t = wall - offsetMs(wall, tz)
  t = wall - offsetMs(t, tz) // a second pass settles days whose offset differs from the guess's
  return t
}

/** The time window a date term stands for: `from` inclusive, `to` exclusive (epoch ms; either may be open). */
export function dateBounds(term: Term & { date: string }, tz: string): { from?: number; to?: number } {
  if (term.kind === 'before') return { to: dayStart(term.date, tz) }
  if (term.kind === 'after') return { from: dayStart(term.date, tz, 1) }
  return { from: dayStart(term.date, tz), to: dayStart(term.date, tz, 1) }
}

/**
 * A message's hashtags, lower-cased, each once, in order of appearance: `#` then letters, digits and
 * `_`, with single `-` inside (`#t-shirt`), at most HASHTAG_MAX characters. The server stores exactly
 * this in Message.hashtags when a message is written or edited.
 */
export function extractHashtags(content: string): string[] {
  const tags: string[] = []
  for (const m of content.matchAll(HASHTAGS)) {
    const tag = m[1].toLowerCase()
    if (tag.length <= HASHTAG_MAX && !tags.includes(tag)) tags.push(tag)
  }
  return tags
}

/** How a word or phrase is matched: `word` = prefix of a full-text word, `text` = substring. */
export function textMode(term: Term & { kind: 'word' | 'phrase' }): 'word' | 'text' {
  return term.kind === 'word' && FTS_WORD.test(term.value) ? 'word' : 'text'
}

/** The words full-text search sees in a text: runs of ASCII letters and digits, lower-cased. */
export function ftsWords(content: string): string[] {
  return content
    .replace(/[^A-Za-z0-9]+/g, ' ')
    .toLowerCase()
    .split(' ')
    .filter((w) => w !== '')
}

/** What the evaluator needs of a message (a MessageDto has it all). */
export type SearchableMessage = {
  roomId: string
  kind: string
  author: { username: string } | null
  topic: string
  content: string
  createdAt: string
  deletedAt: string | null
  /** The thread's first message, for a reply (`is:reply`); null for a message of the room itself. */
  threadRootId: string | null
}

export type EvalContext = {
  /** The name of a room the viewer can read, or undefined. */
  roomName(roomId: string): string | undefined
  /** The viewer's IANA time zone. */
  timeZone: string
}

/** Whether a message matches a query: the client's live filter, equal to what the server's SQL finds. */
export function matchesQuery(query: ParsedQuery, message: SearchableMessage, ctx: EvalContext): boolean {
  if (message.deletedAt !== null || message.kind === 'system') return false
  let words: string[] | null = null
  let tags: string[] | null = null
  const content = message.content.toLowerCase()
  for (const term of query.terms) {
    let hit: boolean
    switch (term.kind) {
      case 'word':
      case 'phrase':
        if (textMode(term) === 'word') {
          words ??= ftsWords(message.content)
          const w = term.value.toLowerCase()
          hit = words.some((x) => x.startsWith(w))
        } else hit = content.includes(term.value.toLowerCase())
        break
      case 'hashtag':
        tags ??= extractHashtags(message.content)
        hit = tags.includes(term.value)
        break
      case 'topic':
        hit = message.topic.toLowerCase() === term.value.toLowerCase()
        break
      case 'from':
        hit = message.author !== null && message.author.username === term.value.toLowerCase()
        break
      case 'in':
        hit = ctx.roomName(message.roomId)?.toLowerCase() === term.value.toLowerCase()
        break
      case 'before':
      case 'after':
      case 'on': {
        const t = Date.parse(message.createdAt)
        const { from, to } = dateBounds(term, ctx.timeZone)
        hit = (from === undefined || t >= from) && (to === undefined || t < to)
        break
      }
      case 'has':
        hit = LINK.test(message.content)
        break
      case 'is':
        hit = message.threadRootId !== null
        break
    }
    if (hit === term.negated) return false
  }
  return true
}

/** Whether a query has at least one term (an empty query is refused by search). */
export const isEmptyQuery = (query: ParsedQuery) => query.terms.length === 0

/**
 * The parts of `content` a query's positive word, phrase and hashtag terms matched, as sorted,
 * non-overlapping [start, end) UTF-16 ranges: what the result list marks.
 */
export function matchRanges(query: ParsedQuery, content: string): [number, number][] {
  const ranges: [number, number][] = []
  const lower = content.toLowerCase()
  const sameLength = lower.length === content.length // else indexes of `lower` do not map back
  for (const term of query.terms) {
    if (term.negated) continue
    if (term.kind === 'word' || term.kind === 'phrase') {
      if (textMode(term) === 'word') {
        const w = term.value.toLowerCase()
        for (const m of content.matchAll(/[A-Za-z0-9]+/g)) {
          if (m[0].toLowerCase().startsWith(w)) ranges.push([m.index, m.index + m[0].length])
        }
      } else if (sameLength) {
        const needle = term.value.toLowerCase()
        for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + needle.length)) {
          ranges.push([at, at + needle.length])
        }
      }
    } else if (term.kind === 'hashtag') {
      for (const m of content.matchAll(HASHTAGS)) {
        if (m[1].toLowerCase() === term.value) ranges.push([m.index, m.index + m[0].length])
      }
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1])
  const merged: [number, number][] = []
  for (const r of ranges) {
    const last = merged[merged.length - 1]
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1])
    else merged.push([r[0], r[1]])
  }
  return merged
}
