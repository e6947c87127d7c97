import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import type { RedisClientType } from 'redis'
import { AppError } from '../lib/app-error'

/**
 * Every rate limit, in one table: `points` allowed per `duration` seconds per key. Sized for real use
 * (a classroom behind one NAT registers and logs in from one address); RATE_LIMIT_SCALE multiplies
 * every `points` (load tests raise it, tests of the limits themselves keep 1).
 */
export const LIMITS = {
  /** Login attempts from one address. */
  loginIp: { points: 100, duration: 5 * 60 },
  /** Failed logins for one account; checked before bcrypt runs. */
  loginAccount: { points: 10, duration: 15 * 60 },
  /** Registrations from one address. */
  registerIp: { points: 30, duration: 10 * 60 },
  /** Messages per user: a burst… */
  messageBurst: { points: 15, duration: 10 },
  /** …and a sustained rate. */
  messageSustained: { points: 200, duration: 5 * 60 },
  /** Votes and reactions per user (issue 16), like messages: a burst… */
  toggleBurst: { points: 30, duration: 10 },
  /** …and a sustained rate. */
  toggleSustained: { points: 600, duration: 5 * 60 },
  /** room:join per user (or guest). */
  roomJoin: { points: 60, duration: 60 },
  /** typing:set per user. */
  typing: { points: 60, duration: 60 },
  // Search (issue 17)
  /** Searches (and filter history pages) per user or guest. */
  search: { points: 30, duration: 60 },
  /** rooms:watch per user or guest (sent when the room list or the filters change). */
  roomWatch: { points: 30, duration: 60 },
  // Unread counts (issue 18)
  /** Read-pointer moves per user (the web sends at most a few per second while you scroll). */
  readMark: { points: 240, duration: 60 },
  // Uploads (issue 21)
  /** Files and profile pictures uploaded per user. */
  upload: { points: 60, duration: 10 * 60 },
} as const satisfies Record<string, { points: number; duration: number }>

export type LimitName = keyof typeof LIMITS

export type Limits = {
  /** Spends `points` for `key`; throws AppError('rate_limited', { retryAfter }) when exhausted. */
  consume(name: LimitName, key: string, points?: number): Promise<void>
  /** Throws like `consume` if `key` is already exhausted, without spending anything. */
  check(name: LimitName, key: string): Promise<void>
  reset(name: LimitName, key: string): Promise<void>
  /**
   * For limits spent on every message, with no Redis round trip before the work: spends from this
   * instance's own count, and refuses when that is exhausted or when Redis last said the person is
   * over the cluster-wide limit. Call `share` once the work is done to add the spend to the
   * cluster-wide count (its command rides along with the broadcast's in the same write). A person
   * sending through several instances at once can go over a limit by a message or two per instance
   * (one more while Redis's answer is on its way back); through one instance, never.
   */
  spendLocal(name: LimitName, key: string): Promise<void>
  share(name: LimitName, key: string): void
}

type Limiter = RateLimiterMemory | RateLimiterRedis

/**
 * Cluster-wide limits kept in Redis (so every instance counts together); without Redis, or while it
 * is unreachable, each instance falls back to counting in memory.
 */
export function createLimits({
  redis,
  prefix,
  scale,
  onLimited,
}: {
  redis: RedisClientType | null
  prefix: string
  scale: number
  onLimited?: (name: LimitName) => void
}): Limits {
  const limiters = Object.fromEntries(
    Object.entries(LIMITS).map(([name, { points, duration }]) => {
      const opts = { points: Math.max(1, Math.round(points * scale)), duration, keyPrefix: `${prefix}:rl:${name}` }
      const memory = new RateLimiterMemory(opts)
      const limiter: Limiter = redis
        ? new RateLimiterRedis({
            ...opts,
            storeClient: redis,
            useRedisPackage: true,
            insuranceLimiter: memory,
            rejectIfRedisNotReady: true,
          })
        : memory
      return [name, limiter]
    }),
  ) as Record<LimitName, Limiter>

  // spendLocal/share: this instance's own counts (`limiters` count cluster-wide), and who Redis said is over.
  const local = Object.fromEntries(
    Object.entries(LIMITS).map(([name, { points, duration }]) => [
      name,
      new RateLimiterMemory({ points: Math.max(1, Math.round(points * scale)), duration }),
    ]),
  ) as Record<LimitName, RateLimiterMemory>
  const overUntil = new Map<string, number>() // `${name} ${key}` → ms timestamp

  const limited = (name: LimitName, res: RateLimiterRes) => {
    onLimited?.(name)
    return new AppError('rate_limited', { retryAfter: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) })
  }

  return {
    async consume(name, key, points = 1) {
      try {
        await limiters[name].consume(key, points)
      } catch (err) {
        if (err instanceof RateLimiterRes) throw limited(name, err)
        throw err
      }
    },
    async check(name, key) {
      const res = await limiters[name].get(key)
      if (res && res.remainingPoints <= 0) throw limited(name, res)
    },
    async reset(name, key) {
      await limiters[name].delete(key)
    },
    async spendLocal(name, key) {
      const until = overUntil.get(`${name} ${key}`)
      if (until !== undefined) {
        if (until > Date.now()) throw limited(name, new RateLimiterRes(0, until - Date.now()))
        overUntil.delete(`${name} ${key}`)
      }
      try {
        await local[name].consume(key)
      } catch (err) {
        if (err instanceof RateLimiterRes) throw limited(name, err)
        throw err
      }
    },
    share(name, key) {
      if (!redis) return // one instance: its own counts are the whole picture
      limiters[name].consume(key).catch((err: unknown) => {
        // Over the cluster-wide limit: refuse here until it resets. (While Redis is unreachable the
        // insurance limiter answers from this instance's counts, which `spendLocal` already enforces.)
        if (err instanceof RateLimiterRes) overUntil.set(`${name} ${key}`, Date.now() + err.msBeforeNext)
      })
    },
  }
}
