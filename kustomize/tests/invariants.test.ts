// Invariants of the rendered manifests: what makes Parlor reachable, safe, scalable and drainable.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { describe, test } from 'node:test'
import { ZEnv } from '../../server/src/config/env'
import {
  allContainers,
  type Container,
  containerNamed,
  find,
  idOf,
  type K8sObject,
  one,
  overlays,
  renderOverlay,
  repoRoot,
  selects,
  workloads,
} from './manifests'

const serverDeployment = (objects: K8sObject[]) => one(objects, 'Deployment', 'parlor')
const serverPod = (objects: K8sObject[]) => serverDeployment(objects).spec.template
const serverContainer = (objects: K8sObject[]) => containerNamed(serverPod(objects).spec, 'server')
const parlorConfig = (objects: K8sObject[]) => {
  const name = serverContainer(objects).envFrom[0].configMapRef.name
  return one(objects, 'ConfigMap', name).data as Record<string, string>
}

/** A container port by number or name, as probes and Services refer to it. */
function containerPort(container: Container, port: number | string): number | undefined {
  const found = (container.ports ?? []).find((p: any) => p.containerPort === port || p.name === port)
  return found?.containerPort
}

/** Repository and tag (or digest) of an image reference. */
function imageParts(image: string): { repository: string; tag?: string; digest?: string } {
  const [nameAndTag, digest] = image.split('@')
  const slash = nameAndTag.lastIndexOf('/')
  const colon = nameAndTag.lastIndexOf(':')
  if (colon > slash) return { repository: nameAndTag.slice(0, colon), tag: nameAndTag.slice(colon + 1), digest }
  return { repository: nameAndTag, digest }
}

for (const overlay of overlays) {
  describe(`overlays/${overlay}`, () => {
    const objects = () => renderOverlay(overlay)

    test('everything lives in the parlor namespace, which enforces the restricted Pod Security Standard', () => {
      const o = objects()
      const ns = one(o, 'Namespace', 'parlor')
      assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted')
      const elsewhere = o.filter((x) => x.kind !== 'Namespace' && x.metadata.namespace !== 'parlor').map(idOf)
      assert.deepEqual(elsewhere, [])
    })

    test('the server Service sends a client to the same pod (sessionAffinity ClientIP) on the http port', () => {
      const o = objects()
      const service = one(o, 'Service', 'parlor')
      assert.equal(service.spec.sessionAffinity, 'ClientIP')
      assert.ok(selects({ matchLabels: service.spec.selector }, serverPod(o).metadata.labels))
      for (const port of service.spec.ports) {
        assert.equal(containerPort(serverContainer(o), port.targetPort), 3000, `targetPort ${port.targetPort}`)
      }
    })

    test('the server listens on the PORT of its config', () => {
      const o = objects()
      const port = ZEnv.shape.PORT.parse(parlorConfig(o).PORT)
      assert.equal(containerPort(serverContainer(o), 'http'), port)
    })

    test('the server has startup, readiness (/readyz) and liveness (/healthz) probes on its port', () => {
      const c = serverContainer(objects())
      assert.equal(c.readinessProbe?.httpGet?.path, '/readyz')
      assert.equal(c.livenessProbe?.httpGet?.path, '/healthz')
      assert.ok(c.startupProbe?.httpGet?.path, 'startup probe')
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        assert.ok(containerPort(c, probe.httpGet.port), `probe port ${probe.httpGet.port}`)
      }
      // A database outage makes pods unready, never restarts them.
      assert.notEqual(c.livenessProbe.httpGet.path, '/readyz')
    })

    test('every workload has probes and resources on its main containers', () => {
      for (const { obj, pod } of workloads(objects())) {
        for (const c of pod.spec.containers) {
          assert.ok(c.readinessProbe && c.livenessProbe, `${idOf(obj)}/${c.name} probes`)
        }
        for (const c of allContainers(pod.spec)) {
          const r = c.resources ?? {}
          assert.ok(r.requests?.cpu && r.requests?.memory, `${idOf(obj)}/${c.name} requests`)
          assert.ok(r.limits?.memory, `${idOf(obj)}/${c.name} memory limit`)
        }
      }
    })

    test('every pod runs as non-root, read-only, without capabilities or a service account token', () => {
      for (const { obj, pod } of workloads(objects())) {
        const id = idOf(obj)
        const podSecurity = pod.spec.securityContext ?? {}
        assert.equal(podSecurity.runAsNonRoot, true, `${id} runAsNonRoot`)
        assert.ok(Number.isInteger(podSecurity.runAsUser) && podSecurity.runAsUser > 0, `${id} numeric non-root uid`)
        assert.equal(podSecurity.seccompProfile?.type, 'RuntimeDefault', `${id} seccomp`)
        assert.equal(pod.spec.automountServiceAccountToken, false, `${id} token`)
        assert.ok(!pod.spec.hostNetwork && !pod.spec.hostPID && !pod.spec.hostIPC, `${id} host namespaces`)
        for (const c of allContainers(pod.spec)) {
          const s = c.securityContext ?? {}
          const where = `${id}/${c.name}`
          assert.equal(s.readOnlyRootFilesystem, true, `${where} readOnlyRootFilesystem`)
          assert.equal(s.allowPrivilegeEscalation, false, `${where} allowPrivilegeEscalation`)
          assert.deepEqual(s.capabilities?.drop, ['ALL'], `${where} drop ALL`)
          assert.ok(!s.capabilities?.add?.length && !s.privileged, `${where} privileges`)
          assert.notEqual(s.runAsUser, 0, `${where} uid`)
        }
      }
    })

    test('the server and its migrate step get a writable /tmp (tsx and jiti caches)', () => {
      const pod = serverPod(objects()).spec
      for (const c of allContainers(pod)) {
        const mount = c.volumeMounts?.find((m: any) => m.mountPath === '/tmp')
        assert.ok(mount, `${c.name} mounts /tmp`)
        assert.ok(pod.volumes.find((v: any) => v.name === mount.name)?.emptyDir, `${c.name} /tmp is an emptyDir`)
      }
    })

    test('shutdown fits in the grace period: preStop drain + SHUTDOWN_TIMEOUT_MS < terminationGracePeriodSeconds', () => {
      const o = objects()
      const pod = serverPod(o).spec
      const command: string[] = serverContainer(o).lifecycle?.preStop?.exec?.command ?? []
      assert.equal(command[0], 'sleep', 'preStop drains with sleep')
      const drain = Number(command[1])
      assert.ok(drain > 0, 'drain seconds')
      const shutdownMs = ZEnv.shape.SHUTDOWN_TIMEOUT_MS.parse(parlorConfig(o).SHUTDOWN_TIMEOUT_MS)
      const grace = pod.terminationGracePeriodSeconds
      assert.ok(grace > drain + shutdownMs / 1000, `${grace} s > ${drain} s + ${shutdownMs} ms`)
    })

    test('migrations run once per rollout: a migrate initContainer, rolled one pod at a time', () => {
      const d = serverDeployment(objects())
      const migrate = containerNamed(d.spec.template.spec, 'migrate')
      assert.ok(d.spec.template.spec.initContainers.includes(migrate))
      assert.deepEqual(migrate.command, ['node', 'node_modules/prisma/build/index.js', 'migrate', 'deploy'])
      assert.equal(migrate.image, serverContainer(objects()).image, 'same image as the server')
      assert.equal(d.spec.strategy.type, 'RollingUpdate')
      assert.equal(d.spec.strategy.rollingUpdate.maxUnavailable, 0)
    })

    test('Deployment and StatefulSet selectors match their pod templates', () => {
      for (const { obj, pod } of workloads(objects())) {
        assert.ok(selects(obj.spec.selector, pod.metadata?.labels), idOf(obj))
      }
    })

    test('no image is untagged or latest', () => {
      for (const { obj, pod } of workloads(objects())) {
        for (const c of allContainers(pod.spec)) {
          const { tag, digest } = imageParts(c.image)
          assert.ok(digest || (tag && tag !== 'latest'), `${idOf(obj)}/${c.name}: ${c.image}`)
        }
      }
    })
  })
}

describe('overlays/minikube only', () => {
  const objects = () => renderOverlay('minikube')

  test('the web UI is on NodePort 30222', () => {
    const service = one(objects(), 'Service', 'parlor')
    assert.equal(service.spec.type, 'NodePort')
    assert.deepEqual(
      service.spec.ports.map((p: any) => p.nodePort),
      [30222],
    )
  })

  test('two server replicas', () => {
    assert.equal(serverDeployment(objects()).spec.replicas, 2)
  })

  test('the Parlor image is the one built inside minikube, never pulled', () => {
    for (const c of allContainers(serverPod(objects()).spec)) {
      assert.equal(c.image, 'parlor:dev')
      assert.equal(c.imagePullPolicy, 'Never')
    }
  })

  test('the development Secret is generated (hash-suffixed) and referenced by that name', () => {
    const o = objects()
    const secrets = find(o, 'Secret')
    assert.equal(secrets.length, 1)
    assert.match(secrets[0].metadata.name, /^parlor-secrets-[a-z0-9]{10}$/)
    const names = new Set(
      workloads(o).flatMap(({ pod }) =>
        allContainers(pod.spec).flatMap((c) =>
          (c.env ?? []).map((e: any) => e.valueFrom?.secretKeyRef?.name).filter(Boolean),
        ),
      ),
    )
    assert.deepEqual([...names], [secrets[0].metadata.name])
  })

  test('PostgreSQL keeps its data on a PersistentVolumeClaim, behind a headless Service', () => {
    const o = objects()
    const sts = one(o, 'StatefulSet', 'postgres')
    const claim = sts.spec.volumeClaimTemplates?.[0]
    assert.ok(claim, 'volumeClaimTemplates')
    assert.ok(claim.spec.resources.requests.storage)
    assert.deepEqual(claim.spec.accessModes, ['ReadWriteOnce'])
    const pg = containerNamed(sts.spec.template.spec, 'postgres')
    const mount = pg.volumeMounts.find((m: any) => m.name === claim.metadata.name)
    assert.ok(mount, 'the claim is mounted')
    const pgdata = pg.env.find((e: any) => e.name === 'PGDATA')?.value ?? '/var/lib/postgresql/data'
    assert.ok(pgdata.startsWith(mount.mountPath), `PGDATA ${pgdata} is on the volume ${mount.mountPath}`)
    const headless = one(o, 'Service', sts.spec.serviceName)
    assert.equal(headless.spec.clusterIP, 'None')
    assert.ok(selects({ matchLabels: headless.spec.selector }, sts.spec.template.metadata.labels))
  })

  test('only the server pods may reach PostgreSQL and Redis (NetworkPolicies)', () => {
    const o = objects()
    const podsOf = workloads(o)
    const policies = find(o, 'NetworkPolicy')
    for (const [kind, name] of [
      ['StatefulSet', 'postgres'],
      ['Deployment', 'redis'],
    ]) {
      const target = one(o, kind, name)
      const labels = target.spec.template.metadata.labels
      const ports = target.spec.template.spec.containers.flatMap((c: any) => c.ports.map((p: any) => p.containerPort))
      const covering = policies.filter((p) => selects(p.spec.podSelector, labels))
      assert.ok(covering.length > 0, `${name} is isolated by a policy`)
      for (const policy of covering) {
        assert.ok(policy.spec.policyTypes.includes('Ingress'), `${idOf(policy)} isolates ingress`)
        for (const rule of policy.spec.ingress ?? []) {
          assert.ok(rule.from?.length > 0, `${idOf(policy)}: a rule without "from" admits everyone`)
          for (const peer of rule.from) {
            assert.deepEqual(Object.keys(peer), ['podSelector'], `${idOf(policy)}: only pod selectors`)
            const admitted = podsOf.filter(({ pod }) => selects(peer.podSelector, pod.metadata.labels))
            assert.deepEqual(
              admitted.map(({ obj }) => idOf(obj)),
              ['Deployment/parlor'],
              `${idOf(policy)} admits only the server`,
            )
          }
          assert.deepEqual(
            rule.ports.map((p: any) => p.port),
            ports,
            `${idOf(policy)} ports`,
          )
        }
      }
    }
  })
})

describe('overlays/cloud only', () => {
  const objects = () => renderOverlay('cloud')

  test('no Secret and no literal secret value anywhere in the rendered output', () => {
    const o = objects()
    assert.deepEqual(find(o, 'Secret').map(idOf), [])
    const secretish = /SECRET|PASSWORD|TOKEN|KEY|_URL$/
    for (const { obj, pod } of workloads(o)) {
      for (const c of allContainers(pod.spec)) {
        const literal = (c.env ?? []).filter((e: any) => secretish.test(e.name) && e.value !== undefined)
        assert.deepEqual(literal, [], `${idOf(obj)}/${c.name}`)
      }
    }
    for (const cm of find(o, 'ConfigMap')) {
      assert.deepEqual(
        Object.keys(cm.data ?? {}).filter((k) => secretish.test(k)),
        [],
        idOf(cm),
      )
    }
  })

  test('a filled-in secrets.env is ignored by git, the example is not', () => {
    const ignored = (path: string) => {
      try {
        execFileSync('git', ['check-ignore', '-q', '--no-index', path], { cwd: repoRoot, stdio: 'ignore' })
        return true
      } catch {
        return false
      }
    }
    assert.equal(ignored('kustomize/overlays/cloud/secrets.env'), true)
    assert.equal(ignored('kustomize/overlays/cloud/secrets.env.example'), false)
  })

  test('the in-cluster PostgreSQL and Redis are removed, with their Services and policies', () => {
    const o = objects()
    const leftovers = o.filter((x) => ['postgres', 'redis'].includes(x.metadata.labels?.['app.kubernetes.io/name']))
    assert.deepEqual(leftovers.map(idOf), [])
    assert.deepEqual(find(o, 'StatefulSet').map(idOf), [])
    assert.deepEqual(find(o, 'NetworkPolicy').map(idOf), [])
    assert.deepEqual(find(o, 'PersistentVolumeClaim').map(idOf), [])
  })

  test('a HorizontalPodAutoscaler scales the server 2-10 on CPU and owns the replica count', () => {
    const o = objects()
    const hpa = find(o, 'HorizontalPodAutoscaler')
    assert.equal(hpa.length, 1)
    const { spec } = hpa[0]
    assert.deepEqual(spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'parlor' })
    assert.equal(spec.minReplicas, 2)
    assert.equal(spec.maxReplicas, 10)
    assert.deepEqual(
      spec.metrics.map((m: any) => [m.type, m.resource?.name]),
      [['Resource', 'cpu']],
    )
    assert.ok(serverContainer(o).resources.requests.cpu, 'CPU utilisation needs a CPU request')
    assert.equal(serverDeployment(o).spec.replicas, undefined, 'no replicas field to fight the HPA')
  })

  test('a PodDisruptionBudget covers the server pods', () => {
    const o = objects()
    const pdbs = find(o, 'PodDisruptionBudget')
    assert.equal(pdbs.length, 1)
    assert.ok(selects(pdbs[0].spec.selector, serverPod(o).metadata.labels))
    assert.ok(pdbs[0].spec.maxUnavailable === 1 || pdbs[0].spec.minAvailable >= 1)
  })

  test('the Ingress: ingress-nginx, TLS, cookie affinity, WebSocket-length timeouts, to the server Service', () => {
    const o = objects()
    const ingresses = find(o, 'Ingress')
    assert.equal(ingresses.length, 1)
    const ingress = ingresses[0]
    const a = ingress.metadata.annotations
    assert.equal(ingress.spec.ingressClassName, 'nginx')
    assert.equal(a['nginx.ingress.kubernetes.io/affinity'], 'cookie')
    assert.ok(a['nginx.ingress.kubernetes.io/session-cookie-name'])
    for (const timeout of ['proxy-read-timeout', 'proxy-send-timeout']) {
      assert.ok(Number(a[`nginx.ingress.kubernetes.io/${timeout}`]) >= 3600, timeout)
    }
    const hosts = ingress.spec.rules.map((r: any) => r.host)
    const tlsHosts = ingress.spec.tls.flatMap((t: any) => t.hosts)
    assert.ok(
      hosts.every((h: string) => tlsHosts.includes(h)),
      'every host is served over TLS',
    )
    assert.ok(ingress.spec.tls.every((t: any) => t.secretName))
    const service = one(o, 'Service', 'parlor')
    for (const rule of ingress.spec.rules) {
      for (const path of rule.http.paths) {
        assert.equal(path.backend.service.name, 'parlor')
        const port = path.backend.service.port
        assert.ok(
          service.spec.ports.some((p: any) => p.name === port.name || p.port === port.number),
          'backend port exists',
        )
      }
    }
  })

  test('the server image comes from a registry with an explicit version', () => {
    for (const c of allContainers(serverPod(objects()).spec)) {
      const { repository, tag, digest } = imageParts(c.image)
      assert.ok(repository.includes('/'), `${c.image} names a registry`)
      assert.ok(digest || (tag && tag !== 'latest' && tag !== 'dev'), c.image)
      assert.notEqual(c.imagePullPolicy, 'Never')
    }
  })
})
