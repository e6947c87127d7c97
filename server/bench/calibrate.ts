// What one round trip to PostgreSQL and to Redis costs this process in CPU, on this machine, in this
// run: back to back (the other side stays busy) and paced like L-chat's per-instance send rate (the
// other side goes idle between requests, so every request has to wake it). Parlor pays such round
// trips on every message and the baselines pay none, so these figures explain most of the L-chat gap.
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { createClient } from 'redis'

export type RoundTripCosts = {
  /** CPU-µs of the calling process per round trip. */
  postgresBackToBack: number
  postgresPaced: number
  redisBackToBack: number
  redisPaced: number
  /** Gap between paced round trips. */
  pacedGapMs: number
}

async function cpuUsPerCall(n: number, gapMs: number, call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await call() // warm up
  const before = process.cpuUsage()
  for (let i = 0; i < n; i++) {
    await call()
    if (gapMs > 0) await sleep(gapMs)
  }
  const used = process.cpuUsage(before)
  let timerCost = 0
  if (gapMs > 0) {
    // The sleeps' own cost (timer + wake-up with nothing to talk to), taken out of the paced figure.
    const b = process.cpuUsage()
    for (let i = 0; i < n; i++) await sleep(gapMs)
    const t = process.cpuUsage(b)
    timerCost = t.user + t.system
  }
  return Math.round(((used.user + used.system - timerCost) / n) * 10) / 10
}

export async function measureRoundTrips(
  databaseUrl: string,
  redisUrl: string,
  { quick = false, pacedGapMs = 10 }: { quick?: boolean; pacedGapMs?: number } = {},
): Promise<RoundTripCosts> {
  const [backToBack, paced] = quick ? [200, 30] : [2000, 200]
  const client = new pg.Client({ connectionString: databaseUrl })
  const redis = createClient({ url: redisUrl })
  await client.connect()
  await redis.connect()
  try {
    return {
      postgresBackToBack: await cpuUsPerCall(backToBack, 0, () => client.query('SELECT 1')),
      postgresPaced: await cpuUsPerCall(paced, pacedGapMs, () => client.query('SELECT 1')),
      redisBackToBack: await cpuUsPerCall(backToBack, 0, () => redis.ping()),
      redisPaced: await cpuUsPerCall(paced, pacedGapMs, () => redis.ping()),
      pacedGapMs,
    }
  } finally {
    await client.end()
    await redis.quit()
  }
}
