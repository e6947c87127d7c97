import { z } from 'zod'
import { HISTORY_PAGE_MAX, REACTIONS_PER_MESSAGE_MAX } from './limits'
import type { MessageDto } from './messages'
import { ZId } from './text'

// Replies, votes and reactions (issue 16): the commands' schemas and the per-viewer state.

export { REACTIONS_PER_MESSAGE_MAX }

/** A user's vote on a message. */
export const VOTES = ['up', 'down'] as const
export type Vote = (typeof VOTES)[number]

/**
 * `message:vote` payload and `POST /api/rooms/:id/messages/:messageId/vote` body. A toggle: voting the
 * way you already voted removes your vote, the other way flips it.
 *
 * @example { roomId: '…', messageId: '…', vote: 'up' }
 */
export const ZVoteMessage = z.object({ roomId: ZId, messageId: ZId, vote: z.enum(VOTES) })
export type TVoteMessage = z.input<typeof ZVoteMessage>

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' })
/** Something a picture: a pictograph, an emoji-presentation character, a flag half or a keycap. */
const EMOJI_CORE = /\p{Extended_Pictographic}|\p{Emoji_Presentation}|\u20E3/u
/** Every code point of an emoji: emoji, their modifiers and components, joiners, selectors, tags. */
const EMOJI_PART = /^(?:\p{Emoji}|\p{Emoji_Component}|\u200D|\uFE0F|[\u{E0020}-\u{E007F}])$/u
/** Half a flag prints as a boxed letter: flags take two. */
const LONE_REGIONAL_INDICATOR = /^\p{Regional_Indicator}$/u
const TEXT_STYLE = /^\p{Extended_Pictographic}$/u
const EMOJI_STYLE = /^\p{Emoji_Presentation}$/u

/**
 * Exactly one emoji (one grapheme cluster: 😀, 👍🏽, 👨‍👩‍👧, 🇫🇷, #️⃣), or null. A pictograph written without
 * its variation selector (❤) is given one (❤️), so both spellings count as one reaction.
 */
export function oneEmoji(raw: string): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 32 || !raw.isWellFormed()) return null
  const segments = [...graphemes.segment(raw)]
  if (segments.length !== 1) return null
  if (!EMOJI_CORE.test(raw) || LONE_REGIONAL_INDICATOR.test(raw)) return null
  if (![...raw].every((cp) => EMOJI_PART.test(cp))) return null
  return TEXT_STYLE.test(raw) && !EMOJI_STYLE.test(raw) ? `${raw}\uFE0F` : raw
}

/** One emoji, normalised by `oneEmoji`. */
export const ZEmoji = z.string().transform((raw, ctx) => {
  const emoji = oneEmoji(raw)
  if (emoji === null) {
    ctx.addIssue({ code: 'custom', message: 'must be exactly one emoji' })
    return z.NEVER
  }
  return emoji
})

/**
 * `message:react` payload and `POST /api/rooms/:id/messages/:messageId/reactions` body: toggles your
 * reaction with this emoji (at most REACTIONS_PER_MESSAGE_MAX distinct emoji per message).
 *
 * @example { roomId: '…', messageId: '…', emoji: '🎉' }
 */
export const ZReactMessage = z.object({ roomId: ZId, messageId: ZId, emoji: ZEmoji })
export type TReactMessage = z.input<typeof ZReactMessage>

/** One emoji on a message: how many reacted with it and who (the first 25 usernames, in order). */
export type ReactionDto = { emoji: string; count: number; users: string[] }

/**
 * What the viewer did to a message: their vote and their reactions. Only the viewer learns it (in
 * DTOs fetched by them, and `mine:changed` to their own sockets); nobody sees who voted.
 */
export type OwnStateDto = { vote: Vote | null; reactions: string[] }

/** `mine:changed`: your own vote and reactions on a message changed (from any of your tabs). */
export type OwnStateChangedDto = OwnStateDto & { roomId: string; messageId: string; rev: number }

/** `GET /api/rooms/:id/messages/:messageId/thread?after=SEQ&limit=N`: a thread's replies after a seq. */
export const ZThreadQuery = z.object({
  after: z.coerce.number().int().min(0).max(2_147_483_647).default(0),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .default(50)
    .transform((n) => Math.min(n, HISTORY_PAGE_MAX)),
})
export type TThreadQuery = z.input<typeof ZThreadQuery>

/** A thread: its first message as it is now (a tombstone if deleted) and a page of its replies, ascending. */
export type ThreadDto = { root: MessageDto; replies: MessageDto[]; hasMore: boolean }
