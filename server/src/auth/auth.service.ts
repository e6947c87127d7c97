import { Prisma, type PrismaClient, type User } from '@prisma/client'
import type { z } from 'zod'
import type { GuestSessionDto, SessionDto, UserDto, ZChangePassword, ZLogin, ZRegister } from '../contract/auth'
import type { Viewer } from '../contract/events'
import type { ZChangeEmail } from '../contract/profiles'
import { ZId } from '../contract/text'
import { AppError } from '../lib/app-error'
import type { Passwords } from './passwords'
import type { TokenClaims, Tokens } from './tokens'
import type { ViewerCache, ViewerRecord } from './viewer-cache'

export type AuthService = ReturnType<typeof createAuthService>

export function toUserDto(user: Pick<User, 'id' | 'username' | 'email' | 'createdAt'>): UserDto {
  return { id: user.id, username: user.username, email: user.email, createdAt: user.createdAt.toISOString() }
}

export function createAuthService({
  prisma,
  passwords,
  tokens,
  viewers,
  beforeAccountDeleted = async () => {},
}: {
  prisma: PrismaClient
  passwords: Passwords
  tokens: Tokens
  /** The user lookup's cache; every change to a user's token version, name or email goes through it. */
  viewers: ViewerCache
  /** Takes back what is counted, not owned, by the account (its votes and reactions) before it goes. */
  beforeAccountDeleted?: (userId: string) => Promise<void>
}) {
  const session = (user: User): SessionDto => ({ token: tokens.signUser(user), user: toUserDto(user) })

  /** Refuses a wrong current password (invalid_credentials naming the field). */
  async function verifyCurrent(userId: string, currentPassword: string): Promise<User> {
    const user = await prisma.user.findUnique({ where: { id: userId } })
    if (!user) throw new AppError('unauthenticated')
    if (!(await passwords.verify(currentPassword, user.passwordHash))) {
      throw new AppError('invalid_credentials', {
        message: 'The current password is wrong.',
        fields: { currentPassword: 'is wrong' },
      })
    }
    return user
  }

  return {
    async register(input: z.output<typeof ZRegister>): Promise<SessionDto> {
      const taken = await prisma.user.findMany({
        where: { OR: [{ username: input.username }, { email: input.email }] },
        select: { username: true, email: true },
      })
      if (taken.length > 0) throw conflictFor(taken, input)
      const passwordHash = await passwords.hash(input.password)
      try {
        const user = await prisma.user.create({
          data: { username: input.username, email: input.email, passwordHash },
        })
        return session(user)
      } catch (err) {
        // Lost a race with a concurrent registration of the same name or email.
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
          throw new AppError('conflict', { fields: { username: 'may be taken', email: 'may be taken' } })
        }
        throw err
      }
    },

    async login(input: z.output<typeof ZLogin>): Promise<SessionDto> {
      // The bot has no password; it is left out of the lookup as well, so it can never sign in.
      const user = await prisma.user.findFirst({
        where: { ...(input.login.includes('@') ? { email: input.login } : { username: input.login }), isBot: false },
      })
      const ok = await passwords.verify(input.password, user?.passwordHash ?? null)
      if (!user || !ok) throw new AppError('invalid_credentials')
      return session(user)
    },

    /** Verifies the current password, stores the new one and revokes every existing token. */
    async changePassword(userId: string, input: z.output<typeof ZChangePassword>): Promise<SessionDto> {
      const user = await prisma.user.findUnique({ where: { id: userId } })
      if (!user) throw new AppError('unauthenticated')
      if (!(await passwords.verify(input.currentPassword, user.passwordHash))) {
        throw new AppError('invalid_credentials', {
          message: 'The current password is wrong.',
          fields: { currentPassword: 'is wrong' },
        })
      }
      const updated = await prisma.user.update({
        where: { id: userId },
        data: { passwordHash: await passwords.hash(input.newPassword), tokenVersion: { increment: 1 } },
      })
      await viewers.changed({ userId, tokenVersion: updated.tokenVersion })
      return session(updated)
    },

    // Account settings (issue 19).

    /** Changes the email after checking the current password; sessions stay as they are. */
    async changeEmail(userId: string, input: z.output<typeof ZChangeEmail>): Promise<UserDto> {
      await verifyCurrent(userId, input.currentPassword)
      try {
        const updated = await prisma.user.update({ where: { id: userId }, data: { email: input.email } })
        await viewers.changed({ userId })
        return toUserDto(updated)
      } catch (err) {
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
          throw new AppError('conflict', {
            message: 'That email is already registered.',
            fields: { email: 'is already registered' },
          })
        }
        throw err
      }
    },

    /** Ends every session but the caller's: every token is revoked and the caller gets a new one. */
    async logoutOthers(userId: string): Promise<SessionDto> {
      const updated = await prisma.user.update({ where: { id: userId }, data: { tokenVersion: { increment: 1 } } })
      await viewers.changed({ userId, tokenVersion: updated.tokenVersion })
      return session(updated)
    },

    /**
     * Deletes the account after checking the current password. Its messages stay, without an author
     * ("Deleted user"); its room memberships go; rooms it created stay, with no creator.
     */
    async deleteAccount(userId: string, currentPassword: string): Promise<void> {
      await verifyCurrent(userId, currentPassword)
      await beforeAccountDeleted(userId)
      await prisma.user.deleteMany({ where: { id: userId } })
      await viewers.changed({ userId, gone: true })
    },

    guest(): GuestSessionDto {
      return tokens.signGuest()
    },

    /** Ends every session of the user, on every device and instance: their tokens stop verifying. */
    async revokeSessions(userId: string): Promise<void> {
      const { tokenVersion } = await prisma.user.update({
        where: { id: userId },
        data: { tokenVersion: { increment: 1 } },
        select: { tokenVersion: true },
      })
      await viewers.changed({ userId, tokenVersion })
    },

    async me(userId: string): Promise<UserDto> {
      const user = await prisma.user.findUnique({ where: { id: userId } })
      if (!user) throw new AppError('unauthenticated')
      return toUserDto(user)
    },

    /**
     * Turns verified token claims into a Viewer, the one identity used by REST and sockets.
     * A user token is only good while the user exists and its token version is current.
     */
    async resolveViewer(claims: TokenClaims): Promise<Viewer> {
      if (!ZId.safeParse(claims.sub).success) throw new AppError('unauthenticated')
      if (claims.kind === 'guest') return { kind: 'guest', id: claims.sub }
      // Cached per instance (viewer-cache.ts): a storm of handshakes and REST calls by the same people
      // reads each of them once. Raw SQL on purpose: findUnique's per-query work (client runtime,
      // query compiler) left about 2 kB of RSS per connection behind when 10,000 sockets connect
      // (heap fragmentation; issue 8); this query, well under 1 kB.
      const user = await viewers.get(claims.sub, async () => {
        const [row] = await prisma.$queryRaw<ViewerRecord[]>`
          SELECT "id", "username", "email", "tokenVersion" FROM "User" WHERE "id" = ${claims.sub}::uuid AND NOT "isBot"`
        return row ?? null
      })
      if (!user || user.tokenVersion !== claims.tv) throw new AppError('unauthenticated')
      return { kind: 'user', id: user.id, username: user.username, email: user.email }
    },
  }
}

function conflictFor(taken: { username: string; email: string }[], input: { username: string; email: string }) {
  const fields: Record<string, string> = {}
  if (taken.some((t) => t.username === input.username)) fields.username = 'is already taken'
  if (taken.some((t) => t.email === input.email)) fields.email = 'is already registered'
  return new AppError('conflict', { message: 'That username or email is already registered.', fields })
}
