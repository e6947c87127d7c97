// Drives a running Parlor (PARLOR_URL) the way a person does, for .ci/image: registers, connects over
// Socket.IO, sends a message and waits for its ack and its live delivery, then reads it back over
// REST. Exits non-zero with the reason on the first thing that does not work.
import { randomBytes } from 'node:crypto'
import { io } from 'socket.io-client'

const base = process.env.PARLOR_URL
const LOBBY_ID = '00000000-0000-4000-8000-000000000001' // server/src/contract/limits.ts
const fail = (why) => {
  console.error(`image smoke: ${why}`)
  process.exit(1)
}

async function api(method, path, body, token) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  return { status: res.status, body: await res.json().catch(() => null) }
}

const name = `image-${randomBytes(4).toString('hex')}`
const reg = await api('POST', '/api/auth/register', {
  username: name,
  email: `${name}@example.com`,
  password: 'image-check-pw',
})
if (reg.status !== 201) fail(`register answered ${reg.status} ${JSON.stringify(reg.body)}`)
const { token } = reg.body

const socket = io(base, { auth: { token }, transports: ['websocket'], reconnection: false })
await new Promise((resolve, reject) => {
  socket.once('connect', resolve)
  socket.once('connect_error', reject)
}).catch((err) => fail(`socket.io connect: ${err.message}`))
const joined = await socket.timeout(5000).emitWithAck('room:join', LOBBY_ID)
if (!joined.ok) fail(`room:join: ${JSON.stringify(joined.error)}`)

const clientMsgId = randomBytes(8).toString('hex')
const content = `hello from the built image ${clientMsgId}`
const delivered = new Promise((resolve) => socket.on('message:created', (m) => m.content === content && resolve(m)))
const sent = await socket.timeout(5000).emitWithAck('message:send', { roomId: LOBBY_ID, content, clientMsgId })
if (!sent.ok) fail(`message:send: ${JSON.stringify(sent.error)}`)
const live = await Promise.race([delivered, new Promise((r) => setTimeout(() => r(null), 5000))])
if (!live || live.id !== sent.message.id) fail('the message was not delivered live')

const history = await api('GET', `/api/rooms/${LOBBY_ID}/messages?after=${sent.message.seq - 1}`, null, token)
if (history.status !== 200) fail(`history answered ${history.status}`)
const stored = history.body.messages.find((m) => m.id === sent.message.id)
if (!stored || stored.content !== content || stored.author?.username !== name) fail('the message did not read back')
socket.close()
console.log(`registered ${name}, sent seq ${sent.message.seq}: acked, delivered live, read back over REST`)
