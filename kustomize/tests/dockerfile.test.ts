// The Dockerfile agrees with the manifests and the package (no Docker engine here, so these are
// static checks; the image's start path is what the e2e tests run).
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { ZEnv } from '../../server/src/config/env'
import { containerNamed, kustomizeDir, last, one, render, repoRoot, runs, type Stage, stages } from './manifests'

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

  test('the build stage installs from the lockfile, builds web UI and server, then drops dev dependencies', () => {
    const build = stages().stages[0]
    const commands = runs(build).join('\n')
    const order = ['npm ci', 'npm run build:web', 'npm run build:server', 'npm prune --omit=dev'].map((c) =>
      commands.indexOf(c),
    )
    assert.ok(
      order.every((i) => i >= 0),
      `missing one of npm ci / build:web / build:server / prune:\n${commands}`,
    )
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
      'in this order',
    )
  })

  test('package.json defines the build:web and build:server scripts the Dockerfile runs', () => {
    assert.ok(pkg().scripts['build:web'], 'scripts.build:web')
    assert.ok(pkg().scripts['build:server'], 'scripts.build:server')
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

  test('node is PID 1 (exec form) and runs the compiled form of the entry point npm start runs', () => {
    const runtime = stages().stages.at(-1) as Stage
    const cmd = JSON.parse(last(runtime, 'CMD') ?? 'null')
    assert.deepEqual(cmd, ['node', 'dist/server/main.js'], 'plain node on JavaScript: no tsx at run time')
    assert.equal(last(runtime, 'ENTRYPOINT'), undefined, 'no wrapper entrypoint')
    // build:server compiles the file `npm start` runs into the file the image runs.
    const build = pkg().scripts['build:server'] as string
    const entry = build.split(/\s+/).find((w) => w.endsWith('.ts')) as string
    assert.ok(existsSync(`${repoRoot}${entry}`), `${entry} exists`)
    assert.ok(pkg().scripts.start.includes(entry), `npm start runs ${entry}`)
    assert.ok(build.includes(`--outfile=${cmd[1]}`), `build:server writes ${cmd[1]}`)
    const copies = runtime.instructions.filter((i) => i.op === 'COPY').map((i) => i.args)
    assert.ok(
      copies.some((c) => c.includes('/app/dist/server ./dist/server')),
      'the runtime stage copies the compiled server',
    )
    assert.ok(!copies.some((c) => c.includes('server/src ')), 'and not the TypeScript sources')
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

  test('what runs in the pods survives `npm prune --omit=dev`; the compilers do not reach the image', () => {
    const deps = pkg().dependencies
    for (const name of ['prisma', '@prisma/client', 'bcrypt'])
      assert.ok(deps[name], `${name} is a production dependency`)
    for (const name of ['tsx', 'esbuild', 'typescript', 'vite'])
      assert.ok(!deps[name] && pkg().devDependencies[name], `${name} is a dev dependency`)
    const migrate = containerNamed(one(base(), 'Deployment', 'parlor').spec.template.spec, 'migrate')
    assert.equal(migrate.command[0], 'node')
    assert.ok(existsSync(`${repoRoot}${migrate.command[1]}`), `${migrate.command[1]} exists`)
    // The Prisma CLI in the runtime stage finds its config, the adapter module it imports, and the migrations.
    const runtime = stages().stages.at(-1) as Stage
    const copied = runtime.instructions
      .filter((i) => i.op === 'COPY')
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1))
      .join(' ')
    for (const needed of ['/app/prisma.config.ts', '/app/server/src/db/pg-compat.ts', '/app/prisma'])
      assert.ok(copied.includes(needed), `the runtime stage copies ${needed}`)
    const config = readFileSync(`${repoRoot}prisma.config.ts`, 'utf8')
    for (const [, path] of config.matchAll(/from '(\.\/[^']+)'/g))
      assert.ok(copied.includes(`/app/${path.slice(2)}`), `prisma.config.ts imports ${path}, which the image has`)
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
