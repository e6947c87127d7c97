import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import bcrypt from 'bcrypt'
import { AppError } from '../lib/app-error'

export type Passwords = {
  hash(password: string): Promise<string>
  /** Constant-ish time: compares against a dummy hash when there is no user, so timing does not tell. */
  verify(password: string, hash: string | null): Promise<boolean>
  /** The kernel thread ids of the hashing threads started so far (Linux; for tests and diagnostics). */
  threadIds(): number[]
  /** Stops the hashing threads; hashes still running fail. */
  close(): Promise<void>
}

/** Sign-ins waiting for a hashing slot beyond this are refused with `unavailable` (retry) instead of queued. */
export const MAX_WAITING_HASHES = 256

/** The nice value of the hashing threads: below the event loop, so chat frames are scheduled first. */
export const HASH_NICE = 10

/**
 * Passwords are hashed and compared on threads of their own, `concurrency` of them (by default one
 * per core), each running one bcrypt at a time at nice 10; the rest wait their turn in order.
 *
 * Why not bcrypt's async API: it runs on libuv's thread pool (4 threads), at the event loop's
 * priority. A login burst then kept every core busy hashing and chat deliveries stalled for seconds;
 * gating it to one hash at a time per instance kept the chat safe but served only a core's worth of
 * logins (about 15/s at cost 10), so 200 people logging in within 10 s queued for seconds. Threads of
 * our own can be reniced: the kernel runs them whenever the event loop has nothing to do, so logins
 * get every idle cycle of every core and chat traffic is never behind a hash.
 */
export function createPasswords({ cost, concurrency }: { cost: number; concurrency: number }): Passwords {
  const dummyHash = bcrypt.hashSync('parlor-dummy-password', cost)
  const gated = createGate(concurrency)
  const threads = createHashThreads()
  return {
    hash: async (password) => (await gated(() => threads.run({ op: 'hash', password, cost }))) as string,
    async verify(password, hash) {
      const ok = await gated(() => threads.run({ op: 'compare', password, hash: hash ?? dummyHash }))
      return ok === true && hash !== null
    },
    threadIds: threads.threadIds,
    close: threads.close,
  }
}

type HashJob = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string }
type HashReply = { tid: number | null } | { result: string | boolean } | { error: string }

// The hashing thread's code, evaluated as CommonJS: a file of its own would be left out of the
// esbuild bundle the container runs, and it needs nothing but bcrypt (whose path it is given).
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { readlinkSync } = require('node:fs')
const { setPriority } = require('node:os')
const bcrypt = require(workerData.bcryptPath)
let tid = null
try {
  // /proc/thread-self is this thread's task: its last segment is the kernel thread id.
  tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
  setPriority(tid, workerData.nice)
} catch {
  // not Linux, or no /proc: the thread keeps the process's priority
}
parentPort.postMessage({ tid })
parentPort.on('message', (job) => {
  try {
    const result = job.op === 'hash' ? bcrypt.hashSync(job.password, job.cost) : bcrypt.compareSync(job.password, job.hash)
    parentPort.postMessage({ result })
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message ? err.message : err) })
  }
})
`

/**
 * The hashing threads, started when first needed (an instance nobody signs in to has none) and kept.
 * Each runs one job at a time; the gate in front guarantees no more jobs than threads are in flight.
 * A thread that dies fails its job and is replaced by the next one that is needed.
 */
function createHashThreads() {
  const bcryptPath = createRequire(import.meta.url).resolve('bcrypt')
  const idle: Worker[] = []
  const all = new Set<Worker>()
  const tids = new Map<Worker, number>()

  function start(): Worker {
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { bcryptPath, nice: HASH_NICE } })
    worker.unref() // hashing threads never keep the process alive
    all.add(worker)
    worker.once('exit', () => {
      all.delete(worker)
      tids.delete(worker)
      const i = idle.indexOf(worker)
      if (i !== -1) idle.splice(i, 1)
    })
    return worker
  }

  function run(job: HashJob): Promise<string | boolean> {
    const worker = idle.pop() ?? start()
    return new Promise((resolve, reject) => {
      const done = () => {
        worker.off('message', onMessage)
        worker.off('error', onError)
        worker.off('exit', onExit)
      }
      const onMessage = (reply: HashReply) => {
        if ('tid' in reply) {
          if (reply.tid !== null) tids.set(worker, reply.tid)
          return
        }
        done()
        idle.push(worker)
        if ('error' in reply) reject(new Error(`bcrypt: ${reply.error}`))
        else resolve(reply.result)
      }
      const onError = (err: Error) => {
        done()
        reject(err)
      }
      const onExit = (code: number) => {
        done()
        reject(new Error(`hashing thread exited (code ${code})`))
      }
      worker.on('message', onMessage)
      worker.on('error', onError)
      worker.on('exit', onExit)
      worker.postMessage(job)
    })
  }

  return {
    run,
    threadIds: () => [...tids.values()],
    async close() {
      await Promise.all([...all].map((w) => w.terminate()))
    },
  }
}

/** At most `limit` tasks run at once; later ones start in arrival order as slots free up. */
export function createGate(limit: number) {
  let active = 0
  const waiting: (() => void)[] = []
  return async function gated<T>(task: () => Promise<T>): Promise<T> {
    if (active < limit) active++
    else {
      if (waiting.length >= MAX_WAITING_HASHES) {
        throw new AppError('unavailable', { message: 'Too many sign-ins at once. Please retry in a moment.' })
      }
      await new Promise<void>((start) => waiting.push(start)) // the finishing task hands its slot over
    }
    try {
      return await task()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else active--
    }
  }
}
