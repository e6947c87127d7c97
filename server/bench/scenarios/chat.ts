// L-chat: authenticated users in rooms of N, each sending once per interval, spread across the
// instances. A login burst runs while the chat continues (Login burst), and then the same
// connections are driven at a fixed high rate (L-chat-peak: persisted msg/s at the same fan-out).
import type { ClientSpec, LoginReport } from '../gen/protocol'
import { merge } from '../hist'
import { countMessages, createRooms, fakeRooms, PASSWORD } from '../infra'
import { budgetText, cpuFigures, type Figures, failedRun, ms, type RunCtx, type RunResult } from '../results'
import type { RunningSystem } from '../systems'
import { sleep } from '../clock'
import { checkPhase } from './checks'
import { photo } from '../../test/files'
import { makeThumbnails, type ThumbnailReport } from './thumbnails'
import { chunk, connectWorkers, cpuBetween, measure, reportsOf, retryWarning, round, withWorkers } from './traffic'

/** Phase names of the peak steps (distinct ids and clientMsgIds per step). */
const PEAK_PHASES = ['p', 'q', 'r', 's', 't', 'u']
/** Pause between peak steps so an overloaded server can clear its backlog. */
const PEAK_RECOVERY_MS = 2000
/** A rate is sustained if the last acknowledgement and delivery arrive within this long after the last send. */
const SUSTAINED_LAG_MS = 1000

export async function runChat(ctx: RunCtx, sys: RunningSystem, roundNo: number): Promise<RunResult[]> {
  const { chat, login } = ctx.opts
  const tag = ctx.runTag()
  const size = chat.roomSize
  const userCount = Math.max(size, Math.floor(chat.users / size) * size)
  const roomCount = userCount / size
  const users = ctx.db.users
  const rooms =
    sys.protocol === 'parlor'
      ? await createRooms(ctx.db, {
          tag,
          count: roomCount,
          members: (r) => users.slice(r * size, (r + 1) * size).map((u) => u.id),
        })
      : fakeRooms(roomCount)
  const clients: ClientSpec[] = users.slice(0, userCount).map((u, i) => ({
    url: sys.urls[i % sys.urls.length],
    user: u.username,
    token: u.token,
    joins: [rooms[Math.floor(i / size)]],
  }))
  const lists = chunk(clients, chat.workers)
  const senders = lists.map((list) => list.map((c, i) => ({ client: i, room: c.joins[0] })))
  const rate = userCount / (chat.intervalMs / 1000)
  const loginUsers = users.slice(userCount, userCount + login.count).map((u) => u.username)
  const burst = loginUsers.length > 0

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
      if (connect.connected < userCount) {
        return [
          failedRun(
            'L-chat',
            sys.name,
            roundNo,
            `only ${connect.connected}/${userCount} users connected: ${connect.errors[0] ?? budgetText(ctx)}`,
          ),
        ]
      }
      ctx.log(
        `  ${userCount} users in ${roomCount} rooms connected and joined in ${(connect.ms / 1000).toFixed(1)} s; warm-up`,
      )
      await measure(sys, workers, senders, ctx.database, {
        phase: 'w',
        rate,
        durationMs: chat.warmupMs,
        fanout: 0,
        drainTimeoutMs: 5000,
      })
      const durationMs = chat.steadyMs + (burst ? chat.burstWindowMs : 0)
      ctx.log(
        `  measuring ${round(rate, 1)} msg/s for ${chat.steadyMs / 1000} s` +
          (burst ? `, then ${loginUsers.length} logins at ${login.rate}/s while the chat goes on` : ''),
      )
      const lastWorker = workers[workers.length - 1]
      const m = await measure(sys, workers, senders, ctx.database, {
        phase: 'm',
        rate,
        durationMs,
        fanout: size,
        drainTimeoutMs: 30_000,
        windows: (t0) => [
          { fromUs: t0, toUs: t0 + chat.steadyMs * 1000 },
          { fromUs: t0 + chat.steadyMs * 1000, toUs: t0 + durationMs * 1000 + 1 },
        ],
        markOffsetsMs: [chat.steadyMs],
        during: burst
          ? (t0) =>
              lastWorker.call<LoginReport>(
                {
                  type: 'login',
                  startAtUs: t0 + chat.steadyMs * 1000,
                  rate: login.rate,
                  logins: loginUsers,
                  password: PASSWORD,
                  urls: sys.urls,
                },
                durationMs + 180_000,
              )
          : undefined,
      })
      const steadyCpu = cpuBetween(m.start, m.marks[0], sys, ctx.cores)
      const wholeCpu = cpuBetween(m.start, m.end, sys, ctx.cores)

      // L-chat+votes (issue 16): the same chat on the same connections, with votes and reactions mixed in.
      const withToggles = sys.protocol === 'parlor' && chat.toggleEvery > 0
      let v: Awaited<ReturnType<typeof measure>> | null = null
      if (withToggles) {
        ctx.log(`  L-chat+votes: ${round(rate, 1)} msg/s with a toggle per ${chat.toggleEvery} messages`)
        v = await measure(sys, workers, senders, ctx.database, {
          phase: 'v',
          rate,
          durationMs: chat.steadyMs,
          fanout: size,
          drainTimeoutMs: 30_000,
          toggleEvery: chat.toggleEvery,
        })
      }

      // L-chat+thumbs (issue 21): the same chat while image uploads keep the thumbnail queue full.
      let th: Awaited<ReturnType<typeof measure<ThumbnailReport>>> | null = null
      if (sys.protocol === 'parlor' && chat.thumbnails > 0) {
        const image = await photo(2400, 1600)
        ctx.log(`  L-chat+thumbs: ${round(rate, 1)} msg/s with ${chat.thumbnails} photo uploads in flight`)
        th = await measure(sys, workers, senders, ctx.database, {
          phase: 'i',
          rate,
          durationMs: chat.steadyMs,
          fanout: size,
          drainTimeoutMs: 30_000,
          during: (t0) =>
            makeThumbnails({
              urls: sys.urls,
              token: users[0].token,
              roomId: rooms[0],
              image,
              concurrency: chat.thumbnails,
              fromUs: t0,
              toUs: t0 + chat.steadyMs * 1000,
            }),
        })
      }

      let peak: Awaited<ReturnType<typeof measure>> | null = null
      // When the server cannot keep up with the offered peak rate, look for the highest rate it keeps
      // up with (nothing failed, all delivered, backlog gone within 1 s), halving then bisecting.
      const search: { rate: number; ok: boolean; acked: number; failed: number; sent: number; lagMs: number }[] = []
      if (chat.peakRate > 0) {
        ctx.log(`  L-chat-peak: ${chat.peakRate} msg/s offered for ${chat.peakMs / 1000} s`)
        let lo = 0
        let hi = Number.POSITIVE_INFINITY
        let rate = chat.peakRate
        for (let step = 0; step <= chat.peakSearchSteps; step++) {
          const m = await measure(sys, workers, senders, ctx.database, {
            phase: PEAK_PHASES[step],
            rate,
            durationMs: step === 0 ? chat.peakMs : chat.peakStepMs,
            fanout: size,
            drainTimeoutMs: 90_000,
          })
          if (step === 0) peak = m
          const p = m.drain.progress
          // Kept up: nothing failed, everything delivered, and the backlog cleared within 1 s of the last send.
          const lagMs = Math.max(0, (m.drain.atUs - m.endAtUs) / 1000)
          const ok = p.failed === 0 && p.acked === p.sent && p.delivered === p.sent * size && lagMs <= SUSTAINED_LAG_MS
          search.push({
            rate: round(rate, 1),
            ok,
            acked: p.acked,
            failed: p.failed,
            sent: p.sent,
            lagMs: round(lagMs, 0),
          })
          if (ok) lo = Math.max(lo, rate)
          else hi = Math.min(hi, rate)
          if (step === 0 && ok) break
          if (step === chat.peakSearchSteps) break
          rate = lo === 0 ? hi / 2 : (lo + hi) / 2
          ctx.log(
            `    ${ok ? 'kept up' : 'fell behind'}; trying ${round(rate, 0)} msg/s for ${chat.peakStepMs / 1000} s`,
          )
          await sleep(PEAK_RECOVERY_MS)
        }
      }

      const reports = await reportsOf(workers)
      const out = await checkPhase(ctx, sys, {
        workers,
        reports,
        phase: 'm',
        tag,
        fanout: size,
        cpu: wholeCpu,
        drained: m.drain.drained,
      })
      const results: RunResult[] = []

      const steadyDelivery = ms(out.merged.delivery.get('0'))
      const steadyAck = ms(out.merged.ack.get('0'))
      const steadyDelivered = steadyDelivery.count
      const common = { users: userCount, roomSize: size, rooms: roomCount, instances: sys.urls.length }
      results.push({
        scenario: 'L-chat',
        system: sys.name,
        round: roundNo,
        valid: out.invalid.length === 0,
        invalid: out.invalid,
        warnings: [...retryWarning(connect), ...out.warnings],
        figures: {
          ...common,
          offeredMsgPerSec: round(rate, 1),
          persistedMsgPerSec: round(steadyAck.count / (chat.steadyMs / 1000), 1),
          deliveriesPerSec: round(steadyDelivered / (chat.steadyMs / 1000), 0),
          ...cpuFigures(steadyCpu, steadyDelivered),
          ackP50Ms: steadyAck.p50,
          ackP99Ms: steadyAck.p99,
          deliveryP50Ms: steadyDelivery.p50,
          deliveryP99Ms: steadyDelivery.p99,
          deliveryMaxMs: steadyDelivery.max,
          serverEldP99Ms: Math.max(...m.probes.map((p) => p.eld.p99)),
          serverRssMb: round(m.probes.reduce((a, p) => a + p.memory.rss, 0) / 2 ** 20, 1),
          connectSeconds: round(connect.ms / 1000, 2),
          ...out.figures,
        },
        details: {
          windowUs: [m.start.atUs, m.marks[0].atUs],
          steadyCpu,
          wholePhaseCpu: wholeCpu,
          steadyDelivery,
          steadyAck,
          eld: m.probes.map((p) => p.eld),
        },
      })

      if (v) {
        const vcpu = cpuBetween(v.start, v.end, sys, ctx.cores)
        const vo = await checkPhase(ctx, sys, {
          workers,
          reports,
          phase: 'v',
          tag,
          fanout: size,
          cpu: vcpu,
          drained: v.drain.drained,
        })
        const delivery = ms(vo.merged.delivery.get('0'))
        const toggles = reports.map((r) => r.phases.v?.toggles).filter((t) => t !== undefined)
        const toggleAck = ms(merge(toggles.map((t) => t.ack)))
        const sent = toggles.reduce((a, t) => a + t.sent, 0)
        const failed = toggles.reduce((a, t) => a + t.failed, 0)
        const figures = cpuFigures(vcpu, delivery.count)
        const base = results[0].figures
        const ratio = (x: number | null, y: number | null | undefined) =>
          x === null || y === null || y === undefined || y === 0 ? null : round(x / y, 2)
        const invalid = [...vo.invalid]
        if (failed > 0)
          invalid.push(`${failed} of ${sent} toggles failed: ${reports.flatMap((r) => r.errors)[0] ?? ''}`)
        results.push({
          scenario: 'L-chat+votes',
          system: sys.name,
          round: roundNo,
          valid: invalid.length === 0,
          invalid,
          warnings: vo.warnings,
          figures: {
            ...common,
            offeredMsgPerSec: round(rate, 1),
            togglesPerSec: round(sent / (chat.steadyMs / 1000), 1),
            deliveriesPerSec: round(delivery.count / (chat.steadyMs / 1000), 0),
            ...figures,
            deliveryP50Ms: delivery.p50,
            deliveryP99Ms: delivery.p99,
            toggleAckP50Ms: toggleAck.p50,
            toggleAckP99Ms: toggleAck.p99,
            deliveryP99VsLChat: ratio(delivery.p99, base.deliveryP99Ms),
            cpuPerDeliveryVsLChat: ratio(figures.serverCpuUsPerDelivery, base.serverCpuUsPerDelivery),
            ...vo.figures,
          },
          details: { windowUs: [v.start.atUs, v.end.atUs], cpu: vcpu, delivery, toggleAck },
        })
      }

      if (th) {
        const tcpu = cpuBetween(th.start, th.end, sys, ctx.cores)
        const to = await checkPhase(ctx, sys, {
          workers,
          reports,
          phase: 'i',
          tag,
          fanout: size,
          cpu: tcpu,
          drained: th.drain.drained,
        })
        const delivery = ms(to.merged.delivery.get('0'))
        const made = th.during as ThumbnailReport
        const sorted = made.latencyMs.toSorted((a, b) => a - b)
        const pct = (q: number) =>
          sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))], 1) : null
        const figures = cpuFigures(tcpu, delivery.count)
        const base = results[0].figures
        const ratio = (x: number | null, y: number | null | undefined) =>
          x === null || y === null || y === undefined || y === 0 ? null : round(x / y, 2)
        const invalid = [...to.invalid]
        if (made.failed > 0) invalid.push(`${made.failed} uploads failed: ${made.errors[0] ?? ''}`)
        if (made.made === 0) invalid.push('no thumbnail was made')
        results.push({
          scenario: 'L-chat+thumbs',
          system: sys.name,
          round: roundNo,
          valid: invalid.length === 0,
          invalid,
          warnings: to.warnings,
          figures: {
            ...common,
            offeredMsgPerSec: round(rate, 1),
            thumbnailsInFlight: chat.thumbnails,
            thumbnailsMade: made.made,
            thumbnailsPerSec: round(made.made / (chat.steadyMs / 1000), 2),
            uploadP50Ms: pct(0.5),
            uploadP99Ms: pct(0.99),
            deliveriesPerSec: round(delivery.count / (chat.steadyMs / 1000), 0),
            ...figures,
            deliveryP50Ms: delivery.p50,
            deliveryP99Ms: delivery.p99,
            deliveryP99VsLChat: ratio(delivery.p99, base.deliveryP99Ms),
            cpuPerDeliveryVsLChat: ratio(figures.serverCpuUsPerDelivery, base.serverCpuUsPerDelivery),
            serverEldP99Ms: Math.max(...th.probes.map((p) => p.eld.p99)),
            ...to.figures,
          },
          details: { windowUs: [th.start.atUs, th.end.atUs], cpu: tcpu, delivery },
        })
      }

      if (burst && m.during) {
        const l = m.during as LoginReport
        const lat = ms(merge([l.latency]))
        const during = ms(out.merged.delivery.get('1'))
        const burstCpu = cpuBetween(m.marks[0], m.end, sys, ctx.cores)
        const invalid = [...out.invalid]
        if (l.failed > 0) invalid.push(`${l.failed} of ${loginUsers.length} logins failed: ${l.errors[0]}`)
        const figures: Figures = {
          logins: loginUsers.length,
          offeredLoginsPerSec: login.rate,
          loginsOk: l.ok,
          loginsPerSec: round(l.ok / Math.max(0.001, (l.lastDoneUs - l.firstDueUs) / 1e6), 1),
          loginP50Ms: lat.p50,
          loginP99Ms: lat.p99,
          loginMaxMs: lat.max,
          chatDeliveryP50DuringBurstMs: during.p50,
          chatDeliveryP99DuringBurstMs: during.p99,
          chatDeliveryP99SteadyMs: steadyDelivery.p99,
          serverCores: round(burstCpu.serverCpuUsTotal / (burstCpu.seconds * 1e6), 3),
          backgroundCpuShare: burstCpu.backgroundShare,
        }
        results.push({
          scenario: 'Login burst',
          system: sys.name,
          round: roundNo,
          valid: invalid.length === 0,
          invalid,
          warnings: [...out.warnings],
          figures,
          details: { windowUs: [m.marks[0].atUs, m.end.atUs], burstCpu, login: lat, chatDuringBurst: during },
        })
      }

      if (peak) {
        const pcpu = cpuBetween(peak.start, peak.end, sys, ctx.cores)
        const po = await checkPhase(ctx, sys, {
          workers,
          reports,
          phase: 'p',
          tag,
          fanout: size,
          cpu: pcpu,
          drained: peak.drain.drained,
        })
        const stored = sys.protocol === 'parlor' ? await countMessages(ctx.db, `${tag}-p-`) : po.merged.acked
        const seconds = Math.max(chat.peakMs, (po.merged.lastAckUs - peak.startAtUs) / 1000) / 1000
        const delivery = ms(po.merged.delivery.get('0'))
        const ack = ms(po.merged.ack.get('0'))
        results.push({
          scenario: 'L-chat-peak',
          system: sys.name,
          round: roundNo,
          valid: po.invalid.length === 0,
          invalid: po.invalid,
          warnings: po.warnings,
          figures: {
            ...common,
            offeredMsgPerSec: chat.peakRate,
            persistedMsgPerSec: round(stored / seconds, 1),
            deliveriesPerSec: round(po.merged.delivered / seconds, 0),
            ...cpuFigures(pcpu, po.merged.delivered),
            ackP50Ms: ack.p50,
            ackP99Ms: ack.p99,
            deliveryP50Ms: delivery.p50,
            deliveryP99Ms: delivery.p99,
            serverEldP99Ms: Math.max(...peak.probes.map((p) => p.eld.p99)),
            sustainedMsgPerSec: Math.max(0, ...search.filter((x) => x.ok).map((x) => x.rate)),
            ...po.figures,
          },
          details: {
            windowUs: [peak.start.atUs, peak.end.atUs],
            cpu: pcpu,
            delivery,
            ack,
            eld: peak.probes.map((p) => p.eld),
            secondsToLastAck: seconds,
            rateSearch: search,
          },
        })
      }
      return results
    },
  )
}
