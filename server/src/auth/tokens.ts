import { createSecretKey, type KeyObject, randomUUID } from 'node:crypto'
import jwt from 'jsonwebtoken'
import { AppError } from '../lib/app-error'

/** What a verified token says. `tv` is the user's token version at signing time. */
export type TokenClaims =
  { kind: 'user'; sub: string; tv: number; exp: number } | { kind: 'guest'; sub: string; exp: number }

export type Tokens = {
  signUser(user: { id: string; tokenVersion: number }): string
  signGuest(): { token: string; guestId: string }
  /** Throws AppError('unauthenticated') for anything but a valid, unexpired HS256 token of ours. */
  verify(token: string): TokenClaims
}

/** Longer tokens are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 2048
export const ALGORITHM = 'HS256' as const

/**
 * The HMAC key as a KeyObject, made once. Given a string, jsonwebtoken first tries it as a PEM key
 * (createPublicKey / createPrivateKey, which throw) on every sign and verify before falling back to
 * a secret key: that failed parse was the largest single cost of a socket handshake (about 17% of its
 * CPU in a profile of 1 000 handshakes). Same key, same algorithm, so tokens are unchanged.
 */
export function signingKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret))
}

export function createTokens(config: {
  secret: string
  issuer: string
  audience: string
  userTtlSeconds: number
  guestTtlSeconds: number
}): Tokens {
  const signOptions = { algorithm: ALGORITHM, issuer: config.issuer, audience: config.audience }
  const key = signingKey(config.secret)
  return {
    signUser: (user) =>
      jwt.sign({ kind: 'user', tv: user.tokenVersion }, key, {
        ...signOptions,
        subject: user.id,
        expiresIn: config.userTtlSeconds,
      }),
    signGuest() {
      const guestId = randomUUID()
      const token = jwt.sign({ kind: 'guest' }, key, {
        ...signOptions,
        subject: guestId,
        expiresIn: config.guestTtlSeconds,
      })
      return { token, guestId }
    },
    verify(token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        throw new AppError('unauthenticated')
      }
      let payload: jwt.JwtPayload | string
      try {
        payload = jwt.verify(token, key, {
          algorithms: [ALGORITHM],
          issuer: config.issuer,
          audience: config.audience,
        })
      } catch {
        throw new AppError('unauthenticated')
      }
      return claimsFrom(payload)
    },
  }
}

/** Checks the shape of an already signature-verified payload (shared with the passport strategy). */
export function claimsFrom(payload: unknown): TokenClaims {
  if (typeof payload !== 'object' || payload === null) throw new AppError('unauthenticated')
  const { kind, sub, exp, tv } = payload as jwt.JwtPayload & { kind?: unknown; tv?: unknown }
  // `exp` is required: a token without one would never expire.
  if (typeof exp !== 'number' || typeof sub !== 'string' || sub.length === 0) throw new AppError('unauthenticated')
  if (kind === 'user' && typeof tv === 'number' && Number.isInteger(tv)) return { kind, sub, tv, exp }
  if (kind === 'guest') return { kind, sub, exp }
  throw new AppError('unauthenticated')
}
