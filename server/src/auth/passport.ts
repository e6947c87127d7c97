import type { NextFunction, Request, RequestHandler, Response } from 'express'
import passport from 'passport'
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt'
import type { Viewer } from '../contract/events'
import { AppError } from '../lib/app-error'
import type { AuthService } from './auth.service'
import { ALGORITHM, claimsFrom, MAX_TOKEN_LENGTH, signingKey } from './tokens'

declare global {
  namespace Express {
    interface Request {
      /** Who is asking: a user, a guest with a guest token, or an anonymous guest. Set by `authenticate`. */
      viewer: Viewer
    }
  }
}

/** Guests without a guest token (a REST call with no Authorization header). */
export const ANONYMOUS: Viewer = { kind: 'guest', id: 'anonymous' }

/**
 * REST authentication through passport-jwt. Returns two middlewares:
 * - `authenticate`: no Authorization header → anonymous guest; a bad, expired or revoked token → 401;
 * - `requireUser`: additionally refuses guests with 401 (every mutating route uses it).
 */
export function createRestAuth({
  secret,
  issuer,
  audience,
  auth,
}: {
  secret: string
  issuer: string
  audience: string
  auth: AuthService
}): { authenticate: RequestHandler; requireUser: RequestHandler } {
  const instance = new passport.Passport()
  instance.use(
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        // A KeyObject (see signingKey); passport-jwt hands it to jsonwebtoken unchanged, its types say string.
        secretOrKey: signingKey(secret) as unknown as string,
        algorithms: [ALGORITHM],
        issuer,
        audience,
      },
      (payload: unknown, done: (err: unknown, viewer?: Viewer | false) => void) => {
        let claims: ReturnType<typeof claimsFrom>
        try {
          claims = claimsFrom(payload)
        } catch {
          return done(null, false)
        }
        auth.resolveViewer(claims).then(
          (viewer) => done(null, viewer),
          (err) => (err instanceof AppError ? done(null, false) : done(err)),
        )
      },
    ),
  )

  const authenticate: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    if (req.headers.authorization === undefined) {
      req.viewer = ANONYMOUS
      return next()
    }
    // Refuse oversized tokens before any parsing (the socket handshake does the same in Tokens.verify).
    if (req.headers.authorization.length > MAX_TOKEN_LENGTH + 'Bearer '.length)
      return next(new AppError('unauthenticated'))
    instance.authenticate('jwt', { session: false }, (err: unknown, viewer: Viewer | false) => {
      if (err) return next(err)
      if (!viewer) return next(new AppError('unauthenticated'))
      req.viewer = viewer
      next()
    })(req, res, next)
  }

  const requireUser: RequestHandler = (req, res, next) => {
    authenticate(req, res, (err?: unknown) => {
      if (err) return next(err)
      if (req.viewer.kind !== 'user') return next(new AppError('unauthenticated'))
      next()
    })
  }

  return { authenticate, requireUser }
}

/** The signed-in user of a request that passed `requireUser`. */
export function userOf(req: Request): Extract<Viewer, { kind: 'user' }> {
  if (req.viewer?.kind !== 'user') throw new AppError('unauthenticated')
  return req.viewer
}
