// Uploads (issue 21) in the cluster: files live in PostgreSQL by default in both overlays (the pods'
// root filesystem stays read-only, no volume is added), and the object-storage Component switches the
// cloud overlay to an S3-compatible bucket with its keys from an operator Secret.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { after, describe, test } from 'node:test'
import { loadConfig } from '../../server/src/config/env'
import { containerNamed, kustomizeDir, one, overlays, render, renderOverlay, resolveEnv } from './manifests'

const server = (objects: ReturnType<typeof render>) =>
  containerNamed(one(objects, 'Deployment', 'parlor').spec.template.spec, 'server')
const fakeSecret = (_name: string, key: string) => `value-of-${key}`

describe('uploads in the overlays', () => {
  for (const overlay of overlays) {
    test(`${overlay}: files in PostgreSQL, read-only root filesystem, nothing written to disk`, () => {
      const objects = renderOverlay(overlay)
      const c = server(objects)
      const { env } = resolveEnv(c, objects, fakeSecret, { 'metadata.name': 'parlor-0' })
      assert.equal(env.STORAGE, 'postgres')
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true)
      assert.deepEqual(
        (c.volumeMounts ?? []).map((m: { mountPath: string }) => m.mountPath),
        ['/tmp'],
        'no volume for files: they are in the database',
      )
    })
  }

  const dir = mkdtempSync(`${kustomizeDir}tests/.render-`)
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('cloud + components/object-storage: STORAGE=s3, keys from the parlor-object-storage Secret, a valid config', () => {
    writeFileSync(
      `${dir}/kustomization.yaml`,
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources: [../../overlays/cloud]',
        'components: [../../components/object-storage]',
        '',
      ].join('\n'),
    )
    const objects = render(dir)
    const c = server(objects)
    const { env, secretRefs } = resolveEnv(c, objects, fakeSecret, { 'metadata.name': 'parlor-0' })
    assert.equal(env.STORAGE, 's3')
    assert.deepEqual(
      secretRefs.filter((r) => r.key.startsWith('S3_')),
      [
        { secret: 'parlor-object-storage', key: 'S3_ACCESS_KEY_ID' },
        { secret: 'parlor-object-storage', key: 'S3_SECRET_ACCESS_KEY' },
      ],
    )
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true)
    const config = loadConfig(
      { ...env, JWT_SECRET: 'x'.repeat(40), DATABASE_URL: 'postgres://db/parlor', REDIS_URL: 'redis://r' },
      { instanceId: 'k8s' },
    )
    assert.equal(config.STORAGE, 's3')
    assert.equal(config.S3_BUCKET, 'parlor-uploads')
  })
})
