import bcrypt from 'bcrypt'
import { AppError } from '../lib/app-error'

export type Passwords = {
  hash(password: string): Promise<string>
  /** Constant-ish time: compares against a dummy hash when there is no user, so timing does not tell. */
  verify(password: string, hash: string | null): Promise<boolean>
}

/** Sign-ins waiting for a hashing slot beyond this are refused with `unavailable` (retry) instead of queued. */
export const MAX_WAITING_HASHES = 256

/**
 * bcrypt runs on libuv's thread pool (4 threads by default). Left alone, a burst of logins keeps every
 * core busy hashing and starves the event loop: chat deliveries stalled for seconds during the
 * benchmark's login burst. `concurrency` hashes run at once; the rest wait their turn in order.
 */
export function createPasswords({ cost, concurrency }: { cost: number; concurrency: number }): Passwords {
  const dummyHash = bcrypt.hashSync('parlor-dummy-password', cost)
  const gated = createGate(concurrency)
  return {
    hash: (password) => gated(() => bcrypt.hash(password, cost)),
    async verify(password, hash) {
      const ok = await gated(() => bcrypt.compare(password, hash ?? dummyHash))
      return ok && hash !== null
    },
  }
}

/** At most `limit` tasks run at once; later ones start in arrival order as slots free up. */
export function createGate(limit: number) {
  let active = 0
  const waiting: (() => void)[] = []
  return async function gated<T>(task: () => Promise<T>): Promise<T> {
    if (active < limit) active++
    else {
      if (waiting.length >= MAX_WAITING_HASHES) {
        throw new AppError('unavailable', { message: 'Too many sign-ins at once. Please retry in a moment.' })
      }
      await new Promise<void>((start) => waiting.push(start)) // the finishing task hands its slot over
    }
    try {
      return await task()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else active--
    }
  }
}
