// The server's configuration in each overlay: the environment its containers get (ConfigMap, Secret,
// downward API) passes the same schema the server uses (server/src/config/env.ts) in production.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { ConfigError, DEV_JWT_SECRET, loadConfig, ZEnv } from '../../server/src/config/env'
import {
  containerNamed,
  type K8sObject,
  one,
  overlayDir,
  readEnvFile,
  renderedSecrets,
  renderOverlay,
  repoRoot,
  resolveEnv,
  type SecretLookup,
} from './manifests'

/** What the downward API gives the server (INSTANCE_ID comes from the pod name). */
const podFields = { 'metadata.name': 'parlor-5c9d8f7b6d-x2x9k' }
const instance = { instanceId: 'test' }

/** The variables production cannot start without, read from the schema itself (not a copy here). */
function requiredInProduction(): string[] {
  const parsed = ZEnv.safeParse({ NODE_ENV: 'production' })
  assert.equal(parsed.success, false, 'production with no settings should be refused')
  return [...new Set(parsed.error?.issues.map((i) => String(i.path[0])) ?? [])].sort()
}

const knownVariables = new Set(Object.keys(ZEnv.shape))

function serverPod(objects: K8sObject[]) {
  return one(objects, 'Deployment', 'parlor').spec.template.spec
}

/** The operator's Secret for the cloud overlay: the keys secrets.env.example lists. */
const cloudSecretKeys = () => Object.keys(readEnvFile(`${overlayDir('cloud')}/secrets.env.example`)).sort()

/** Plausible operator-supplied values for every listed key (what a real Secret would hold). */
const sampleOperatorValues: Record<string, string> = {
  DATABASE_URL: 'postgresql://parlor:s3cret@db.internal.example:5432/parlor?sslmode=require',
  REDIS_URL: 'rediss://:s3cret@cache.internal.example:6380',
  JWT_SECRET: 'q8Zc1v0kXy7Lw2Rr5Tt9Pp3Nn6Mm4Bb1Vv8Cc2Xx5Zz7Aa0Ss',
}
const operatorSecret =
  (values: Record<string, string>): SecretLookup =>
  (name, key) =>
    name === 'parlor-secrets' ? values[key] : undefined

test('the schema names the variables production requires', () => {
  const required = requiredInProduction()
  assert.ok(required.length > 0)
  for (const name of required) assert.ok(knownVariables.has(name), name)
})

describe('overlays/minikube', () => {
  const objects = () => renderOverlay('minikube')
  const serverEnv = () => {
    const o = objects()
    return resolveEnv(containerNamed(serverPod(o), 'server'), o, renderedSecrets(o), podFields)
  }

  test('every ConfigMap, Secret and field the server reads exists', () => {
    assert.deepEqual(serverEnv().unresolved, [])
  })

  test('the server gets every variable production requires', () => {
    const { env } = serverEnv()
    for (const name of requiredInProduction()) assert.ok(env[name], `${name} is not provided`)
  })

  test('every variable the server gets is one the schema knows (no typos)', () => {
    const unknown = Object.keys(serverEnv().env).filter((k) => !knownVariables.has(k))
    assert.deepEqual(unknown, [])
  })

  test('loadConfig accepts the environment as production', () => {
    const config = loadConfig(serverEnv().env, instance)
    assert.equal(config.NODE_ENV, 'production')
    assert.deepEqual(config.mode, { database: 'postgres', redis: 'redis' })
    assert.equal(config.instanceId, podFields['metadata.name'])
    assert.notEqual(config.JWT_SECRET, DEV_JWT_SECRET)
  })

  test('the server does not migrate on start: its migrate initContainer does', () => {
    assert.equal(loadConfig(serverEnv().env, instance).MIGRATE_ON_START, false)
  })

  test('the migrate initContainer reads the same DATABASE_URL as the server', () => {
    const o = objects()
    const migrate = resolveEnv(containerNamed(serverPod(o), 'migrate'), o, renderedSecrets(o), podFields)
    assert.deepEqual(migrate.unresolved, [])
    assert.equal(migrate.env.DATABASE_URL, serverEnv().env.DATABASE_URL)
  })

  test('the dev URLs point at the in-cluster Services with the passwords they are started with', () => {
    const o = objects()
    const secret = renderedSecrets(o)
    const { env } = serverEnv()
    const db = new URL(env.DATABASE_URL)
    const pgService = one(o, 'Service', 'postgres')
    assert.equal(db.hostname, pgService.metadata.name)
    assert.equal(Number(db.port), pgService.spec.ports[0].port)
    const pg = resolveEnv(containerNamed(one(o, 'StatefulSet', 'postgres').spec.template.spec, 'postgres'), o, secret)
    assert.deepEqual(pg.unresolved, [])
    assert.equal(decodeURIComponent(db.username), pg.env.POSTGRES_USER)
    assert.equal(decodeURIComponent(db.password), pg.env.POSTGRES_PASSWORD)
    assert.equal(db.pathname, `/${pg.env.POSTGRES_DB}`)

    const redisUrl = new URL(env.REDIS_URL)
    const redisService = one(o, 'Service', 'redis')
    assert.equal(redisUrl.hostname, redisService.metadata.name)
    assert.equal(Number(redisUrl.port), redisService.spec.ports[0].port)
    const redis = resolveEnv(containerNamed(one(o, 'Deployment', 'redis').spec.template.spec, 'redis'), o, secret)
    assert.deepEqual(redis.unresolved, [])
    assert.equal(decodeURIComponent(redisUrl.password), redis.env.REDIS_PASSWORD)
  })

  test('the committed secrets file is marked DEV ONLY', () => {
    const text = readFileSync(`${overlayDir('minikube')}/dev-secrets.env`, 'utf8')
    assert.match(text.split('\n').slice(0, 5).join('\n'), /DEV ONLY/)
    assert.match(text, /NEVER USE IN PRODUCTION/)
  })
})

describe('overlays/cloud', () => {
  const objects = () => renderOverlay('cloud')
  const refs = () => {
    const o = objects()
    const pod = serverPod(o)
    return ['server', 'migrate'].flatMap(
      (name) => resolveEnv(containerNamed(pod, name), o, operatorSecret(sampleOperatorValues), podFields).secretRefs,
    )
  }

  test('the server reads secrets only from the operator-supplied Secret parlor-secrets, which is not rendered', () => {
    assert.deepEqual([...new Set(refs().map((r) => r.secret))], ['parlor-secrets'])
    assert.deepEqual(
      objects().filter((o) => o.kind === 'Secret'),
      [],
    )
  })

  test('secrets.env.example lists exactly the keys the server reads, with no values', () => {
    const listed = cloudSecretKeys()
    assert.deepEqual([...new Set(refs().map((r) => r.key))].sort(), listed)
    const values = readEnvFile(`${overlayDir('cloud')}/secrets.env.example`)
    assert.deepEqual(
      Object.entries(values).filter(([, v]) => v !== ''),
      [],
    )
  })

  test('the README Deploy section documents every key of the Secret', () => {
    const readme = readFileSync(`${repoRoot}README.md`, 'utf8')
    const start = readme.indexOf('## Deploy')
    assert.ok(start >= 0, 'README has a Deploy section')
    const end = readme.indexOf('\n## ', start + 1)
    const section = readme.slice(start, end < 0 ? undefined : end)
    for (const key of cloudSecretKeys()) assert.ok(section.includes(key), `README Deploy section lacks ${key}`)
    assert.ok(section.includes('parlor-secrets'))
  })

  test('every variable production requires comes from the ConfigMap or the operator Secret', () => {
    const o = objects()
    const { env, unresolved } = resolveEnv(
      containerNamed(serverPod(o), 'server'),
      o,
      operatorSecret(sampleOperatorValues),
      podFields,
    )
    assert.deepEqual(unresolved, [])
    for (const name of requiredInProduction()) assert.ok(env[name], `${name} is not provided`)
    assert.deepEqual(
      Object.keys(env).filter((k) => !knownVariables.has(k)),
      [],
    )
  })

  test('loadConfig accepts the environment as production once the operator Secret holds real values', () => {
    const o = objects()
    const { env } = resolveEnv(
      containerNamed(serverPod(o), 'server'),
      o,
      operatorSecret(sampleOperatorValues),
      podFields,
    )
    const config = loadConfig(env, instance)
    assert.equal(config.NODE_ENV, 'production')
    assert.deepEqual(config.mode, { database: 'postgres', redis: 'redis' })
  })

  test('(negative) the same environment without any one operator key is refused, naming the key', () => {
    const o = objects()
    for (const missing of cloudSecretKeys()) {
      const values = { ...sampleOperatorValues }
      delete values[missing]
      const { env } = resolveEnv(containerNamed(serverPod(o), 'server'), o, operatorSecret(values), podFields)
      assert.throws(
        () => loadConfig(env, instance),
        (err: unknown) => err instanceof ConfigError && err.message.includes(missing),
        `without ${missing}`,
      )
    }
  })

  test('(negative) the development JWT secret is refused', () => {
    const o = objects()
    const values = { ...sampleOperatorValues, JWT_SECRET: DEV_JWT_SECRET }
    const { env } = resolveEnv(containerNamed(serverPod(o), 'server'), o, operatorSecret(values), podFields)
    assert.throws(() => loadConfig(env, instance), ConfigError)
  })
})
