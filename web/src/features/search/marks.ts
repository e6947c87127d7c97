/** Splits text into plain and marked parts by [start, end) ranges (rendered as text nodes, never HTML). */
export function markedParts(text: string, marks: [number, number][]): { text: string; marked: boolean }[] {
  const parts: { text: string; marked: boolean }[] = []
  let at = 0
  for (const [start, end] of marks) {
    if (start < at || end > text.length || start >= end) continue
    if (start > at) parts.push({ text: text.slice(at, start), marked: false })
    parts.push({ text: text.slice(start, end), marked: true })
    at = end
  }
  if (at < text.length) parts.push({ text: text.slice(at), marked: false })
  return parts
}

/** A window of about `size` characters around the first mark, with ellipses, marks shifted to match. */
export function snippet(
  text: string,
  marks: [number, number][],
  size = 220,
): { text: string; marks: [number, number][] } {
  if (text.length <= size) return { text, marks }
  const first = marks[0]?.[0] ?? 0
  const start = Math.max(0, Math.min(first - 60, text.length - size))
  const end = Math.min(text.length, start + size)
  const prefix = start > 0 ? '…' : ''
  const shift = prefix.length - start
  return {
    text: `${prefix}${text.slice(start, end)}${end < text.length ? '…' : ''}`,
    marks: marks.filter(([s, e]) => s >= start && e <= end).map(([s, e]): [number, number] => [s + shift, e + shift]),
  }
}
