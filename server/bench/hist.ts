// HDR histograms of latencies in µs: recorded in the generator processes, shipped to the
// orchestrator as compressed base64, merged there.
import * as hdr from 'hdr-histogram-js'

export type Histogram = hdr.Histogram

const HIGHEST_US = 300_000_000 // 5 minutes

export const newHistogram = (): Histogram =>
  hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
  })

/** Records a latency in µs (clamped to the trackable range). */
export function record(h: Histogram, us: number): void {
  h.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(us))))
}

export const encode = (h: Histogram): string => hdr.encodeIntoCompressedBase64(h)

/** Sums encoded histograms into one. */
export function merge(encoded: (string | undefined)[]): Histogram {
  const out = newHistogram()
  for (const e of encoded) if (e) out.add(hdr.decodeFromCompressedBase64(e, 32))
  return out
}

/** Percentiles in milliseconds (3 decimals), as reported. */
export type LatencySummary = {
  count: number
  p50: number | null
  p95: number | null
  p99: number | null
  p999: number | null
  max: number | null
  mean: number | null
}

const ms = (us: number) => Math.round(us) / 1000

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50: null, p95: null, p99: null, p999: null, max: null, mean: null }
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  }
}
