// Fault tests: PostgreSQL restarting under load. Runs on a private PostgreSQL cluster so the
// shared server (and the other suites) are never touched.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import {
  api,
  clientMsgId,
  connect,
  eventually,
  LOBBY_ID,
  register,
  sleep,
  startPrivatePostgres,
  startServer,
} from '../../test/helpers'

const cleanup: (() => Promise<unknown>)[] = []
after(async () => {
  for (const fn of cleanup.reverse()) await fn()
})

test(
  'PostgreSQL restart during sends: no false ack, sends fail fast with unavailable, automatic recovery',
  { timeout: 120_000 },
  async () => {
    const pg = await startPrivatePostgres()
    cleanup.push(() => pg.destroy())
    const logs: string[] = []
    const server = await startServer({ DATABASE_URL: pg.url, LOG_LEVEL: 'error' }, { logs })
    cleanup.push(() => server.stop())
    const users = await Promise.all([1, 2, 3].map(() => register(server.url)))
    const sockets = await Promise.all(users.map((u) => connect(server.url, u.token)))

    const acked: string[] = []
    const errors: Record<string, number> = {}
    let running = true
    const senders = sockets.map(async (s) => {
      while (running) {
        try {
          const res = await s
            .timeout(8000)
            .emitWithAck('message:send', { roomId: LOBBY_ID, content: 'during faults', clientMsgId: clientMsgId() })
          if (res.ok) acked.push(res.message.id)
          else errors[res.error.code] = (errors[res.error.code] ?? 0) + 1
        } catch {
          errors.no_ack = (errors.no_ack ?? 0) + 1
        }
        await sleep(30)
      }
    })

    await sleep(1000)
    const ackedBeforeStop = acked.length
    await pg.stop()
    const ackedAtStop = acked.length
    await sleep(2000)
    const ackedDuringOutage = acked.length - ackedAtStop
    const ready = await api(server.url, 'GET', '/readyz')
    assert.equal(ready.status, 503)
    assert.equal(ready.body.checks.database, 'unreachable')
    assert.equal((await api(server.url, 'GET', '/healthz')).status, 200, 'the process stays up')
    await pg.start()
    await eventually(async () => (await api(server.url, 'GET', '/readyz')).status === 200, 20_000, 'ready again')
    const ackedAfterRestart = acked.length
    await eventually(() => acked.length > ackedAfterRestart + 5, 20_000, 'sends succeed again')
    running = false
    await Promise.all(senders)

    console.log(
      'postgres restart figures:',
      JSON.stringify({ ackedBeforeStop, ackedDuringOutage, acked: acked.length, errors }),
    )
    assert.ok(ackedBeforeStop > 0)
    assert.equal(ackedDuringOutage, 0, 'nothing can be acknowledged while PostgreSQL is down')
    assert.ok((errors.unavailable ?? 0) > 0, 'sends during the outage were refused with unavailable')
    const unclassified = logs.filter((l) => !/unavailable|Can't reach|57P0|terminat/i.test(l))
    assert.equal(errors.internal ?? 0, 0, `no generic errors; unclassified errors logged:\n${unclassified.join('')}`)
    assert.equal(errors.no_ack ?? 0, 0, 'every send got an answer')
    const stored = await server.prisma.message.count({ where: { id: { in: acked } } })
    assert.equal(stored, acked.length, 'every acknowledged message is stored')
    for (const s of sockets) s.close()
  },
)
