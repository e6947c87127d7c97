import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import pg from 'pg'
import { ack, api, clientMsgId, connect, LOBBY_ID, register, sleep, spawnServer, testEnv } from '../test/helpers'

const cleanup: (() => void)[] = []
after(() => {
  for (const fn of cleanup) fn()
})

test('SIGTERM under load: exits 0 within 10 s and every acknowledged message is stored', async () => {
  const server = await spawnServer()
  const users = await Promise.all([1, 2, 3, 4].map(() => register(server.url)))
  const sockets = await Promise.all(users.map((u) => connect(server.url, u.token)))
  const acked: string[] = []
  let running = true
  const senders = sockets.map(async (socket) => {
    while (running && socket.connected) {
      try {
        const res = await ack(socket, 'message:send', { roomId: LOBBY_ID, content: 'load', clientMsgId: clientMsgId() })
        if (res.ok) acked.push(res.message.id)
      } catch {
        return // no ack: the socket was closed by the shutdown
      }
    }
  })
  await new Promise((r) => setTimeout(r, 700))
  const started = Date.now()
  server.kill('SIGTERM')
  const code = await server.exited
  const took = Date.now() - started
  running = false
  await Promise.all(senders)
  assert.equal(code, 0, server.output())
  assert.ok(took < 10_000, `took ${took} ms`)
  assert.ok(acked.length > 0)
  const db = new pg.Client({ connectionString: testEnv.databaseUrl })
  await db.connect()
  const { rows } = await db.query('SELECT count(*)::int AS n FROM "Message" WHERE id = ANY($1::uuid[])', [acked])
  await db.end()
  assert.equal(rows[0].n, acked.length, 'acknowledged messages lost')
  for (const s of sockets) s.close()
})

test(
  'with no DATABASE_URL and no REDIS_URL it runs on embedded PGlite: concurrent sends, idle gaps, kill -9 and SIGTERM restarts',
  { timeout: 300_000 },
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parlor-pglite-'))
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const embeddedEnv = {
      NODE_ENV: 'development',
      DATABASE_URL: '',
      REDIS_URL: '',
      REDIS_PREFIX: '',
      MIGRATE_ON_START: '',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    }
    // PGlite's first start runs initdb in WebAssembly: slow on a busy machine
    const start = (port?: number) =>
      spawnServer(port ? { ...embeddedEnv, PORT: String(port) } : embeddedEnv, { readyTimeoutMs: 240_000 })
    let server = await start()
    const port = server.port
    try {
      const ready = await api(server.url, 'GET', '/readyz')
      assert.equal(ready.status, 200)
      assert.deepEqual(ready.body.mode, { database: 'embedded', redis: 'memory' })
      assert.match(server.output(), /embedded PGlite/)

      const users = await Promise.all([1, 2, 3].map(() => register(server.url)))
      const sent: string[] = []
      // Three people at once, over sockets and REST, so several pool clients write concurrently.
      const burst = async (tag: string) => {
        const sockets = await Promise.all(users.map((u) => connect(server.url, u.token)))
        await Promise.all(
          users.map(async (u, i) => {
            for (let k = 0; k < 8; k++) {
              const content = `${tag} ${i}.${k}`
              if (k % 2 === 0) {
                const res = await ack(sockets[i], 'message:send', {
                  roomId: LOBBY_ID,
                  content,
                  clientMsgId: clientMsgId(),
                })
                assert.ok(res.ok, `${content}: ${JSON.stringify(res)}\n${server.output().slice(-2000)}`)
              } else {
                const res = await api(server.url, 'POST', `/api/rooms/${LOBBY_ID}/messages`, {
                  token: u.token,
                  body: { content, clientMsgId: clientMsgId() },
                })
                assert.equal(
                  res.status,
                  201,
                  `${content}: ${JSON.stringify(res.body)}\n${server.output().slice(-2000)}`,
                )
              }
              sent.push(content)
            }
          }),
        )
        for (const s of sockets) s.close()
      }
      const history = async () => {
        const res = await api(server.url, 'GET', `/api/rooms/${LOBBY_ID}/messages?limit=100`)
        assert.equal(res.status, 200)
        return res.body.messages as { seq: number; content: string }[]
      }
      const assertHistoryExact = async () => {
        const messages = await history()
        assert.deepEqual(messages.map((m) => m.content).sort(), [...sent].sort(), 'history holds every message once')
        assert.deepEqual(
          messages.map((m) => m.seq),
          messages.map((_, i) => i + 1),
          'seqs are gap-free',
        )
      }

      await burst('first')
      await sleep(11_000) // longer than the pg pool's idle timeout (10 s): every pool client is closed
      await burst('after idle') // failed with "prepared statement already exists" on pglite-socket
      await assertHistoryExact()

      server.kill('SIGKILL')
      await server.exited
      server = await start(port)
      await assertHistoryExact()
      await burst('after kill -9')

      server.kill('SIGTERM')
      assert.equal(await server.exited, 0)
      server = await start(port)
      await burst('after SIGTERM')
      await assertHistoryExact()
    } finally {
      server.kill('SIGTERM')
      await server.exited
    }
  },
)

test('production refuses to start with the development JWT secret, naming the variable', async () => {
  await assert.rejects(
    spawnServer({ NODE_ENV: 'production', JWT_SECRET: '' }, { readyTimeoutMs: 20_000 }),
    /JWT_SECRET: must be set to a private value in production/,
  )
})
