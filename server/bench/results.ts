// Result records shared by the scenarios, the report and the JSON file.
import { type Histogram, type LatencySummary, summarize } from './hist'
import type { BenchDb } from './infra'
import type { BenchOptions, SystemName } from './options'
import type { WindowCpu } from './scenarios/traffic'
import type { SystemEnv } from './systems'

export const SCENARIO_NAMES = [
  'L-fan',
  'L-chat',
  'L-chat+votes',
  'L-chat+thumbs',
  'Login burst',
  'L-chat-peak',
  'L-soak',
  'Class login',
  'Join storm',
  'Reconnect storm',
] as const
export type ScenarioName = (typeof SCENARIO_NAMES)[number]

export type Figures = Record<string, number | null>

/** One scenario measured on one system in one round. */
export type RunResult = {
  scenario: ScenarioName
  system: SystemName
  round: number
  valid: boolean
  /** Why the run is invalid (empty when valid). */
  invalid: string[]
  /** Things worth knowing that do not invalidate the figures (noise, reduced sizes). */
  warnings: string[]
  figures: Figures
  details: Record<string, unknown>
}

/** Everything a scenario runner needs besides the system under test. */
export type RunCtx = {
  opts: BenchOptions
  db: BenchDb
  cores: number
  /** Name of the bench database (its PostgreSQL backends count as infrastructure CPU). */
  database: string
  /** A fresh tag for one run's rooms and clientMsgIds. */
  runTag(): string
  log(line: string): void
  /** What the systems were started with (the reconnect storm starts a second process of one-instance systems). */
  env: SystemEnv
}

export const ms = (h: Histogram | undefined): LatencySummary =>
  h ? summarize(h) : { count: 0, p50: null, p95: null, p99: null, p999: null, max: null, mean: null }

/** CPU figures of a window, per delivered message. */
export function cpuFigures(cpu: WindowCpu, deliveries: number): Figures {
  const per = deliveries > 0 ? cpu.serverCpuUsTotal / deliveries : null
  return {
    serverCpuUsPerDelivery: per === null ? null : Math.round(per * 100) / 100,
    deliveriesPerCpuSecond: per === null || per === 0 ? null : Math.round(1e6 / per),
    serverCores: Math.round((cpu.serverCpuUsTotal / (cpu.seconds * 1e6)) * 1000) / 1000,
    infraCpuUsPerDelivery: deliveries > 0 ? Math.round((cpu.infraCpuUs / deliveries) * 100) / 100 : null,
    postgresCpuUsPerDelivery: deliveries > 0 ? Math.round((cpu.postgresCpuUs / deliveries) * 100) / 100 : null,
    redisCpuUsPerDelivery: deliveries > 0 ? Math.round((cpu.redisCpuUs / deliveries) * 100) / 100 : null,
    generatorMaxCoreShare: Math.max(0, ...cpu.generatorCoreShare),
    backgroundCpuShare: cpu.backgroundShare,
  }
}

/** Marks generator saturation and machine noise on a run. */
export function generatorChecks(cpu: WindowCpu, limit: number, invalid: string[], warnings: string[]): void {
  cpu.generatorCoreShare.forEach((share, i) => {
    if (share > limit)
      invalid.push(
        `generator ${i} used ${Math.round(share * 100)}% of a core (limit ${Math.round(limit * 100)}%): the load generator, not the server, may be the bottleneck`,
      )
  })
  if (cpu.backgroundShare > 0.15)
    warnings.push(
      `${Math.round(cpu.backgroundShare * 100)}% of the machine's CPU was used by other processes during the window`,
    )
}

/** A run that could not measure anything (e.g. clients failed to connect). */
export function failedRun(scenario: ScenarioName, system: SystemName, round: number, reason: string): RunResult {
  return { scenario, system, round, valid: false, invalid: [reason], warnings: [], figures: {}, details: {} }
}

export const budgetText = (ctx: RunCtx) => `the ${ctx.opts.connectBudgetMs / 1000} s connect budget ran out`
