// Summarises V8 CPU profiles written by `npm run bench -- --profile` (bench/results/profiles/):
// self time by package / source area and the top functions, to explain where a server spends CPU.
// Usage: npx tsx server/bench/profile.ts <file.cpuprofile>... [--top=N]
//          [--results=bench/results/latest.json --scenario=L-chat-peak]  only samples inside that scenario's
//          measured window for the profiled system (from the profile's directory name), or
//          [--window=FROM_US,TO_US]  monotonic µs, as in the results' details.windowUs
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

type Node = {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

/** Where a frame's code lives: an npm package, a Parlor source folder, Node internals, or V8 pseudo-frames. */
export function areaOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]
  const src = /server\/(src|bench)\/([^/]+)/.exec(url)
  if (src) return `parlor:${src[1] === 'src' ? src[2].replace(/\.ts$/, '') : 'bench'}`
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`
  return url
}

export function summarizeProfile(p: Profile, top = 25, window: [number, number] | null = null) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  let t = p.startTime
  p.samples.forEach((id, i) => {
    t += p.timeDeltas[i] ?? 0
    if (window && (t < window[0] || t > window[1])) return
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0))
  })
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0)
  const idle = [...selfUs]
    .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
    .reduce((a, [, v]) => a + v, 0)
  const busy = total - idle
  const areas = new Map<string, number>()
  const fns = new Map<string, number>()
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = (byId.get(id) as Node).callFrame
    if (functionName === '(idle)') continue
    const area = areaOf(url, functionName)
    areas.set(area, (areas.get(area) ?? 0) + us)
    const key = `${functionName || '(anonymous)'}  ${url ? `${url.replace(/^.*\/(node_modules|server)\//, '$1/')}:${lineNumber + 1}` : ''}`
    fns.set(key, (fns.get(key) ?? 0) + us)
  }
  const pct = (us: number) => Math.round((us / busy) * 1000) / 10
  const sorted = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ name: k, ms: Math.round(us / 1000), pctOfBusy: pct(us) }))
  return {
    wallSeconds: Math.round(((window ? window[1] - window[0] : p.endTime - p.startTime) / 1e6) * 10) / 10,
    busySeconds: Math.round((busy / 1e6) * 10) / 10,
    byArea: sorted(areas),
    topFunctions: sorted(fns),
  }
}

/** The measured window of `scenario` on `system` in a results file (first round). */
function windowFrom(resultsFile: string, scenario: string, system: string): [number, number] | null {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'))
  const run = results.scenarios?.[scenario]?.systems?.[system]?.rounds?.[0]
  return run?.details?.windowUs ?? null
}

if (process.argv[1]?.endsWith('profile.ts')) {
  const args = process.argv.slice(2)
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
  const top = Number(flag('top') ?? 25)
  for (const file of args.filter((a) => !a.startsWith('--'))) {
    let window: [number, number] | null = null
    const explicit = flag('window')
    if (explicit) window = explicit.split(',').map(Number) as [number, number]
    const scenario = flag('scenario')
    if (scenario) {
      const system = /(parlor-\d)-\d+-\d+/.exec(file)?.[1] ?? ''
      window = windowFrom(flag('results') ?? 'bench/results/latest.json', scenario, system)
      if (!window) throw new Error(`no window for ${scenario} on ${system || '(unknown system)'} in the results`)
    }
    const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), top, window)
    console.log(
      `${basename(file)}: ${s.busySeconds} s busy of ${s.wallSeconds} s on the main thread${window ? ' (window)' : ''}`,
    )
    console.log('  self time by area:')
    for (const a of s.byArea) console.log(`    ${String(a.pctOfBusy).padStart(5)}%  ${a.name}`)
    console.log('  top functions (self time):')
    for (const f of s.topFunctions) console.log(`    ${String(f.pctOfBusy).padStart(5)}%  ${f.name}`)
    console.log('')
  }
}
