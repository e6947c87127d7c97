// The client/server agreement property (issue 17, "Live filters"): random messages × random queries,
// the client's `matchesQuery` must select exactly the messages the server's SQL finds. Shared by the
// fast tier (search.sql.unit.test.ts, on an in-process PGlite) and the server suite (search.test.ts,
// through /api/search on the real PostgreSQL). Deterministic: a seeded generator, the seed in every
// failure message.
import { parseQuery, type ParsedQuery } from '../contract/search-query'

/** mulberry32: a small seeded PRNG, enough for test data. */
export function rng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  }
}
export type Rng = ReturnType<typeof rng>

/** Pieces of content: plain words, punctuation the issue names, LIKE wildcards, CJK, emoji, tags, links. */
export const PIECES = [
  'deploy',
  'Deploying',
  'redeploy',
  'DEPLOY',
  'release',
  'notes',
  'v2',
  '1e5',
  'x42y',
  'db.json',
  'foo.png',
  't-shirt',
  'T-Shirt',
  'PLT-3699',
  'plt',
  'a/b',
  '50%',
  '100_000',
  'x_y',
  "it's",
  'back\\slash',
  '日本語',
  '東京',
  '🎉',
  '🎉🎉',
  'café',
  'CAFÉ',
  'Ünïcödé',
  'жук',
  'ЖУК',
  '#release',
  '#Release',
  '#release-notes',
  '#t-shirt',
  '#日本',
  '#v2',
  'foo#bar',
  '&#38;',
  '#',
  'http://example.com/x',
  'https://a.b/c?d=1',
  'www.example.com',
  'hello world',
  'Hello  World',
  'HELLO',
  'world',
] as const
const SEPARATORS = [' ', ' ', ' ', '  ', ', ', '. ', '\n', '-', '/', '(', ')'] as const

/** Words to search for: pieces, prefixes, fragments and nonsense. */
const NEEDLES = [
  'deploy',
  'dep',
  'DEPLOY',
  'ploy',
  'release',
  'rel',
  'notes',
  'v2',
  'v',
  '1e5',
  'x42',
  'y',
  'db.json',
  'json',
  '.json',
  'foo.png',
  't-shirt',
  'shirt',
  'PLT-3699',
  'plt-',
  '3699',
  'a/b',
  '/',
  '50%',
  '%',
  '_',
  'x_y',
  "it's",
  "'",
  '\\',
  'back\\slash',
  '日本',
  '語',
  '東京',
  '🎉',
  'café',
  'CAFÉ',
  'é',
  'жук',
  'ЖУК',
  'hello',
  'world',
  'www.example',
  'example.com',
  'http',
  'zzqx',
  'foo#bar',
  '#',
] as const
const TAGS = ['release', 'Release', 'release-notes', 't-shirt', '日本', 'v2', 'nothere', 'bar'] as const
const PHRASES = ['hello world', 'Hello World', 'release notes', 'db.json, t-shirt', 'deploy 50%'] as const
export const TOPICS = ['general', 'Release', 'random', 'Ünïcödé'] as const
export const TIME_ZONES = ['UTC', 'America/New_York', 'Asia/Tokyo', 'Pacific/Kiritimati'] as const
/** Messages are spread over these days (UTC) and the searches use days around them. */
export const FIRST_DAY = Date.UTC(2026, 0, 10)
export const DAYS = 6

export type RandomMessage = {
  topic: string
  content: string
  /** Index into the people and rooms the test made. */
  author: number
  room: number
  createdAt: Date
  deleted: boolean
}

export function randomMessage(r: Rng, people: number, rooms: number): RandomMessage {
  const parts: string[] = []
  const n = 1 + r.int(6)
  for (let i = 0; i < n; i++) parts.push(r.pick(PIECES), r.pick(SEPARATORS))
  return {
    topic: r.pick(TOPICS),
    content: parts.join('').trim() || 'x',
    author: r.int(people),
    room: r.int(rooms),
    createdAt: new Date(FIRST_DAY + r.int(DAYS * 24 * 60) * 60_000 + r.int(60_000)),
    deleted: r.chance(0.08),
  }
}

const day = (r: Rng) => new Date(FIRST_DAY + (r.int(DAYS + 2) - 1) * 86_400_000).toISOString().slice(0, 10)

/** A random query text over every operator, with names from the test's people and rooms. */
export function randomQuery(r: Rng, names: { people: string[]; rooms: string[] }): string {
  const terms: string[] = []
  const n = 1 + r.int(3)
  for (let i = 0; i < n; i++) {
    const neg = r.chance(0.2) ? '-' : ''
    switch (r.int(11)) {
      case 0:
      case 1:
      case 2:
        terms.push(neg + r.pick(NEEDLES))
        break
      case 3:
        terms.push(`${neg}"${r.pick(PHRASES)}"`)
        break
      case 4:
        terms.push(`${neg}#${r.pick(TAGS)}`)
        break
      case 5: {
        const t = r.pick(TOPICS)
        terms.push(`${neg}topic:${/\s/.test(t) ? `"${t}"` : r.chance(0.5) ? t.toUpperCase() : t}`)
        break
      }
      case 6:
        terms.push(`${neg}from:${r.chance(0.2) ? 'nobody_here' : r.pick(names.people)}`)
        break
      case 7:
        terms.push(`${neg}in:${r.chance(0.2) ? 'no-such-room' : r.pick(names.rooms)}`)
        break
      case 8:
        terms.push(`${neg}${r.pick(['before', 'after', 'on'])}:${day(r)}`)
        break
      case 9:
        terms.push(`${neg}has:link`)
        break
      default:
        terms.push(`${neg}is:reply`)
    }
  }
  return terms.join(' ')
}

export function parsed(text: string): ParsedQuery {
  const p = parseQuery(text)
  if (!p.ok) throw new Error(`the generator made an invalid query: ${text}: ${p.error}`)
  return p.query
}
