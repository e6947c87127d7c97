// Parsing a composer line that starts with `/` (pure, no services: commands.parse.unit.test.ts).

/** What a line means: text to post as it is, or a command with its argument text. */
export type ParsedLine =
  { kind: 'literal'; text: string } | { kind: 'command'; name: string; args: string; input: string }

/** The longest input a private answer quotes back (code points); longer input is cut with `…`. */
export const QUOTE_MAX = 200

/**
 * `//text` is the literal `/text` (how you post a line starting with a slash, as in Zulip and IRC);
 * `/name args` is a command, its name lower-cased, its arguments trimmed; anything else is literal.
 *
 * @example parseLine('/me waves') → { kind: 'command', name: 'me', args: 'waves', input: '/me waves' }
 */
export function parseLine(text: string): ParsedLine {
  if (text.startsWith('//')) return { kind: 'literal', text: text.slice(1) }
  if (!text.startsWith('/')) return { kind: 'literal', text }
  const match = /^\/(\S*)\s*([\s\S]*)$/.exec(text) as RegExpExecArray
  return { kind: 'command', name: match[1].toLowerCase(), args: match[2].trim(), input: text }
}

/** The input as a private answer quotes it: its first line, at most QUOTE_MAX code points. */
export function quote(input: string): string {
  const line = input.split('\n')[0]
  const chars = [...line]
  return chars.length > QUOTE_MAX ? `${chars.slice(0, QUOTE_MAX).join('')}…` : line
}
