// The PostgreSQL wire protocol in front of one PGlite database, giving every TCP connection the
// behaviour of its own server session.
//
// PGlite is PostgreSQL in single-user mode: one backend, one session. A pool of clients talking to it
// (Prisma, the writer's pg.Pool, the migration CLI) must not notice that they share it, so each
// connection here is a *session* multiplexed onto the one backend by three rules:
//
//  1. Exclusive turns. A session takes the backend for a whole request cycle — from its first
//     message up to the ReadyForQuery that ends it — and keeps it while that ReadyForQuery says
//     "in a transaction" ('T' or 'E'). Other sessions wait in arrival order, so an extended-protocol
//     sequence (Parse/Bind/Execute/Sync) or a transaction is never interleaved with another
//     session's statements.
//  2. Private names. Prepared statement and portal names are rewritten to `s<session>_<name>`, so two
//     sessions may both prepare `parlor_insert_message`, and a session that reconnects starts with
//     no statements, exactly as with a new PostgreSQL backend.
//  3. Clean exits. When a connection closes (Terminate, socket end or error), its open transaction
//     is rolled back and its prepared statements are closed before anyone else gets the backend.
//
// Session settings (SET), advisory locks and LISTEN remain shared across sessions; Parlor uses none
// of them at run time. @electric-sql/pglite-socket forwarded each message on its own and shared
// statement names across connections, which broke the writer's named statements (issue 12).
import { createServer, type Server, type Socket } from 'node:net'
import type { PGlite } from '@electric-sql/pglite'

const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const CANCEL_REQUEST = 80877102

/** Frontend messages after which the client waits for an answer: the end of one request cycle. */
const CYCLE_ENDS = new Set(['Q', 'S', 'H', 'c', 'f'])

/** FIFO hand-off of the single backend between sessions. */
class Turns {
  private owner: Session | null = null
  private readonly waiting: { session: Session; go: () => void }[] = []

  async take(session: Session): Promise<void> {
    if (this.owner === session) return
    if (this.owner === null) {
      this.owner = session
      return
    }
    await new Promise<void>((go) => this.waiting.push({ session, go }))
  }

  give(session: Session): void {
    if (this.owner !== session) return
    const next = this.waiting.shift()
    this.owner = next?.session ?? null
    next?.go()
  }
}

/** Bytes of one frontend message: type, length, payload. */
function message(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head.write(type, 0, 'latin1')
  head.writeInt32BE(payload.length + 4, 1)
  return Buffer.concat([head, payload])
}

const cstring = (s: string) => Buffer.from(`${s}\0`, 'utf8')

/** Reads NUL-terminated strings from a message payload. */
function readCString(buf: Buffer, at: number): [string, number] {
  const end = buf.indexOf(0, at)
  return [buf.toString('utf8', at, end), end + 1]
}

/** The status byte of the last ReadyForQuery in a backend byte stream (or null if there is none). */
function lastReadyStatus(out: Buffer): string | null {
  let status: string | null = null
  for (let at = 0; at + 5 <= out.length;) {
    const len = out.readInt32BE(at + 1)
    if (out[at] === 0x5a /* Z */ && len === 5) status = String.fromCharCode(out[at + 5])
    at += 1 + len
  }
  return status
}

class Session {
  private buffer: Buffer = Buffer.alloc(0)
  private started = false
  private closed = false
  private pending: Buffer[] = []
  /** Request cycles run one after another for a session (a client may pipeline them). */
  private chain: Promise<void> = Promise.resolve()
  private readonly statements = new Set<string>()
  private readonly prefix: string

  constructor(
    id: number,
    private readonly socket: Socket,
    private readonly db: PGlite,
    private readonly turns: Turns,
    private readonly onClosed: (s: Session) => void,
  ) {
    this.prefix = `s${id}_`
    socket.setNoDelay(true)
    socket.on('data', (data) => this.receive(data))
    socket.on('error', () => this.close())
    socket.on('close', () => this.close())
  }

  private receive(data: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data
    while (!this.closed) {
      if (!this.started) {
        if (this.buffer.length < 8) return
        const len = this.buffer.readInt32BE(0)
        if (this.buffer.length < len) return
        const packet = this.buffer.subarray(0, len)
        this.buffer = this.buffer.subarray(len)
        const code = packet.readInt32BE(4)
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.socket.write('N') // no encryption on loopback; the client goes on with a startup packet
        } else if (code === CANCEL_REQUEST) {
          this.socket.end() // queries cannot be cancelled in a single-user backend
          return
        } else {
          this.started = true
          this.schedule([Buffer.from(packet)])
        }
        continue
      }
      if (this.buffer.length < 5) return
      const len = 1 + this.buffer.readInt32BE(1)
      if (this.buffer.length < len) return
      const msg = Buffer.from(this.buffer.subarray(0, len))
      this.buffer = this.buffer.subarray(len)
      const type = String.fromCharCode(msg[0])
      if (type === 'X') {
        this.socket.end()
        this.close()
        return
      }
      this.pending.push(this.rename(type, msg))
      if (CYCLE_ENDS.has(type)) {
        this.schedule(this.pending)
        this.pending = []
      }
    }
  }

  /** Gives statement and portal names the session's prefix (the unnamed ones stay unnamed). */
  private rename(type: string, msg: Buffer): Buffer {
    const body = msg.subarray(5)
    const scoped = (name: string) => (name === '' ? '' : this.prefix + name)
    switch (type) {
      case 'P': {
        // Parse: statement name, query, parameter types
        const [name, at] = readCString(body, 0)
        if (name === '') return msg
        this.statements.add(name)
        return message('P', Buffer.concat([cstring(scoped(name)), body.subarray(at)]))
      }
      case 'B': {
        // Bind: portal name, statement name, the rest
        const [portal, at1] = readCString(body, 0)
        const [statement, at2] = readCString(body, at1)
        if (portal === '' && statement === '') return msg
        return message('B', Buffer.concat([cstring(scoped(portal)), cstring(scoped(statement)), body.subarray(at2)]))
      }
      case 'E': {
        // Execute: portal name, row limit
        const [portal, at] = readCString(body, 0)
        if (portal === '') return msg
        return message('E', Buffer.concat([cstring(scoped(portal)), body.subarray(at)]))
      }
      case 'D':
      case 'C': {
        // Describe / Close: 'S' (statement) or 'P' (portal), then the name
        const [name] = readCString(body, 1)
        if (name === '') return msg
        if (type === 'C' && body[0] === 0x53) this.statements.delete(name)
        return message(type, Buffer.concat([body.subarray(0, 1), cstring(scoped(name))]))
      }
      default:
        return msg
    }
  }

  private schedule(messages: Buffer[]): void {
    const input = Buffer.concat(messages)
    this.chain = this.chain.then(() => this.cycle(input)).catch(() => this.close())
  }

  /** One request cycle with the backend to itself; keeps it while a transaction is open. */
  private async cycle(input: Buffer): Promise<void> {
    if (this.closed) return
    await this.turns.take(this)
    if (this.closed) return // closed while waiting: the clean-up queued behind this cycle runs next
    const out = await this.exec(input)
    if (!this.closed) this.socket.write(out)
    const status = lastReadyStatus(out)
    // No ReadyForQuery (a Flush mid-sequence): the cycle is not over, keep the backend.
    if (status === 'I') this.turns.give(this)
  }

  private async exec(input: Buffer): Promise<Buffer> {
    const chunks: Uint8Array[] = []
    await this.db.runExclusive(() =>
      this.db.execProtocolRawStream(new Uint8Array(input), { onRawData: (d) => chunks.push(Buffer.from(d)) }),
    )
    return Buffer.concat(chunks)
  }

  /** Resolves once the session's transaction and statements are gone from the backend. */
  close(): Promise<void> {
    if (this.closed) return this.chain
    this.closed = true
    this.socket.destroy()
    // Runs after any cycle in flight; needs the backend to roll back and close statements.
    this.chain = this.chain
      .catch(() => {})
      .then(() => this.turns.take(this))
      .then(() => this.cleanUp())
      .catch(() => {})
      .then(() => this.onClosed(this))
    return this.chain
  }

  /** Leaves the backend as a new session would find it: no transaction, none of this session's statements. */
  private async cleanUp(): Promise<void> {
    try {
      let status = lastReadyStatus(await this.exec(message('S', Buffer.alloc(0))))
      if (status !== 'I') status = lastReadyStatus(await this.exec(message('Q', cstring('ROLLBACK'))))
      if (this.statements.size > 0) {
        const closes = [...this.statements].map((name) =>
          message('C', Buffer.concat([Buffer.from('S'), cstring(this.prefix + name)])),
        )
        await this.exec(Buffer.concat([...closes, message('S', Buffer.alloc(0))]))
        this.statements.clear()
      }
    } finally {
      this.turns.give(this)
    }
  }
}

export type EmbeddedServer = {
  /** host:port on loopback */
  address: string
  /** Open client connections (diagnostics and tests). */
  sessions(): number
  stop(): Promise<void>
}

/** Serves `db` on a loopback port (0: any free one), one PostgreSQL session per connection. */
export async function serveEmbedded(db: PGlite, port = 0): Promise<EmbeddedServer> {
  await db.waitReady
  const turns = new Turns()
  const sessions = new Set<Session>()
  let nextId = 1
  const server: Server = createServer((socket) => {
    const session = new Session(nextId++, socket, db, turns, (s) => sessions.delete(s))
    sessions.add(session)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const addr = server.address()
  if (!addr || typeof addr !== 'object') throw new Error('embedded database: no listening address')
  return {
    address: `127.0.0.1:${addr.port}`,
    sessions: () => sessions.size,
    async stop() {
      await Promise.all([...sessions].map((s) => s.close()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
