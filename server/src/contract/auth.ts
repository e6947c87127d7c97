import { z } from 'zod'
import { EMAIL_MAX, PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES, USERNAME_MAX, USERNAME_MIN } from './limits'

/** 3–32 of a–z, 0–9, _ and -. Input is lower-cased first, so usernames are unique case-insensitively. */
export const ZUsername = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    new RegExp(`^[a-z0-9_-]{${USERNAME_MIN},${USERNAME_MAX}}$`),
    `must be ${USERNAME_MIN}–${USERNAME_MAX} characters: letters, digits, _ or -`,
  )

export const ZEmail = z
  .string()
  .trim()
  .toLowerCase()
  .max(EMAIL_MAX, 'is too long')
  .pipe(z.email('must be a valid email'))

/**
 * 8–72 bytes: bcrypt ignores everything after byte 72, so longer passwords are refused, not truncated.
 * The messages speak of characters where that is exact: under 8 bytes is always under 8 characters,
 * while over 72 bytes can be fewer characters (accents and emoji take 2–4 bytes), so that one says so.
 */
export const ZPassword = z
  .string()
  .refine(
    (p) => new TextEncoder().encode(p).length >= PASSWORD_MIN_BYTES,
    `must be at least ${PASSWORD_MIN_BYTES} characters`,
  )
  .refine(
    (p) => new TextEncoder().encode(p).length <= PASSWORD_MAX_BYTES,
    `is too long: at most ${PASSWORD_MAX_BYTES} bytes (about ${PASSWORD_MAX_BYTES} plain letters; accented letters and emoji count 2–4 each)`,
  )

export const ZRegister = z.object({ username: ZUsername, email: ZEmail, password: ZPassword })
export type TRegister = z.input<typeof ZRegister>

export const ZLogin = z.object({
  /** Username or email. */
  login: z
    .string()
    .trim()
    .toLowerCase()
    .min(1, 'is required')
    .max(EMAIL_MAX, 'is too long')
    .regex(/^[^\u0000-\u001F\u007F]*$/, 'contains control characters'),
  password: z.string().min(1, 'is required').max(1024, 'is too long'),
})
export type TLogin = z.input<typeof ZLogin>

/** `POST /api/auth/password`: ends every other session and returns a new token. */
export const ZChangePassword = z.object({
  currentPassword: z.string().min(1, 'is required').max(1024, 'is too long'),
  newPassword: ZPassword,
})
export type TChangePassword = z.input<typeof ZChangePassword>

export const ZUserSearch = z.object({
  query: z
    .string()
    .trim()
    .toLowerCase()
    .max(32, 'is too long')
    .regex(/^[^\u0000-\u001F\u007F]*$/, 'contains control characters')
    .default(''),
})

/** The signed-in user as the API returns them. */
export type UserDto = { id: string; username: string; email: string; createdAt: string }

/** A user as others see them (no email): search results, participant lists. */
export type PublicUserDto = { id: string; username: string }

export type SessionDto = { token: string; user: UserDto }
export type GuestSessionDto = { token: string; guestId: string }
