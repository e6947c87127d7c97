// Locust in the cluster (kustomize/components/loadtest): its web UI on NodePort 30223 in minikube, a
// master and a few workers aimed at the in-cluster Parlor Service, its image built from the repository
// with Debian's packages, and nothing of it in the cloud overlay. (The workloads also go through every
// generic invariant in invariants.test.ts: probes, resources, non-root, read-only, tagged images.)
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { find, type K8sObject, last, one, renderOverlay, repoRoot, runs, selects, stages } from './manifests'

const master = (o: K8sObject[]) => one(o, 'Deployment', 'locust-master')
const worker = (o: K8sObject[]) => one(o, 'Deployment', 'locust-worker')
const container = (d: K8sObject) => d.spec.template.spec.containers[0]
/** The value after `flag` in a container's args. */
const arg = (d: K8sObject, flag: string): string | undefined => {
  const args: string[] = container(d).args ?? []
  const i = args.indexOf(flag)
  return i >= 0 ? args[i + 1] : undefined
}
/** The Service of `objects` named `name` and its port `port`, checked to select the pods of `d` on a named port. */
function serviceTo(objects: K8sObject[], name: string, port: number, d: K8sObject) {
  const service = one(objects, 'Service', name)
  assert.ok(selects({ matchLabels: service.spec.selector }, d.spec.template.metadata.labels), `${name} selects`)
  const entry = service.spec.ports.find((p: any) => p.port === port)
  assert.ok(entry, `${name} has port ${port}`)
  const target = container(d).ports?.find(
    (p: any) => p.name === entry.targetPort || p.containerPort === entry.targetPort,
  )
  assert.ok(target, `${name}:${port} reaches a port of ${d.metadata.name}`)
  return { service, entry, target }
}

describe('overlays/minikube: Locust', () => {
  const objects = () => renderOverlay('minikube')

  test("Locust's web UI is on NodePort 30223, served by the master", () => {
    const o = objects()
    const { service, entry, target } = serviceTo(o, 'locust-ui', 8089, master(o))
    assert.equal(service.spec.type, 'NodePort')
    assert.equal(entry.nodePort, 30223)
    assert.equal(target.containerPort, 8089, "Locust's default --web-port")
    assert.ok(container(master(o)).args.includes('--master'))
    assert.equal(container(master(o)).readinessProbe.httpGet.port, 'web')
  })

  test('the master aims the load at the in-cluster Parlor Service, on a port it serves', () => {
    const o = objects()
    const host = new URL(arg(master(o), '--host') ?? '')
    const service = one(o, 'Service', host.hostname.split('.')[0])
    assert.equal(service.metadata.name, 'parlor')
    const port = Number(host.port || (host.protocol === 'https:' ? 443 : 80))
    assert.ok(
      service.spec.ports.some((p: any) => p.port === port),
      `Service/parlor serves port ${port}`,
    )
    if (host.hostname.includes('.')) assert.match(host.hostname, /^parlor\.parlor(\.svc(\.cluster\.local)?)?$/)
  })

  test('a few workers report to the master through its Service', () => {
    const o = objects()
    const w = worker(o)
    assert.ok(w.spec.replicas >= 2, 'more than one worker')
    assert.ok(container(w).args.includes('--worker'))
    const { target } = serviceTo(
      o,
      arg(w, '--master-host') as string,
      Number(arg(w, '--master-port') ?? 5557),
      master(o),
    )
    assert.equal(target.containerPort, 5557, "Locust's default --master-bind-port")
    // Master and workers run the same locust file with the same inputs.
    assert.equal(arg(w, '-f'), arg(master(o), '-f'))
    assert.deepEqual(container(w).env, container(master(o)).env)
  })

  test('Locust pods get no injected LOCUST_* Service variables (Locust would read them as options)', () => {
    const o = objects()
    for (const d of [master(o), worker(o)])
      assert.equal(d.spec.template.spec.enableServiceLinks, false, d.metadata.name)
  })

  test('its own resources, so the generator is not starved by (or starving) Parlor', () => {
    const o = objects()
    for (const d of [master(o), worker(o)]) {
      const r = container(d).resources
      assert.ok(r.requests.cpu && r.requests.memory && r.limits.cpu && r.limits.memory, d.metadata.name)
    }
  })

  test('the Locust image is the one built inside minikube from loadtest/, never pulled', () => {
    const o = objects()
    for (const d of [master(o), worker(o)]) {
      assert.equal(container(d).image, 'parlor-locust:dev')
      assert.equal(container(d).imagePullPolicy, 'Never')
    }
    const overlay = readFileSync(`${repoRoot}kustomize/overlays/minikube/kustomization.yaml`, 'utf8')
    assert.ok(overlay.includes('minikube image build -t parlor-locust:dev loadtest'), 'the build command is documented')
  })

  test("Parlor's rate limits are raised for the generator's few addresses, and the config stays valid", () => {
    const o = objects()
    const config = find(o, 'ConfigMap').find((c) => c.metadata.name.startsWith('parlor-config'))
    assert.ok(Number(config?.data.RATE_LIMIT_SCALE) > 1)
  })
})

describe('overlays/cloud: no Locust by default', () => {
  test('nothing of the load generator is rendered', () => {
    const o = renderOverlay('cloud')
    const locust = o.filter(
      (x) => x.metadata.labels?.['app.kubernetes.io/name'] === 'locust' || /locust/.test(x.metadata.name),
    )
    assert.deepEqual(locust, [])
    const config = find(o, 'ConfigMap').find((c) => c.metadata.name.startsWith('parlor-config'))
    assert.equal(config?.data.RATE_LIMIT_SCALE, undefined, 'production keeps the real rate limits')
  })
})

describe('loadtest/Dockerfile', () => {
  const { stages: all } = stages('loadtest/Dockerfile')
  const stage = all.at(-1)!

  test('Debian with Debian packages: Locust, the Socket.IO client and its WebSocket transport, no pip', () => {
    assert.match(all[0].from, /^debian:bookworm(-slim)?$/)
    const commands = runs(stage).join('\n')
    for (const pkg of ['python3-locust', 'python3-socketio', 'python3-websocket'])
      assert.match(commands, new RegExp(`apt-get install[^\\n]*${pkg}`), pkg)
    assert.doesNotMatch(commands, /\bpip3?\b/)
  })

  test('runs as a numeric non-root user, and ships the locust file the pods run', () => {
    assert.match(last(stage, 'USER') ?? '', /^[1-9]\d*(:\d+)?$/)
    const copy = last(stage, 'COPY') ?? ''
    const [source, destination] = copy.split(/\s+/)
    assert.equal(source, 'locustfile.py')
    const o = renderOverlay('minikube')
    for (const d of [master(o), worker(o)]) assert.equal(arg(d, '-f'), destination)
    assert.deepEqual(JSON.parse(last(stage, 'ENTRYPOINT') ?? 'null'), ['locust'])
  })
})
