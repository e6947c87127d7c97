/**
 * Microseconds on the system-wide monotonic clock (CLOCK_MONOTONIC via `process.hrtime`). Every
 * process on the machine reads the same clock, so a timestamp written by a sender process can be
 * subtracted from a receive time taken in another process.
 */
export const nowUs = (): number => Number(process.hrtime.bigint() / 1000n)

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Sleeps until the monotonic clock reaches `atUs`. */
export async function sleepUntil(atUs: number): Promise<void> {
  const ms = (atUs - nowUs()) / 1000
  if (ms > 0) await sleep(ms)
}
