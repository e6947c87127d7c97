// Cross-site WebSocket hijacking and CORS (issue 7): the Socket.IO handshake, on both transports, is
// refused from a foreign Origin (even with a valid token) and accepted from none or the server's own;
// no CORS grant is given to a foreign origin; CORS_ORIGINS widens the list and nothing else.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { io as ioClient } from 'socket.io-client'
import WebSocket from 'ws'
import { type ClientSocket, register, startServer, type TestServer } from '../../test/helpers'

let server: TestServer
before(async () => {
  server = await startServer()
})
after(() => server.stop())

/** Opens a raw WebSocket with this Origin (or none); resolves 'open' when the engine.io open packet arrives. */
function wsHandshake(base: string, origin?: string): Promise<{ open: boolean; status?: number }> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
    ...(origin !== undefined ? { origin } : {}),
  })
  return new Promise((resolve) => {
    ws.on('message', (data) => {
      if (data.toString().startsWith('0{')) {
        ws.close()
        resolve({ open: true })
      }
    })
    ws.on('unexpected-response', (_req, res) => {
      resolve({ open: false, status: res.statusCode })
      ws.terminate()
    })
    ws.on('error', () => resolve({ open: false }))
    ws.on('close', () => resolve({ open: false }))
  })
}

/** socket.io-client with an Origin header (extraHeaders); resolves true when the namespace connected. */
function clientWithOrigin(
  base: string,
  origin: string,
  { token, transport }: { token?: string; transport: 'websocket' | 'polling' },
): Promise<boolean> {
  const socket: ClientSocket = ioClient(base, {
    transports: [transport],
    extraHeaders: { origin },
    auth: token ? { token } : {},
    reconnection: false,
    forceNew: true,
  })
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.close()
      resolve(true)
    })
    socket.once('connect_error', () => {
      socket.close()
      resolve(false)
    })
  })
}

/** The raw long-polling handshake (GET …&transport=polling), with this Origin or none. */
async function pollingHandshake(base: string, origin?: string) {
  const res = await fetch(`${base}/socket.io/?EIO=4&transport=polling`, { headers: origin ? { origin } : {} })
  const body = await res.text()
  return { status: res.status, opened: body.startsWith('0{'), acao: res.headers.get('access-control-allow-origin') }
}

const EVIL = 'https://evil.example'

describe('cross-site WebSocket hijacking', () => {
  const ownOrigin = () => server.url // http://127.0.0.1:PORT

  test('no Origin (non-browser client) and the server’s own origin are accepted', async () => {
    assert.deepEqual(await wsHandshake(server.url), { open: true })
    assert.deepEqual(await wsHandshake(server.url, ownOrigin()), { open: true })
    const { token } = await register(server.url)
    for (const transport of ['websocket', 'polling'] as const) {
      assert.equal(await clientWithOrigin(server.url, ownOrigin(), { token, transport }), true, transport)
    }
    assert.equal((await pollingHandshake(server.url)).opened, true)
    assert.equal((await pollingHandshake(server.url, ownOrigin())).opened, true)
  })

  const foreign = (port: string) => [
    EVIL,
    'null',
    `http://127.0.0.1:${port}.evil.example`,
    `http://127.0.0.1.evil.example:${port}`,
    `http://127.0.0.1:${port}@evil.example`,
    `http://evil.example/http://127.0.0.1:${port}`,
    'not a url',
  ]

  test('a WebSocket upgrade from a foreign Origin is refused (4xx)', async () => {
    const port = new URL(server.url).port
    for (const origin of foreign(port)) {
      const res = await wsHandshake(server.url, origin)
      assert.equal(res.open, false, `${origin} was accepted`)
      assert.ok(res.status !== undefined && res.status >= 400 && res.status < 500, `${origin}: ${res.status}`)
    }
  })

  test('socket.io-client with Origin: https://evil.example is refused on both transports, even with a valid token', async () => {
    const { token } = await register(server.url)
    for (const transport of ['websocket', 'polling'] as const) {
      assert.equal(await clientWithOrigin(server.url, EVIL, { token, transport }), false, `${transport} with a token`)
      assert.equal(await clientWithOrigin(server.url, EVIL, { transport }), false, `${transport} as a guest`)
    }
  })

  test('the long-polling handshake from a foreign Origin is refused and gets no CORS grant', async () => {
    const port = new URL(server.url).port
    for (const origin of foreign(port)) {
      const res = await pollingHandshake(server.url, origin)
      assert.equal(res.opened, false, `${origin} was accepted`)
      assert.equal(res.status, 403, origin)
      assert.equal(res.acao, null, origin)
    }
  })

  test('CORS preflights from a foreign origin get no Access-Control-Allow-Origin', async () => {
    for (const path of ['/socket.io/?EIO=4&transport=polling', '/api/auth/login', '/api/rooms']) {
      const res = await fetch(server.url + path, {
        method: 'OPTIONS',
        headers: {
          origin: EVIL,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, authorization',
        },
      })
      await res.arrayBuffer()
      assert.equal(res.headers.get('access-control-allow-origin'), null, path)
      assert.equal(res.headers.get('access-control-allow-credentials'), null, path)
    }
    const get = await fetch(`${server.url}/api/rooms`, { headers: { origin: EVIL } })
    await get.arrayBuffer()
    assert.equal(get.headers.get('access-control-allow-origin'), null)
  })

  test('with CORS_ORIGINS set, the listed origin is accepted and granted; others are still refused', async () => {
    const allowed = 'https://app.example'
    const other = await startServer({ CORS_ORIGINS: allowed })
    try {
      assert.deepEqual(await wsHandshake(other.url, allowed), { open: true })
      const polling = await pollingHandshake(other.url, allowed)
      assert.equal(polling.opened, true)
      assert.equal(polling.acao, allowed)
      for (const origin of [EVIL, `${allowed}.evil.example`, 'http://app.example', 'https://app.example:444']) {
        const ws = await wsHandshake(other.url, origin)
        assert.equal(ws.open, false, `${origin} was accepted`)
        const poll = await pollingHandshake(other.url, origin)
        assert.equal(poll.opened, false, `${origin} was accepted (polling)`)
        assert.equal(poll.acao, null, origin)
      }
      const preflight = await fetch(`${other.url}/socket.io/?EIO=4&transport=polling`, {
        method: 'OPTIONS',
        headers: { origin: EVIL, 'access-control-request-method': 'POST' },
      })
      await preflight.arrayBuffer()
      assert.equal(preflight.headers.get('access-control-allow-origin'), null)
    } finally {
      await other.stop()
    }
  })
})
