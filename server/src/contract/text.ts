import { z } from 'zod'

// Characters refused in any user text: C0/C1 controls (newline is allowed where `multiline`),
// and bidirectional overrides/isolates, which can make text display differently from what it says.
const CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/
const CONTROL_SINGLE_LINE = /[\u0000-\u001F\u007F-\u009F]/
const BIDI = /[\u202A-\u202E\u2066-\u2069]/
// Characters that print nothing: text made only of these (and spaces) counts as empty.
const INVISIBLE = /[\s\u00AD\u180E\u200B-\u200F\u2060-\u2064\uFEFF]/g

/**
 * A user-visible text field: NFC-normalised, trimmed, CRLF folded to LF, with controls, bidi overrides
 * and lone surrogates refused. Length limits count code points after trimming.
 *
 * @example ZTopic = userText({ max: 64 })
 */
export function userText({ min = 1, max, multiline = false }: { min?: number; max: number; multiline?: boolean }) {
  return z.string().transform((raw, ctx) => {
    if (!raw.isWellFormed()) {
      ctx.addIssue({ code: 'custom', message: 'contains invalid characters' })
      return z.NEVER
    }
    const text = raw.replace(/\r\n?/g, '\n').normalize('NFC').trim()
    if ((multiline ? CONTROL : CONTROL_SINGLE_LINE).test(text) || BIDI.test(text)) {
      ctx.addIssue({ code: 'custom', message: 'contains control characters' })
      return z.NEVER
    }
    const length = [...text].length
    if (min > 0 && text.replace(INVISIBLE, '').length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must not be empty' })
      return z.NEVER
    }
    if (length < min) {
      ctx.addIssue({ code: 'custom', message: min === 1 ? 'must not be empty' : `must be at least ${min} characters` })
      return z.NEVER
    }
    if (length > max) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${max} characters` })
      return z.NEVER
    }
    return text
  })
}

/** Ids of users, rooms and messages are UUIDs; anything else never reaches a query. */
export const ZId = z.uuid({ message: 'must be a valid id' })
