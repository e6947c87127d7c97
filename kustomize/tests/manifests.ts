// Helpers for the offline Kubernetes tests: render an overlay with `kubectl kustomize`, validate each
// object against the Kubernetes OpenAPI schemas bundled in kubernetes-models (including unknown
// fields, which those schemas do not reject), and resolve what a container's environment will be.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'

/** A rendered Kubernetes object (plain JSON). */
export type K8sObject = {
  apiVersion: string
  kind: string
  metadata: { name: string; [k: string]: any }
  [k: string]: any
}

/** The repository root and the kustomize directory, independent of the working directory. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
export const kustomizeDir = fileURLToPath(new URL('../', import.meta.url))
export const overlays = ['minikube', 'cloud'] as const
export type Overlay = (typeof overlays)[number]

export const overlayDir = (overlay: Overlay) => `${kustomizeDir}overlays/${overlay}`

const rendered = new Map<string, K8sObject[]>()

/** `kubectl kustomize dir` parsed into objects (cached per directory). Throws if the build fails. */
export function render(dir: string): K8sObject[] {
  const cached = rendered.get(dir)
  if (cached) return structuredClone(cached)
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const objects = parseAllDocuments(out)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${dir}: invalid YAML: ${doc.errors[0].message}`)
      return doc.toJS() as K8sObject | null
    })
    .filter((o): o is K8sObject => o !== null)
  for (const o of objects) {
    // kustomize folds long base64 values over several lines; the API server's decoder (Go's
    // encoding/base64) skips the newlines, the bundled "byte" format does not.
    if (o.kind === 'Secret' && o.data) {
      for (const [k, v] of Object.entries(o.data)) o.data[k] = String(v).replace(/\n/g, '')
    }
  }
  rendered.set(dir, objects)
  return structuredClone(objects)
}

export const renderOverlay = (overlay: Overlay) => render(overlayDir(overlay))

export const idOf = (o: K8sObject) => `${o.kind}/${o.metadata?.name ?? '?'}`

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name))
}

export function one(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = find(objects, kind, name)
  if (found.length !== 1) throw new Error(`expected exactly one ${kind}/${name}, found ${found.length}`)
  return found[0]
}

// ---------------------------------------------------------------------------------------------
// Schema validation

/**
 * Wraps a value so every property the validator reads is recorded. The validators compiled into
 * kubernetes-models read each property their schema defines (`data.imagePullPolicy`), and iterate
 * map-typed objects (labels, ConfigMap data) key by key; a key that is never read is not in the schema.
 */
function tracked(root: unknown) {
  const read = new WeakMap<object, Set<string>>()
  const proxies = new WeakMap<object, object>()
  const wrap = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value
    const existing = proxies.get(value)
    if (existing) return existing
    const keys = new Set<string>()
    read.set(value, keys)
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key === 'string') keys.add(key)
        return wrap(Reflect.get(target, key, receiver))
      },
      has(target, key) {
        if (typeof key === 'string') keys.add(key)
        return Reflect.has(target, key)
      },
    })
    proxies.set(value, proxy)
    return proxy
  }
  return { proxy: wrap(root), read }
}

function unreadKeys(value: unknown, read: WeakMap<object, Set<string>>, path: string, out: string[]) {
  if (value === null || typeof value !== 'object') return
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      unreadKeys(item, read, `${path}/${i}`, out)
    })
    return
  }
  const keys = read.get(value)
  for (const [key, child] of Object.entries(value)) {
    if (!keys?.has(key)) out.push(`${path}/${key}: unknown field`)
    else unreadKeys(child, read, `${path}/${key}`, out)
  }
}

/**
 * Every problem the bundled Kubernetes schema finds in `obj`, plus every field it does not define
 * (a misspelled `imagePullPolicyy` is silently dropped by the API server, so it counts as an error).
 * An object whose apiVersion/kind has no bundled schema is an error too. Empty means valid.
 */
export async function schemaErrors(obj: K8sObject): Promise<string[]> {
  const apiVersion = String(obj?.apiVersion ?? '')
  const kind = String(obj?.kind ?? '')
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion]
  const modulePath = `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`
  let Model: any
  try {
    Model = (await import(modulePath))[kind]
  } catch {
    Model = undefined
  }
  if (typeof Model?.prototype?.validate !== 'function') return [`no bundled schema for ${apiVersion} ${kind}`]

  const { proxy, read } = tracked(obj)
  const errors: string[] = []
  try {
    // The model's validate() runs the compiled schema on `this`: run it on the recording proxy.
    Model.prototype.validate.call(proxy)
  } catch (err: any) {
    const details: any[] = err?.errors ?? [err]
    for (const e of details) {
      const params = e?.params ? ` ${JSON.stringify(e.params)}` : ''
      errors.push(`${e?.instancePath || '/'}: ${e?.message ?? String(e)}${params}`)
    }
  }
  unreadKeys(obj, read, '', errors)
  return errors
}

// ---------------------------------------------------------------------------------------------
// Workloads, containers and their environment

export type PodSpec = { [k: string]: any }
export type Container = { name: string; [k: string]: any }

export const workloadKinds = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']

/** Every workload with its pod template (CronJob: the job's template). */
export function workloads(objects: K8sObject[]): { obj: K8sObject; pod: { metadata?: any; spec: PodSpec } }[] {
  return objects
    .filter((o) => workloadKinds.includes(o.kind))
    .map((obj) => ({ obj, pod: obj.kind === 'CronJob' ? obj.spec.jobTemplate.spec.template : obj.spec.template }))
}

export const allContainers = (pod: PodSpec): Container[] => [...(pod.initContainers ?? []), ...(pod.containers ?? [])]

export function containerNamed(pod: PodSpec, name: string): Container {
  const found = allContainers(pod).find((c) => c.name === name)
  if (!found) throw new Error(`no container ${name}`)
  return found
}

/** Whether a label selector (matchLabels only, as used here) selects the given labels. */
export function selects(selector: { matchLabels?: Record<string, string> } | undefined, labels = {}) {
  const wanted = Object.entries(selector?.matchLabels ?? {})
  return wanted.length > 0 && wanted.every(([k, v]) => (labels as Record<string, string>)[k] === v)
}

export type SecretLookup = (secret: string, key: string) => string | undefined

/** Decoded values of the rendered Secrets (data is base64, stringData plain). */
export function renderedSecrets(objects: K8sObject[]): SecretLookup {
  return (secret, key) => {
    const s = find(objects, 'Secret', secret)[0]
    if (!s) return undefined
    if (s.stringData?.[key] !== undefined) return String(s.stringData[key])
    if (s.data?.[key] !== undefined) return Buffer.from(String(s.data[key]), 'base64').toString('utf8')
    return undefined
  }
}

export type ResolvedEnv = {
  /** Name → value, in Kubernetes' precedence (env overrides envFrom, later envFrom overrides earlier). */
  env: Record<string, string>
  /** Every Secret key the container reads: name and key. */
  secretRefs: { secret: string; key: string }[]
  /** References that do not resolve (missing ConfigMap/Secret or key). */
  unresolved: string[]
}

/**
 * The environment a container will see. ConfigMaps come from the rendered objects, Secrets from
 * `secret` (rendered or operator-supplied values), downward-API fields from `fields`.
 */
export function resolveEnv(
  container: Container,
  objects: K8sObject[],
  secret: SecretLookup,
  fields: Record<string, string> = {},
): ResolvedEnv {
  const env: Record<string, string> = {}
  const secretRefs: ResolvedEnv['secretRefs'] = []
  const unresolved: string[] = []
  const configMap = (name: string) => find(objects, 'ConfigMap', name)[0]

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? ''
    if (from.configMapRef) {
      const cm = configMap(from.configMapRef.name)
      if (!cm) unresolved.push(`envFrom ConfigMap ${from.configMapRef.name}`)
      for (const [k, v] of Object.entries(cm?.data ?? {})) env[prefix + k] = String(v)
    }
    if (from.secretRef) unresolved.push(`envFrom Secret ${from.secretRef.name} (keys unknown; use secretKeyRef)`)
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value)
    else if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef
      secretRefs.push({ secret: name, key })
      const v = secret(name, key)
      if (v === undefined) unresolved.push(`${e.name} <- Secret ${name}/${key}`)
      else env[e.name] = v
    } else if (e.valueFrom?.configMapKeyRef) {
      const { name, key } = e.valueFrom.configMapKeyRef
      const v = configMap(name)?.data?.[key]
      if (v === undefined) unresolved.push(`${e.name} <- ConfigMap ${name}/${key}`)
      else env[e.name] = String(v)
    } else if (e.valueFrom?.fieldRef) {
      const v = fields[e.valueFrom.fieldRef.fieldPath]
      if (v === undefined) unresolved.push(`${e.name} <- field ${e.valueFrom.fieldRef.fieldPath}`)
      else env[e.name] = v
    } else unresolved.push(`${e.name}: unsupported source`)
  }
  return { env, secretRefs, unresolved }
}

/** KEY=value lines of an env file (comments and blank lines skipped), as kustomize reads them. */
export function readEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    const i = trimmed.indexOf('=')
    if (i < 0) throw new Error(`${path}: not KEY=value: ${trimmed}`)
    out[trimmed.slice(0, i)] = trimmed.slice(i + 1)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles (static: no Docker engine here; .ci/image builds and runs them)

export type Instruction = { op: string; args: string }
export type Stage = { from: string; name?: string; instructions: Instruction[] }

/** A Dockerfile's (path from the repository root) instructions grouped by stage (comments dropped, continuation lines joined). */
export function stages(path = 'Dockerfile'): { args: Record<string, string>; stages: Stage[] } {
  const text = readFileSync(`${repoRoot}${path}`, 'utf8')
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

export const runs = (stage: Stage) => stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args)
export const last = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).at(-1)?.args
