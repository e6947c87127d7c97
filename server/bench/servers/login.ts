// The baselines' login: what any password login costs at minimum (bcrypt compare at Parlor's cost,
// then sign a JWT), without a user lookup. Parlor's login ÷ this one isolates Parlor's own overhead.
import type { IncomingMessage, ServerResponse } from 'node:http'
import bcrypt from 'bcrypt'
import jwt from 'jsonwebtoken'
import { baselineApp } from './baseline-app'

const hash = process.env.BENCH_PASSWORD_HASH ?? ''
const secret = process.env.JWT_SECRET ?? 'bench-baseline-secret-0123456789abcdef'

/** Serves GET /healthz, POST /api/auth/login and the app's requests (baseline-app.ts); everything else is 404. */
export function baselineHttp(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
    return
  }
  if (req.method === 'POST' && req.url === '/api/auth/login') {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', async () => {
      try {
        const { login, password } = JSON.parse(body) as { login: string; password: string }
        if (!(await bcrypt.compare(String(password), hash))) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_credentials"}')
          return
        }
        const token = jwt.sign({ kind: 'user' }, secret, { subject: String(login), expiresIn: 3600 })
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }))
      } catch {
        res.writeHead(400).end()
      }
    })
    return
  }
  if (baselineApp(req, res)) return
  res.writeHead(404).end()
}
