import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import pg from 'pg'
import { ack, api, clientMsgId, connect, LOBBY_ID, register, spawnServer, testEnv } from '../test/helpers'

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
  'with no DATABASE_URL and no REDIS_URL it boots on embedded PGlite and serves /readyz',
  {
    timeout: 300_000,
  },
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parlor-pglite-'))
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const server = await spawnServer(
      {
        NODE_ENV: 'development',
        DATABASE_URL: '',
        REDIS_URL: '',
        REDIS_PREFIX: '',
        MIGRATE_ON_START: '',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
      },
      { readyTimeoutMs: 240_000 }, // PGlite's first start runs initdb in WebAssembly: slow on a busy machine
    )
    try {
      const ready = await api(server.url, 'GET', '/readyz')
      assert.equal(ready.status, 200)
      assert.deepEqual(ready.body.mode, { database: 'embedded', redis: 'memory' })
      assert.match(server.output(), /embedded PGlite/)
      // It really works: register, post to the lobby, read it back.
      const alice = await register(server.url)
      const post = await api(server.url, 'POST', `/api/rooms/${LOBBY_ID}/messages`, {
        token: alice.token,
        body: { content: 'hello from pglite', clientMsgId: 'p1' },
      })
      assert.equal(post.status, 201)
      const history = await api(server.url, 'GET', `/api/rooms/${LOBBY_ID}/messages`)
      assert.equal(history.body.messages.at(-1).content, 'hello from pglite')
    } finally {
      server.kill('SIGTERM')
      assert.equal(await server.exited, 0)
    }
  },
)

test('production refuses to start with the development JWT secret, naming the variable', async () => {
  await assert.rejects(
    spawnServer({ NODE_ENV: 'production', JWT_SECRET: '' }, { readyTimeoutMs: 20_000 }),
    /JWT_SECRET: must be set to a private value in production/,
  )
})
