// `npm run bench [-- flags]`: runs the benchmark and prints the table. Exit code 0 when every run is
// valid, 3 when some run is invalid (the table says which and why), 1 when the harness failed.
import { readFileSync, writeFileSync } from 'node:fs'
import { abortBench, runBench } from './bench'
import { parseOptions, USAGE } from './options'
import { type BenchResults, renderMarkdown } from './report'

let opts: ReturnType<typeof parseOptions>
try {
  opts = parseOptions(process.argv.slice(2))
} catch (err) {
  console.error(`${(err as Error).message}\n\n${USAGE}`)
  process.exit(1)
}
if (opts === 'help') {
  console.log(USAGE)
  process.exit(0)
}
if ('render' in opts) {
  const results = JSON.parse(readFileSync(opts.render, 'utf8')) as BenchResults
  writeFileSync(
    opts.render.replace(/\.json$/, '.md'),
    `${renderMarkdown(results.scenarios, results.options.systems, results.targets, results.machine)}\n`,
  )
  console.log(`wrote ${opts.render.replace(/\.json$/, '.md')}`)
  process.exit(0)
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers and generators, dropping the bench database…`)
    abortBench()
  })
}

try {
  const results = await runBench(opts)
  console.log(`\n${results.table}\n`)
  console.log(
    `${results.valid ? 'All runs valid.' : 'SOME RUNS ARE INVALID (see above).'} ${results.durationSeconds} s.`,
  )
  if (opts.out) console.log(`Results: ${opts.out} (and .md)`)
  process.exit(results.valid ? 0 : 3)
} catch (err) {
  console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
  process.exit(1)
}
