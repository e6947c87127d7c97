// L-fan: one room, many receivers, a few senders at a fixed total rate.
import type { ClientSpec } from '../gen/protocol'
import { createRooms, fakeRooms } from '../infra'
import { budgetText, cpuFigures, failedRun, ms, type RunCtx, type RunResult } from '../results'
import type { RunningSystem } from '../systems'
import { checkPhase } from './checks'
import { chunk, connectWorkers, cpuBetween, measure, reportsOf, retryWarning, round, withWorkers } from './traffic'

export async function runFan(ctx: RunCtx, sys: RunningSystem, roundNo: number): Promise<RunResult[]> {
  const { fan } = ctx.opts
  const tag = ctx.runTag()
  const [room] = sys.protocol === 'parlor' ? await createRooms(ctx.db, { tag, count: 1 }) : fakeRooms(1)
  const users = ctx.db.users
  const url = (i: number) => sys.urls[i % sys.urls.length]
  const receivers: ClientSpec[] = Array.from({ length: fan.receivers }, (_, i) => ({
    url: url(i),
    user: users[i].username,
    token: users[i].token,
    joins: [room],
  }))
  const lists = chunk(receivers, fan.workers)
  // Senders do not join: every delivery counted is to a receiver. They sit on the first generator.
  const senderBase = lists[0].length
  for (let s = 0; s < fan.senders; s++) {
    const u = users[fan.receivers + s]
    lists[0].push({ url: url(s), user: u.username, token: u.token, joins: [] })
  }
  const senders = lists.map((_, w) =>
    w === 0 ? Array.from({ length: fan.senders }, (_, s) => ({ client: senderBase + s, room })) : [],
  )

  return withWorkers(
    sys.protocol,
    lists,
    {
      tag,
      padding: ctx.opts.padding,
      connectConcurrency: ctx.opts.connectConcurrency,
      officialClient: ctx.opts.officialClient,
      dropDeliveries: ctx.opts.faults.dropDeliveries,
    },
    async (workers) => {
      const connect = await connectWorkers(workers, ctx.opts.connectBudgetMs)
      const total = fan.receivers + fan.senders
      if (connect.connected < total) {
        return [
          failedRun(
            'L-fan',
            sys.name,
            roundNo,
            `only ${connect.connected}/${total} clients connected: ${connect.errors[0] ?? budgetText(ctx)}`,
          ),
        ]
      }
      ctx.log(`  ${total} clients connected in ${(connect.ms / 1000).toFixed(1)} s; warm-up`)
      await measure(sys, workers, senders, ctx.database, {
        phase: 'w',
        rate: fan.rate,
        durationMs: fan.warmupMs,
        fanout: 0,
        drainTimeoutMs: 5000,
      })
      ctx.log(`  measuring ${fan.rate} msg/s × ${fan.receivers} receivers for ${fan.measureMs / 1000} s`)
      const m = await measure(sys, workers, senders, ctx.database, {
        phase: 'm',
        rate: fan.rate,
        durationMs: fan.measureMs,
        fanout: fan.receivers,
        drainTimeoutMs: 30_000,
      })
      const cpu = cpuBetween(m.start, m.end, sys, ctx.cores)
      const reports = await reportsOf(workers)
      const out = await checkPhase(ctx, sys, {
        workers,
        reports,
        phase: 'm',
        tag,
        fanout: fan.receivers,
        cpu,
        drained: m.drain.drained,
      })
      const latency = ms(out.merged.delivery.get('0'))
      const ack = ms(out.merged.ack.get('0'))
      return [
        {
          scenario: 'L-fan',
          system: sys.name,
          round: roundNo,
          valid: out.invalid.length === 0,
          invalid: out.invalid,
          warnings: [...retryWarning(connect), ...out.warnings],
          figures: {
            receivers: fan.receivers,
            senders: fan.senders,
            offeredMsgPerSec: fan.rate,
            deliveriesPerSec: round(out.merged.delivered / (fan.measureMs / 1000), 0),
            ...cpuFigures(cpu, out.merged.delivered),
            latencyP50Ms: latency.p50,
            latencyP95Ms: latency.p95,
            latencyP99Ms: latency.p99,
            latencyMaxMs: latency.max,
            ackP50Ms: ack.p50,
            ackP99Ms: ack.p99,
            serverEldP99Ms: Math.max(...m.probes.map((p) => p.eld.p99)),
            serverRssMb: round(m.probes.reduce((a, p) => a + p.memory.rss, 0) / 2 ** 20, 1),
            sendLagP99Ms: ms(out.merged.sendLag).p99,
            connectSeconds: round(connect.ms / 1000, 2),
            ...out.figures,
          },
          details: { windowUs: [m.start.atUs, m.end.atUs], cpu, latency, ack, eld: m.probes.map((p) => p.eld) },
        },
      ]
    },
  )
}
