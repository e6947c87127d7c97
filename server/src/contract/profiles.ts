import { z } from 'zod'
import { ZEmail } from './auth'
import { DISPLAY_NAME_MAX, STATUS_EMOJI_MAX, STATUS_TEXT_MAX } from './limits'
import { userText } from './text'

/** The presence a person can choose; `offline` is what others see while they have no connection. */
export const PRESENCES = ['online', 'away', 'dnd'] as const
export type Presence = (typeof PRESENCES)[number]
export type SeenPresence = Presence | 'offline'

/** One emoji (a grapheme of up to STATUS_EMOJI_MAX code points, with no letters or digits), or empty. */
const ZStatusEmoji = userText({ min: 0, max: STATUS_EMOJI_MAX }).refine(
  (e) => e === '' || (/\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(e) && !/[\p{L}\p{N}\s]/u.test(e)),
  'must be a single emoji',
)

/**
 * `PATCH /api/profile`: any subset of the profile. An empty display name clears it (the username is
 * shown alone); the texts are validated like every other user text (contract/text.ts).
 *
 * @example { displayName: 'Maya Ortiz', statusText: 'In a meeting', statusEmoji: '📅', presence: 'dnd' }
 */
export const ZUpdateProfile = z
  .object({
    displayName: userText({ min: 0, max: DISPLAY_NAME_MAX }).optional(),
    statusText: userText({ min: 0, max: STATUS_TEXT_MAX }).optional(),
    statusEmoji: ZStatusEmoji.optional(),
    presence: z.enum(PRESENCES, { message: 'must be online, away or dnd' }).optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'give at least one field', path: ['displayName'] })
export type TUpdateProfile = z.input<typeof ZUpdateProfile>

/** `POST /api/auth/email`: needs the current password. */
export const ZChangeEmail = z.object({
  email: ZEmail,
  currentPassword: z.string().min(1, 'is required').max(1024, 'is too long'),
})
export type TChangeEmail = z.input<typeof ZChangeEmail>

/** `DELETE /api/auth/account`: the current password. */
export const ZConfirmPassword = z.object({
  currentPassword: z.string().min(1, 'is required').max(1024, 'is too long'),
})
export type TConfirmPassword = z.input<typeof ZConfirmPassword>

/**
 * A person as others see them: no email. `presence` is what they chose while they are connected,
 * `offline` otherwise. Pushed as `user:updated` when it changes.
 */
export type ProfileDto = {
  id: string
  username: string
  /** Null when they chose none (show the username alone). */
  displayName: string | null
  statusText: string
  statusEmoji: string
  presence: SeenPresence
  /** Issue 21: the profile picture (a square image), null for none (show the initials). */
  avatarUrl: string | null
}
