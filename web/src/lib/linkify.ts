/** A piece of message text: plain text, or an http(s) link to render as an `<a>` element. */
export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string }

const URL_CANDIDATE = /\bhttps?:\/\/[^\s<>"'`]+/gi
const TRAILING = new Set(['.', ',', ';', ':', '!', '?', "'", '"', ']', '}'])

/**
 * Splits message text into text and link parts. Nothing here produces HTML: the view renders text
 * parts as text nodes and links as `<a>` elements whose href is a parsed http(s) URL.
 *
 * @example linkify('see https://example.com.') → [text 'see ', link 'https://example.com', text '.']
 */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = []
  let cursor = 0
  for (const match of text.matchAll(URL_CANDIDATE)) {
    const url = trimTrailing(match[0])
    const href = safeHref(url)
    if (!href) continue
    if (match.index > cursor) parts.push({ kind: 'text', text: text.slice(cursor, match.index) })
    parts.push({ kind: 'link', text: url, href })
    cursor = match.index + url.length
  }
  if (cursor < text.length) parts.push({ kind: 'text', text: text.slice(cursor) })
  return parts
}

/** Sentence punctuation after a URL is not part of it; a ")" is, when it closes a "(" in the URL. */
function trimTrailing(url: string): string {
  let end = url.length
  while (end > 0) {
    const ch = url[end - 1]
    if (TRAILING.has(ch)) end -= 1
    else if (ch === ')' && count(url.slice(0, end), '(') < count(url.slice(0, end), ')')) end -= 1
    else break
  }
  return url.slice(0, end)
}

const count = (s: string, ch: string) => s.split(ch).length - 1

function safeHref(url: string): string | null {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null
  } catch {
    return null
  }
}
