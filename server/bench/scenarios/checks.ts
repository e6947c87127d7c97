// The validity checks every traffic phase goes through, and the figures they produce.
import type { WorkerReport } from '../gen/protocol'
import { countMessages, deleteMessages } from '../infra'
import { type Figures, generatorChecks, type RunCtx } from '../results'
import type { RunningSystem } from '../systems'
import { checkDeliveries, type MergedPhase, mergePhase, type WindowCpu, type Worker } from './traffic'

export type PhaseOutcome = { merged: MergedPhase; invalid: string[]; warnings: string[]; figures: Figures }

/**
 * A run is invalid when a generator saturated its core, when not every send was acknowledged, when
 * delivered ≠ sent × fan-out (or any receiver got a different set than was sent), or — for Parlor —
 * when the database holds a different number of rows than were acknowledged.
 */
export async function checkPhase(
  ctx: RunCtx,
  sys: RunningSystem,
  {
    workers,
    reports,
    phase,
    tag,
    fanout,
    cpu,
    drained,
  }: {
    workers: Worker[]
    reports: WorkerReport[]
    phase: string
    tag: string
    fanout: number
    cpu: WindowCpu
    drained: boolean
  },
): Promise<PhaseOutcome> {
  const invalid: string[] = []
  const warnings: string[] = []
  const merged = mergePhase(reports, phase)
  const exact = checkDeliveries(workers, reports, phase, merged)
  const wanted = merged.sent * fanout

  let dbRows: number | null = null
  if (sys.protocol === 'parlor') {
    const prefix = `${tag}-${phase}-`
    if (ctx.opts.faults.deleteRows) await deleteMessages(ctx.db, prefix, ctx.opts.faults.deleteRows)
    dbRows = await countMessages(ctx.db, prefix)
  }

  const firstError = reports.flatMap((r) => r.errors).find((e) => e.startsWith('send'))
  if (merged.acked !== merged.sent)
    invalid.push(
      `acknowledged ${merged.acked} ≠ sent ${merged.sent} (${merged.failed} sends failed or timed out` +
        `${firstError ? `; first: ${firstError}` : ''})`,
    )
  if (merged.delivered !== wanted)
    invalid.push(`delivered ${merged.delivered} ≠ sent × fan-out ${merged.sent} × ${fanout} = ${wanted}`)
  if (exact.mismatchedReceivers > 0)
    invalid.push(`${exact.mismatchedReceivers} receivers did not get exactly the messages sent to their room`)
  if (exact.unexpected > 0) invalid.push(`${exact.unexpected} deliveries reached clients outside the room`)
  if (dbRows !== null && dbRows !== merged.acked) invalid.push(`database rows ${dbRows} ≠ acknowledged ${merged.acked}`)
  if (!drained) warnings.push('the phase did not drain before the timeout')
  generatorChecks(cpu, ctx.opts.generatorCpuLimit, invalid, warnings)
  const disconnects = reports.reduce((a, r) => a + r.disconnects, 0)
  if (disconnects > 0) warnings.push(`${disconnects} clients disconnected unexpectedly`)
  const eldP99 = Math.max(...reports.map((r) => r.eldP99))
  if (eldP99 > 50) warnings.push(`a generator's event loop lagged ${eldP99} ms at p99; latencies include that`)

  return {
    merged,
    invalid,
    warnings,
    figures: {
      sent: merged.sent,
      acked: merged.acked,
      delivered: merged.delivered,
      expectedDeliveries: wanted,
      lostDeliveries: Math.max(0, wanted - merged.delivered),
      ...(dbRows !== null ? { dbRows, lostMessages: Math.max(0, merged.acked - dbRows) } : {}),
      mismatchedReceivers: exact.mismatchedReceivers,
      generatorEldP99Ms: eldP99,
    },
  }
}
