// Every variant builds with `kubectl kustomize`, and every rendered object is valid against the
// Kubernetes schemas bundled in kubernetes-models, with no unknown fields.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { idOf, type K8sObject, kustomizeDir, one, overlays, render, renderOverlay, schemaErrors } from './manifests'

async function invalid(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = []
  for (const obj of objects) {
    for (const e of await schemaErrors(obj)) problems.push(`${idOf(obj)} ${e}`)
  }
  return problems
}

describe('kustomize builds', () => {
  test('the base builds', () => {
    assert.ok(render(`${kustomizeDir}base`).length > 0)
  })
  for (const overlay of overlays) {
    test(`overlays/${overlay} builds`, () => {
      assert.ok(renderOverlay(overlay).length > 0)
    })
  }
})

describe('rendered objects match the Kubernetes schemas (no unknown fields)', () => {
  for (const overlay of overlays) {
    test(`overlays/${overlay}`, async () => {
      assert.deepEqual(await invalid(renderOverlay(overlay)), [])
    })
  }
})

describe('the schema check catches mistakes (negative tests on broken copies)', () => {
  const deployment = () => one(renderOverlay('minikube'), 'Deployment', 'parlor')

  test('a valid object has no errors', async () => {
    assert.deepEqual(await schemaErrors(deployment()), [])
  })

  test('a misspelled container field', async () => {
    const d = deployment()
    d.spec.template.spec.containers[0].imagePullPolicyy = 'Never'
    assert.deepEqual(await schemaErrors(d), ['/spec/template/spec/containers/0/imagePullPolicyy: unknown field'])
  })

  test('a misspelled field deep inside a probe', async () => {
    const d = deployment()
    d.spec.template.spec.containers[0].readinessProbe.httpGet.pth = '/readyz'
    assert.deepEqual(await schemaErrors(d), [
      '/spec/template/spec/containers/0/readinessProbe/httpGet/pth: unknown field',
    ])
  })

  test('a misspelled top-level field', async () => {
    const d = deployment()
    d.spce = d.spec
    assert.deepEqual(await schemaErrors(d), ['/spce: unknown field'])
  })

  test('a misspelled Service field', async () => {
    const s = one(renderOverlay('minikube'), 'Service', 'parlor')
    s.spec.sessionAfinity = s.spec.sessionAffinity
    delete s.spec.sessionAffinity
    assert.deepEqual(await schemaErrors(s), ['/spec/sessionAfinity: unknown field'])
  })

  test('a wrong type', async () => {
    const d = deployment()
    d.spec.replicas = '2'
    const errors = await schemaErrors(d)
    assert.equal(errors.length, 1)
    assert.match(errors[0], /^\/spec\/replicas: .*integer/)
  })

  test('a missing required field', async () => {
    const d = deployment()
    delete d.spec.template.spec.containers[0].name
    const errors = await schemaErrors(d)
    assert.ok(
      errors.some((e) => e.startsWith('/spec/template/spec/containers/0:') && e.includes('name')),
      errors.join('\n'),
    )
  })

  test('an unknown kind or apiVersion', async () => {
    const d = deployment()
    d.apiVersion = 'apps/v1beta9'
    assert.deepEqual(await schemaErrors(d), ['no bundled schema for apps/v1beta9 Deployment'])
  })

  test('map-typed fields (labels, ConfigMap data) accept any key', async () => {
    const cm = renderOverlay('minikube').find((o) => o.kind === 'ConfigMap') as K8sObject
    cm.data.ANY_NEW_SETTING = 'x'
    cm.metadata.labels = { ...cm.metadata.labels, 'example.com/anything': 'y' }
    assert.deepEqual(await schemaErrors(cm), [])
  })
})
