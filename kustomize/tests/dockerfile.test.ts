// The Dockerfile agrees with the manifests and the package (no Docker engine here, so these are
// static checks; the image's start path is what the e2e tests run).
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { ZEnv } from '../../server/src/config/env'
import { containerNamed, kustomizeDir, one, render, repoRoot } from './manifests'

type Instruction = { op: string; args: string }
type Stage = { from: string; name?: string; instructions: Instruction[] }

/** Dockerfile instructions grouped by stage (comments dropped, continuation lines joined). */
function stages(): { args: Record<string, string>; stages: Stage[] } {
  const text = readFileSync(`${repoRoot}Dockerfile`, 'utf8')
  const lines = text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  const args: Record<string, string> = {}
  const out: Stage[] = []
  for (const line of lines) {
    const [op, ...rest] = line.split(/\s+/)
    const instruction = { op: op.toUpperCase(), args: rest.join(' ') }
    if (instruction.op === 'ARG' && out.length === 0) {
      const [k, v = ''] = instruction.args.split('=')
      args[k] = v
    } else if (instruction.op === 'FROM') {
      const m = instruction.args.match(/^(\S+)(?:\s+AS\s+(\S+))?$/i)
      assert.ok(m, `FROM ${instruction.args}`)
      out.push({ from: m[1].replace(/\$\{(\w+)\}/g, (_, k) => args[k] ?? ''), name: m[2], instructions: [] })
    } else {
      assert.ok(out.length > 0, `${op} before FROM`)
      out[out.length - 1].instructions.push(instruction)
    }
  }
  return { args, stages: out }
}

const runs = (stage: Stage) => stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args)
const last = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).at(-1)?.args
const base = () => render(`${kustomizeDir}base`)
const config = (): Record<string, string> =>
  base().find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('parlor-config'))?.data ?? {}
const pkg = () => JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8'))

describe('Dockerfile', () => {
  test('multi-stage, every stage on a Node 20 slim image', () => {
    const { stages: all } = stages()
    assert.ok(all.length >= 2, 'at least a build and a runtime stage')
    for (const s of all) assert.match(s.from, /^node:20(\.\d+)*-(\w+-)?slim$/, s.from)
  })

  test('the build stage installs from the lockfile, builds the web UI, then drops dev dependencies', () => {
    const build = stages().stages[0]
    const commands = runs(build).join('\n')
    const order = ['npm ci', 'npm run build:web', 'npm prune --omit=dev'].map((c) => commands.indexOf(c))
    assert.ok(
      order.every((i) => i >= 0),
      `missing one of npm ci / build:web / prune:\n${commands}`,
    )
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
      'in this order',
    )
  })

  test('package.json defines the build:web script the Dockerfile runs', () => {
    assert.ok(pkg().scripts['build:web'], 'scripts.build:web')
  })

  test('the runtime stage runs as the non-root uid the pods declare', () => {
    const runtime = stages().stages.at(-1) as Stage
    const user = last(runtime, 'USER')
    assert.match(user ?? '', /^\d+(:\d+)?$/, 'numeric, so the kubelet can verify runAsNonRoot')
    const [uid, gid] = (user as string).split(':').map(Number)
    assert.notEqual(uid, 0)
    const pod = one(base(), 'Deployment', 'parlor').spec.template.spec
    assert.equal(pod.securityContext.runAsUser, uid)
    if (gid !== undefined) assert.equal(pod.securityContext.runAsGroup, gid)
  })

  test('node is PID 1 (exec form) and starts the server entry point package.json starts', () => {
    const runtime = stages().stages.at(-1) as Stage
    const cmd = JSON.parse(last(runtime, 'CMD') ?? 'null')
    assert.deepEqual(cmd, ['node', '--import', 'tsx', 'server/src/main.ts'])
    assert.equal(last(runtime, 'ENTRYPOINT'), undefined, 'no wrapper entrypoint')
    assert.ok(existsSync(`${repoRoot}${cmd.at(-1)}`))
    assert.ok(pkg().scripts.start.includes(cmd.at(-1)))
  })

  test('EXPOSE and the web UI location match the server config', () => {
    const runtime = stages().stages.at(-1) as Stage
    const cfg = config()
    assert.equal(Number(last(runtime, 'EXPOSE')), ZEnv.shape.PORT.parse(cfg.PORT))
    const dist = cfg.WEB_DIST_DIR ?? 'web/dist'
    const copies = runtime.instructions.filter((i) => i.op === 'COPY').map((i) => i.args)
    assert.ok(
      copies.some((c) => c.includes(`/app/${dist} ./${dist}`)),
      `the runtime stage copies ${dist}`,
    )
  })

  test('what runs in the pods survives `npm prune --omit=dev`', () => {
    const deps = pkg().dependencies
    for (const name of ['tsx', 'prisma', '@prisma/client']) assert.ok(deps[name], `${name} is a production dependency`)
    const migrate = containerNamed(one(base(), 'Deployment', 'parlor').spec.template.spec, 'migrate')
    assert.equal(migrate.command[0], 'node')
    assert.ok(existsSync(`${repoRoot}${migrate.command[1]}`), `${migrate.command[1]} exists`)
  })
})

describe('.dockerignore', () => {
  const patterns = () =>
    readFileSync(`${repoRoot}.dockerignore`, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))

  test('keeps dependencies, git history, local data and env files out of the build context', () => {
    const p = patterns()
    for (const wanted of ['**/node_modules', '.git', '.env', 'data', 'web/dist', 'kustomize']) {
      assert.ok(p.includes(wanted), `${wanted} is ignored`)
    }
  })

  test('keeps what the build needs', () => {
    const p = patterns()
    for (const needed of [
      'package.json',
      'package-lock.json',
      'prisma',
      'prisma.config.ts',
      'server',
      'server/src',
      'web',
    ]) {
      assert.ok(!p.includes(needed), `${needed} must reach the build`)
    }
  })
})
