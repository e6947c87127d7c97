// Turns run results into the summary: medians over rounds, Parlor ÷ baseline ratios, the issue's
// targets, and the human-readable table (plain text and Markdown).
import type { RoundTripCosts } from './calibrate'
import type { Machine } from './infra'
import type { BenchOptions, SystemName } from './options'
import { type Figures, type RunResult, SCENARIO_NAMES, type ScenarioName } from './results'

type Metric = { key: string; label: string; better?: 'higher' | 'lower' }

/** The rows of the table per scenario (every figure is in the JSON; these are the headline ones). */
export const TABLE_METRICS: Record<ScenarioName, Metric[]> = {
  'L-fan': [
    { key: 'deliveriesPerSec', label: 'deliveries/s', better: 'higher' },
    { key: 'serverCpuUsPerDelivery', label: 'server CPU-µs per delivery', better: 'lower' },
    { key: 'deliveriesPerCpuSecond', label: 'deliveries per CPU-second', better: 'higher' },
    { key: 'latencyP50Ms', label: 'latency p50 ms', better: 'lower' },
    { key: 'latencyP95Ms', label: 'latency p95 ms', better: 'lower' },
    { key: 'latencyP99Ms', label: 'latency p99 ms', better: 'lower' },
    { key: 'serverCores', label: 'server cores used', better: 'lower' },
    { key: 'serverEldP99Ms', label: 'event-loop delay p99 ms', better: 'lower' },
    { key: 'lostDeliveries', label: 'lost deliveries' },
  ],
  'L-chat': [
    { key: 'offeredMsgPerSec', label: 'offered msg/s' },
    { key: 'persistedMsgPerSec', label: 'acked (Parlor: persisted) msg/s', better: 'higher' },
    { key: 'deliveriesPerSec', label: 'deliveries/s', better: 'higher' },
    { key: 'serverCpuUsPerDelivery', label: 'server CPU-µs per delivery', better: 'lower' },
    { key: 'deliveriesPerCpuSecond', label: 'deliveries per CPU-second', better: 'higher' },
    { key: 'ackP50Ms', label: 'ack p50 ms', better: 'lower' },
    { key: 'ackP99Ms', label: 'ack p99 ms', better: 'lower' },
    { key: 'deliveryP50Ms', label: 'delivery p50 ms', better: 'lower' },
    { key: 'deliveryP99Ms', label: 'delivery p99 ms', better: 'lower' },
    { key: 'infraCpuUsPerDelivery', label: 'PostgreSQL+Redis CPU-µs per delivery' },
    { key: 'lostDeliveries', label: 'lost deliveries' },
    { key: 'lostMessages', label: 'lost messages (acked − DB rows)' },
  ],
  'L-chat+votes': [
    { key: 'offeredMsgPerSec', label: 'offered msg/s' },
    { key: 'togglesPerSec', label: 'vote/reaction toggles/s' },
    { key: 'deliveriesPerSec', label: 'message deliveries/s', better: 'higher' },
    { key: 'serverCpuUsPerDelivery', label: 'server CPU-µs per message delivery', better: 'lower' },
    { key: 'deliveryP99Ms', label: 'delivery p99 ms', better: 'lower' },
    { key: 'toggleAckP99Ms', label: 'toggle ack p99 ms', better: 'lower' },
    { key: 'deliveryP99VsLChat', label: 'delivery p99 ÷ L-chat (same run)', better: 'lower' },
    { key: 'cpuPerDeliveryVsLChat', label: 'CPU per delivery ÷ L-chat (same run)', better: 'lower' },
    { key: 'lostDeliveries', label: 'lost deliveries' },
  ],
  'L-chat+thumbs': [
    { key: 'offeredMsgPerSec', label: 'offered msg/s' },
    { key: 'thumbnailsInFlight', label: 'image uploads in flight' },
    { key: 'thumbnailsPerSec', label: 'images + thumbnails made/s' },
    { key: 'uploadP99Ms', label: 'upload (with thumbnail) p99 ms' },
    { key: 'deliveryP99Ms', label: 'delivery p99 ms', better: 'lower' },
    { key: 'deliveryP99VsLChat', label: 'delivery p99 ÷ L-chat (same run)', better: 'lower' },
    { key: 'cpuPerDeliveryVsLChat', label: 'CPU per delivery ÷ L-chat (same run)', better: 'lower' },
    { key: 'lostDeliveries', label: 'lost deliveries' },
  ],
  'Login burst': [
    { key: 'loginsOk', label: 'logins succeeded' },
    { key: 'loginsPerSec', label: 'logins/s', better: 'higher' },
    { key: 'loginP50Ms', label: 'login p50 ms', better: 'lower' },
    { key: 'loginP99Ms', label: 'login p99 ms', better: 'lower' },
    { key: 'chatDeliveryP99DuringBurstMs', label: 'chat delivery p99 during burst ms', better: 'lower' },
  ],
  'L-chat-peak': [
    { key: 'offeredMsgPerSec', label: 'offered msg/s' },
    { key: 'persistedMsgPerSec', label: 'acked (Parlor: persisted) msg/s', better: 'higher' },
    { key: 'sustainedMsgPerSec', label: 'highest rate kept up with, msg/s', better: 'higher' },
    { key: 'deliveriesPerSec', label: 'deliveries/s', better: 'higher' },
    { key: 'serverCpuUsPerDelivery', label: 'server CPU-µs per delivery', better: 'lower' },
    { key: 'deliveriesPerCpuSecond', label: 'deliveries per CPU-second', better: 'higher' },
    { key: 'serverCores', label: 'server cores used', better: 'lower' },
    { key: 'infraCpuUsPerDelivery', label: 'PostgreSQL+Redis CPU-µs per delivery' },
    { key: 'ackP99Ms', label: 'ack p99 ms', better: 'lower' },
    { key: 'deliveryP99Ms', label: 'delivery p99 ms', better: 'lower' },
    { key: 'lostMessages', label: 'lost messages (acked − DB rows)' },
  ],
  'L-soak': [
    { key: 'connections', label: 'connections' },
    { key: 'connectionsPerInstance', label: 'connections per instance', better: 'higher' },
    { key: 'connectsPerSec', label: 'connects/s', better: 'higher' },
    { key: 'rssKbPerConnection', label: 'RSS kB per connection', better: 'lower' },
    { key: 'heapKbPerConnection', label: 'JS heap kB per connection', better: 'lower' },
    { key: 'eldP99HoldMs', label: 'event-loop delay p99 ms (holding)', better: 'lower' },
    { key: 'eldP99RampMs', label: 'event-loop delay p99 ms (connecting)', better: 'lower' },
    { key: 'serverCoresHold', label: 'server cores used (holding)', better: 'lower' },
  ],
  'Class login': [
    { key: 'served', label: 'people served' },
    { key: 'loginsPerSec', label: 'logins (+ app opened)/s', better: 'higher' },
    { key: 'secondsUntilAllServed', label: 'seconds until all served', better: 'lower' },
    { key: 'latencyP50Ms', label: 'login → app open p50 ms', better: 'lower' },
    { key: 'latencyP99Ms', label: 'login → app open p99 ms', better: 'lower' },
    { key: 'latencyMaxMs', label: 'login → app open max ms', better: 'lower' },
    { key: 'serverCpuMsPerClient', label: 'server CPU-ms per person', better: 'lower' },
    { key: 'pgQueriesPerClient', label: 'PostgreSQL queries per person', better: 'lower' },
    { key: 'serverEldP99Ms', label: 'event-loop delay p99 ms', better: 'lower' },
  ],
  'Join storm': [
    { key: 'served', label: 'clients served' },
    { key: 'secondsUntilAllServed', label: 'seconds until all served', better: 'lower' },
    { key: 'latencyP50Ms', label: 'open room p50 ms', better: 'lower' },
    { key: 'latencyP99Ms', label: 'open room p99 ms', better: 'lower' },
    { key: 'latencyMaxMs', label: 'open room max ms', better: 'lower' },
    { key: 'serverCpuMsPerClient', label: 'server CPU-ms per client', better: 'lower' },
    { key: 'pgQueriesPerClient', label: 'PostgreSQL queries per client', better: 'lower' },
    { key: 'serverEldP99Ms', label: 'event-loop delay p99 ms', better: 'lower' },
  ],
  'Reconnect storm': [
    { key: 'served', label: 'clients served' },
    { key: 'secondsUntilAllServed', label: 'seconds until all served (from SIGTERM)', better: 'lower' },
    { key: 'notServedInBudget', label: 'not served within the budget' },
    { key: 'clientsServedPerSec', label: 'reconnects + resyncs/s', better: 'higher' },
    { key: 'latencyP50Ms', label: 'reconnect → resynced p50 ms', better: 'lower' },
    { key: 'latencyP99Ms', label: 'reconnect → resynced p99 ms', better: 'lower' },
    { key: 'latencyMaxMs', label: 'reconnect → resynced max ms', better: 'lower' },
    { key: 'serverCpuMsPerClient', label: 'server CPU-ms per client', better: 'lower' },
    { key: 'pgQueriesPerClient', label: 'PostgreSQL queries per client', better: 'lower' },
    { key: 'serverEldP99Ms', label: 'event-loop delay p99 ms', better: 'lower' },
    { key: 'messagesDuringStorm', label: 'messages sent during the storm' },
    { key: 'clientsWithGaps', label: 'clients missing messages after resync' },
  ],
}

const PARLORS: SystemName[] = ['parlor-2', 'parlor-1']
const BASELINES: SystemName[] = ['socketio', 'ws']
export const RATIO_KEYS = PARLORS.flatMap((p) => BASELINES.map((b) => `${p}÷${b}`))

export type SystemSummary = {
  valid: boolean
  invalid: string[]
  warnings: string[]
  figures: Figures
  rounds: RunResult[]
}

export type ScenarioSummary = {
  description: string
  systems: Partial<Record<SystemName, SystemSummary>>
  /** Parlor ÷ baseline for every figure both have, e.g. ratios['parlor-2÷socketio'].deliveriesPerCpuSecond. */
  ratios: Record<string, Figures>
}

export type Target = {
  text: string
  /** true/false, or null when not measured in this run. */
  met: boolean | null
  measured: string
}

export type BenchResults = {
  schema: 1
  quick: boolean
  valid: boolean
  machine: Machine
  options: Omit<BenchOptions, 'faults' | 'out' | 'adminUrl' | 'databaseUrl' | 'redisUrl' | 'redisPrefix'>
  durationSeconds: number
  scenarios: Partial<Record<ScenarioName, ScenarioSummary>>
  targets: Target[]
  notes: string[]
  table: string
}

export function describeScenario(scenario: ScenarioName, o: BenchOptions): string {
  const s = (ms: number) => `${ms / 1000} s`
  const chatRate = Math.round((o.chat.users / (o.chat.intervalMs / 1000)) * 10) / 10
  switch (scenario) {
    case 'L-fan':
      return `1 room, ${o.fan.receivers} receivers, ${o.fan.senders} senders at ${o.fan.rate} msg/s in total, ${s(o.fan.measureMs)}`
    case 'L-chat':
      return `${o.chat.users} authenticated users in rooms of ${o.chat.roomSize}, each sending every ${s(o.chat.intervalMs)} (${chatRate} msg/s), ${s(o.chat.steadyMs)}`
    case 'L-chat+votes':
      return `L-chat again on the same connections with one vote or reaction toggle per ${o.chat.toggleEvery} messages (Parlor only), ${s(o.chat.steadyMs)}`
    case 'L-chat+thumbs':
      return `L-chat again on the same connections while ${o.chat.thumbnails} photo uploads (2400 × 1600 JPEG, re-encoded with a thumbnail) are always in flight (Parlor only), ${s(o.chat.steadyMs)}`
    case 'Login burst':
      return `${o.login.count} logins offered at ${o.login.rate}/s (bcrypt cost 10) while L-chat goes on`
    case 'L-chat-peak':
      return (
        `the L-chat users at ${o.chat.peakRate} msg/s offered for ${s(o.chat.peakMs)}, fan-out ${o.chat.roomSize}; ` +
        `if the server falls behind, up to ${o.chat.peakSearchSteps} steps of ${s(o.chat.peakStepMs)} search the highest rate it keeps up with`
      )
    case 'L-soak':
      return `${o.soak.connections} connections, ${o.soak.activeShare * 100}% of them in one room getting ${o.soak.rate} msg/s, held ${s(o.soak.holdMs)}`
    case 'Class login':
      return (
        `${o.storm.logins} people log in (bcrypt cost 10) evenly over ${s(o.storm.loginSpreadMs)} and open the app as the web client does ` +
        `(room list, directs + own profile, unread, room:join of a room with history, its escalations and commands, filters + rooms:watch, escalations); timed from the login POST to the last answer`
      )
    case 'Join storm':
      return `${o.storm.joinClients} connected clients open one room of ${o.storm.joinHistory} messages within ${s(o.storm.joinSpreadMs)} (room:join with the newest 50, then its escalations and commands)`
    case 'Reconnect storm':
      return (
        `${o.storm.reconnectClients} clients of one instance, each with a room of ${o.storm.roomSize} open (${o.storm.history} messages); the instance gets SIGTERM and every client ` +
        `reconnects to the other instance after 500 ms ± 50 % and resyncs as the web client does (the connect handler's requests, room:join, /changes since its rev); ` +
        `${o.storm.flowingShare * 100}% of the rooms get ${o.storm.sendRate} msg/s in total meanwhile; no client may miss one`
      )
  }
}

const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b)
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2
}

export function summarize(runs: RunResult[], o: BenchOptions): Partial<Record<ScenarioName, ScenarioSummary>> {
  const out: Partial<Record<ScenarioName, ScenarioSummary>> = {}
  for (const scenario of SCENARIO_NAMES) {
    const mine = runs.filter((r) => r.scenario === scenario)
    if (mine.length === 0) continue
    const systems: Partial<Record<SystemName, SystemSummary>> = {}
    for (const system of o.systems) {
      const rs = mine.filter((r) => r.system === system)
      if (rs.length === 0) continue
      const keys = new Set(rs.flatMap((r) => Object.keys(r.figures)))
      const figures: Figures = {}
      for (const k of keys) {
        const vals = rs.map((r) => r.figures[k]).filter((v): v is number => typeof v === 'number')
        figures[k] = vals.length > 0 ? Math.round(median(vals) * 1000) / 1000 : null
      }
      const tagged = (r: RunResult, t: string) => (rs.length > 1 ? `round ${r.round}: ${t}` : t)
      systems[system] = {
        valid: rs.every((r) => r.valid),
        invalid: rs.flatMap((r) => r.invalid.map((t) => tagged(r, t))),
        warnings: rs.flatMap((r) => r.warnings.map((t) => tagged(r, t))),
        figures,
        rounds: rs,
      }
    }
    const ratios: Record<string, Figures> = {}
    for (const p of PARLORS) {
      for (const b of BASELINES) {
        const pf = systems[p]?.figures
        const bf = systems[b]?.figures
        if (!pf || !bf) continue
        const r: Figures = {}
        for (const [k, v] of Object.entries(pf)) {
          const base = bf[k]
          if (typeof v === 'number' && typeof base === 'number' && base !== 0)
            r[k] = Math.round((v / base) * 1000) / 1000
        }
        ratios[`${p}÷${b}`] = r
      }
    }
    out[scenario] = { description: describeScenario(scenario, o), systems, ratios }
  }
  return out
}

/** The targets, evaluated on this run's figures. */
export function evaluateTargets(s: Partial<Record<ScenarioName, ScenarioSummary>>): Target[] {
  const fig = (sc: ScenarioName, sys: SystemName, k: string) => s[sc]?.systems[sys]?.figures[k] ?? null
  const ratio = (sc: ScenarioName, key: string, k: string) => s[sc]?.ratios[key]?.[k] ?? null
  const valid = (sc: ScenarioName, sys: SystemName) => s[sc]?.systems[sys]?.valid ?? false
  const fmt = (v: number | null, unit = '') => (v === null ? 'n/a' : `${v}${unit}`)
  const t = (text: string, met: boolean | null, measured: string): Target => ({ text, met, measured })
  const atLeast = (v: number | null, min: number) => (v === null ? null : v >= min)
  const targets: Target[] = []

  for (const [sc, min] of [
    ['L-fan', 0.6],
    ['L-chat', 0.5],
  ] as const) {
    const r2 = ratio(sc, 'parlor-2÷socketio', 'deliveriesPerCpuSecond')
    const r1 = ratio(sc, 'parlor-1÷socketio', 'deliveriesPerCpuSecond')
    targets.push(
      t(
        `${sc}: Parlor deliveries per CPU-second ≥ ${min}× bare Socket.IO`,
        atLeast(r2, min),
        `2 instances ${fmt(r2, '×')}, 1 instance ${fmt(r1, '×')}`,
      ),
    )
  }
  const p99 = fig('L-chat', 'parlor-2', 'deliveryP99Ms')
  const lostD = fig('L-chat', 'parlor-2', 'lostDeliveries')
  const lostM = fig('L-chat', 'parlor-2', 'lostMessages')
  targets.push(
    t(
      'L-chat: p99 delivery latency ≤ 50 ms with 2 instances, 0 lost',
      p99 === null ? null : p99 <= 50 && lostD === 0 && lostM === 0 && valid('L-chat', 'parlor-2'),
      `p99 ${fmt(p99, ' ms')}, lost deliveries ${fmt(lostD)}, lost messages ${fmt(lostM)}, run ${valid('L-chat', 'parlor-2') ? 'valid' : 'invalid'}`,
    ),
  )
  const c1 = fig('L-soak', 'parlor-1', 'connectionsPerInstance')
  const c2 = fig('L-soak', 'parlor-2', 'connectionsPerInstance')
  targets.push(
    t(
      'L-soak: ≥ 10 000 sockets per instance',
      c1 === null ? null : c1 >= 10_000 && valid('L-soak', 'parlor-1'),
      `1 instance held ${fmt(c1)}; with 2 instances ${fmt(c2)} each`,
    ),
  )
  const m1 = ratio('L-soak', 'parlor-1÷socketio', 'rssKbPerConnection')
  const m2 = ratio('L-soak', 'parlor-2÷socketio', 'rssKbPerConnection')
  targets.push(
    t(
      'L-soak: RSS per connection ≤ 1.2× bare Socket.IO',
      m1 === null ? null : m1 <= 1.2,
      `1 instance ${fmt(m1, '×')} (${fmt(fig('L-soak', 'parlor-1', 'rssKbPerConnection'), ' kB')} vs ${fmt(fig('L-soak', 'socketio', 'rssKbPerConnection'), ' kB')}), 2 instances ${fmt(m2, '×')}`,
    ),
  )
  const persisted = fig('L-chat-peak', 'parlor-2', 'persistedMsgPerSec')
  targets.push(
    t(
      'L-chat-peak: persisted ≥ 1 500 msg/s at fan-out 10 (2 instances)',
      persisted === null ? null : persisted >= 1500 && fig('L-chat-peak', 'parlor-2', 'lostMessages') === 0,
      `at ${fmt(fig('L-chat-peak', 'parlor-2', 'offeredMsgPerSec'))} msg/s offered, 2 instances persisted ` +
        `${fmt(persisted, ' msg/s')}, 1 instance ${fmt(fig('L-chat-peak', 'parlor-1', 'persistedMsgPerSec'), ' msg/s')}; ` +
        `highest rate kept up with: 2 instances ${fmt(fig('L-chat-peak', 'parlor-2', 'sustainedMsgPerSec'), ' msg/s')}, ` +
        `1 instance ${fmt(fig('L-chat-peak', 'parlor-1', 'sustainedMsgPerSec'), ' msg/s')}`,
    ),
  )
  // Issue 23: the storms (ratios against bare Socket.IO in the same run; parlor-2 unless said).
  const atMost = (v: number | null, max: number) => (v === null ? null : v <= max)
  const both = (sc: ScenarioName, k: string, unit: string) =>
    `2 instances ${fmt(fig(sc, 'parlor-2', k), unit)}, 1 instance ${fmt(fig(sc, 'parlor-1', k), unit)}, bare ${fmt(fig(sc, 'socketio', k), unit)}`
  const r2 = (sc: ScenarioName, k: string) => ratio(sc, 'parlor-2÷socketio', k)
  const r1 = (sc: ScenarioName, k: string) => ratio(sc, 'parlor-1÷socketio', k)
  const ratios = (sc: ScenarioName, k: string) => `${fmt(r2(sc, k), '×')} (1 instance ${fmt(r1(sc, k), '×')})`
  targets.push(
    t(
      'L-soak: connects/s ≥ 0.6× bare Socket.IO (issue 23)',
      atLeast(r2('L-soak', 'connectsPerSec'), 0.6),
      `${ratios('L-soak', 'connectsPerSec')}: ${both('L-soak', 'connectsPerSec', '/s')}`,
    ),
    t(
      'Reconnect storm: reconnects + resyncs/s ≥ 0.6× bare Socket.IO (issue 23)',
      atLeast(r2('Reconnect storm', 'clientsServedPerSec'), 0.6),
      `${ratios('Reconnect storm', 'clientsServedPerSec')}: ${both('Reconnect storm', 'clientsServedPerSec', '/s')}; ` +
        `all served after ${fmt(fig('Reconnect storm', 'parlor-2', 'secondsUntilAllServed'), ' s')} (bare ${fmt(fig('Reconnect storm', 'socketio', 'secondsUntilAllServed'), ' s')})`,
    ),
    t(
      'L-soak: event-loop delay p99 while connecting ≤ 2× bare Socket.IO (issue 23)',
      atMost(r2('L-soak', 'eldP99RampMs'), 2),
      `${ratios('L-soak', 'eldP99RampMs')}: ${both('L-soak', 'eldP99RampMs', ' ms')}`,
    ),
    t(
      'Reconnect storm: event-loop delay p99 ≤ 2× bare Socket.IO (issue 23)',
      atMost(r2('Reconnect storm', 'serverEldP99Ms'), 2),
      `${ratios('Reconnect storm', 'serverEldP99Ms')}: ${both('Reconnect storm', 'serverEldP99Ms', ' ms')}`,
    ),
  )
  const classP99 = fig('Class login', 'parlor-2', 'latencyP99Ms')
  targets.push(
    t(
      'Class login: p99 < 2 s on 2 instances, bcrypt cost 10 (issue 23)',
      classP99 === null ? null : classP99 < 2000 && valid('Class login', 'parlor-2'),
      `p99 ${fmt(classP99, ' ms')} (1 instance ${fmt(fig('Class login', 'parlor-1', 'latencyP99Ms'), ' ms')}, bare ${fmt(fig('Class login', 'socketio', 'latencyP99Ms'), ' ms')}); ` +
        `logins/s ${both('Class login', 'loginsPerSec', '')}, ratio ${ratios('Class login', 'loginsPerSec')}; ` +
        `login burst p99 ${fmt(fig('Login burst', 'parlor-2', 'loginP99Ms'), ' ms')}`,
    ),
  )
  const peak2 = fig('L-chat-peak', 'parlor-2', 'deliveryP99Ms')
  const peak1 = fig('L-chat-peak', 'parlor-1', 'deliveryP99Ms')
  targets.push(
    t(
      'L-chat-peak: delivery p99 on 2 instances ≤ 3× 1 instance (issue 23)',
      peak2 === null || peak1 === null || peak1 === 0 ? null : peak2 <= 3 * peak1,
      `2 instances ${fmt(peak2, ' ms')}, 1 instance ${fmt(peak1, ' ms')}` +
        (peak2 !== null && peak1 ? ` (${Math.round((peak2 / peak1) * 100) / 100}×)` : ''),
    ),
  )
  return targets
}

const num = (v: number | null | undefined): string => {
  if (v === null || v === undefined) return '–'
  const a = Math.abs(v)
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })
}
const ratioText = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${v.toFixed(2)}×`)

/** The table as rows of cells, shared by the text and Markdown renderings. */
function tableRows(s: Partial<Record<ScenarioName, ScenarioSummary>>, systems: SystemName[]) {
  const blocks: { title: string; header: string[]; rows: string[][] }[] = []
  const ratioCols = RATIO_KEYS.filter((k) => {
    const [p, b] = k.split('÷') as SystemName[]
    return systems.includes(p) && systems.includes(b)
  })
  for (const scenario of SCENARIO_NAMES) {
    const sum = s[scenario]
    if (!sum) continue
    const cols = systems.filter((x) => sum.systems[x])
    const header = ['', ...cols, ...ratioCols.map((k) => k.replace('parlor-', 'P').replace('socketio', 'sio'))]
    const rows = TABLE_METRICS[scenario].map((m) => [
      m.label,
      ...cols.map((c) => num(sum.systems[c]?.figures[m.key])),
      ...ratioCols.map((k) => ratioText(sum.ratios[k]?.[m.key])),
    ])
    rows.push(['valid', ...cols.map((c) => (sum.systems[c]?.valid ? 'yes' : 'NO')), ...ratioCols.map(() => '')])
    blocks.push({ title: `${scenario}: ${sum.description}`, header, rows })
  }
  return blocks
}

export function renderText(
  s: Partial<Record<ScenarioName, ScenarioSummary>>,
  systems: SystemName[],
  targets: Target[],
): string {
  const out: string[] = []
  for (const b of tableRows(s, systems)) {
    const all = [b.header, ...b.rows]
    const widths = b.header.map((_, i) => Math.max(...all.map((r) => r[i].length)))
    out.push(b.title)
    for (const r of all)
      out.push(`  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`)
    out.push('')
  }
  const problems = invalidLines(s)
  if (problems.length > 0) out.push('INVALID RUNS', ...problems.map((p) => `  ${p}`), '')
  const warn = warningLines(s)
  if (warn.length > 0) out.push('Warnings', ...warn.map((p) => `  ${p}`), '')
  out.push('Targets (issues 8 and 23)')
  for (const t of targets) out.push(`  [${t.met === null ? ' ? ' : t.met ? 'met' : 'MISSED'}] ${t.text}: ${t.measured}`)
  return out.join('\n')
}

/** The few figures per scenario that carry the comparison (the README's table). */
const HEADLINE: { scenario: ScenarioName; key: string; label: string }[] = [
  { scenario: 'L-fan', key: 'deliveriesPerCpuSecond', label: 'deliveries per server CPU-second' },
  { scenario: 'L-fan', key: 'latencyP99Ms', label: 'send→receive p99, ms' },
  { scenario: 'L-chat', key: 'deliveriesPerCpuSecond', label: 'deliveries per server CPU-second' },
  { scenario: 'L-chat', key: 'infraCpuUsPerDelivery', label: 'PostgreSQL+Redis CPU-µs per delivery' },
  { scenario: 'L-chat', key: 'ackP99Ms', label: 'ack p99, ms' },
  { scenario: 'L-chat', key: 'deliveryP99Ms', label: 'delivery p99, ms' },
  { scenario: 'Login burst', key: 'loginsPerSec', label: 'logins/s' },
  { scenario: 'Login burst', key: 'chatDeliveryP99DuringBurstMs', label: 'chat delivery p99 during the burst, ms' },
  { scenario: 'L-chat-peak', key: 'persistedMsgPerSec', label: 'acked (Parlor: persisted) msg/s at the offered rate' },
  { scenario: 'L-chat-peak', key: 'sustainedMsgPerSec', label: 'highest rate kept up with, msg/s' },
  { scenario: 'L-soak', key: 'connectsPerSec', label: 'connects/s' },
  { scenario: 'L-soak', key: 'rssKbPerConnection', label: 'RSS kB per connection' },
  { scenario: 'L-soak', key: 'heapKbPerConnection', label: 'JS heap kB per connection' },
  { scenario: 'L-soak', key: 'eldP99HoldMs', label: 'event-loop delay p99 holding, ms' },
  { scenario: 'Class login', key: 'loginsPerSec', label: 'logins (+ app opened)/s' },
  { scenario: 'Class login', key: 'latencyP99Ms', label: 'login → app open p99, ms' },
  { scenario: 'Class login', key: 'pgQueriesPerClient', label: 'PostgreSQL queries per person' },
  { scenario: 'Join storm', key: 'latencyP99Ms', label: 'open room p99, ms' },
  { scenario: 'Join storm', key: 'pgQueriesPerClient', label: 'PostgreSQL queries per client' },
  { scenario: 'Reconnect storm', key: 'secondsUntilAllServed', label: 'seconds until all resynced' },
  { scenario: 'Reconnect storm', key: 'latencyP99Ms', label: 'reconnect → resynced p99, ms' },
  { scenario: 'Reconnect storm', key: 'serverEldP99Ms', label: 'event-loop delay p99 during the storm, ms' },
  { scenario: 'Reconnect storm', key: 'pgQueriesPerClient', label: 'PostgreSQL queries per client' },
]

export function renderHeadline(s: Partial<Record<ScenarioName, ScenarioSummary>>, systems: SystemName[]): string {
  const ratioCols = RATIO_KEYS.filter((k) => {
    const [p, b] = k.split('÷') as SystemName[]
    return systems.includes(p) && systems.includes(b)
  })
  const label = (k: string) => k.replace('parlor-', 'P').replace('socketio', 'sio')
  const out = [
    `| Scenario | Figure | ${systems.join(' | ')} | ${ratioCols.map(label).join(' | ')} |`,
    `|---|---|${systems.map(() => '---:').join('|')}|${ratioCols.map(() => '---:').join('|')}|`,
  ]
  for (const h of HEADLINE) {
    const sum = s[h.scenario]
    if (!sum) continue
    const cell = (sys: SystemName) => {
      const r = sum.systems[sys]
      if (!r) return '–'
      return `${num(r.figures[h.key])}${r.valid ? '' : ' (invalid)'}`
    }
    out.push(
      `| ${h.scenario} | ${h.label} | ${systems.map(cell).join(' | ')} | ${ratioCols.map((k) => ratioText(sum.ratios[k]?.[h.key])).join(' | ')} |`,
    )
  }
  return out.join('\n')
}

/** One line on what a PostgreSQL / Redis round trip costs the caller on this machine. */
export function roundTripLine(r: RoundTripCosts): string {
  return (
    `CPU per round trip from one Node process: PostgreSQL ${r.postgresBackToBack} µs back to back, ` +
    `${r.postgresPaced} µs paced (one per ${r.pacedGapMs} ms); Redis ${r.redisBackToBack} µs / ${r.redisPaced} µs`
  )
}

export function renderMarkdown(
  s: Partial<Record<ScenarioName, ScenarioSummary>>,
  systems: SystemName[],
  targets: Target[],
  machine?: Machine,
): string {
  const out: string[] = [renderHeadline(s, systems), '']
  for (const b of tableRows(s, systems)) {
    out.push(`**${b.title}**`, '')
    out.push(`| ${b.header.join(' | ')} |`)
    out.push(`|${b.header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`)
    for (const r of b.rows) out.push(`| ${r.join(' | ')} |`)
    out.push('')
  }
  out.push('| Target (issues 8 and 23) | Result | Measured |', '|---|---|---|')
  for (const t of targets)
    out.push(`| ${t.text} | ${t.met === null ? 'not measured' : t.met ? 'met' : '**missed**'} | ${t.measured} |`)
  const problems = invalidLines(s)
  if (problems.length > 0) out.push('', 'Invalid runs:', '', ...problems.map((p) => `- ${p}`))
  if (machine) {
    out.push(
      '',
      `Machine: ${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, ` +
        `${machine.postgres}, Redis ${machine.redis}; commit ${machine.commit ?? 'unknown'}, ${machine.startedAt}.`,
    )
    if (machine.roundTrips) out.push('', `${roundTripLine(machine.roundTrips)}.`)
  }
  return out.join('\n')
}

function invalidLines(s: Partial<Record<ScenarioName, ScenarioSummary>>): string[] {
  return Object.entries(s).flatMap(([sc, sum]) =>
    Object.entries(sum.systems).flatMap(([sys, r]) => (r?.invalid ?? []).map((t) => `${sc} / ${sys}: ${t}`)),
  )
}

function warningLines(s: Partial<Record<ScenarioName, ScenarioSummary>>): string[] {
  return Object.entries(s).flatMap(([sc, sum]) =>
    Object.entries(sum.systems).flatMap(([sys, r]) => (r?.warnings ?? []).map((t) => `${sc} / ${sys}: ${t}`)),
  )
}
