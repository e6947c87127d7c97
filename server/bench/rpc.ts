// Request/response over a forked child's IPC channel, used between the orchestrator and the
// generator workers and server probes.
import type { ChildProcess } from 'node:child_process'

type Request = { rpc: number; cmd: { type: string } & Record<string, unknown> }
type Response = { rpc: number; ok: true; result: unknown } | { rpc: number; ok: false; error: string }

/** Parent side: `call` sends a command and resolves with the child's answer. */
export function rpcClient(child: ChildProcess, what: string) {
  let next = 1
  const waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>()
  child.on('message', (msg: Response) => {
    if (typeof msg !== 'object' || msg === null || typeof msg.rpc !== 'number') return
    const w = waiting.get(msg.rpc)
    if (!w) return
    waiting.delete(msg.rpc)
    if (msg.ok) w.resolve(msg.result)
    else w.reject(new Error(`${what}: ${msg.error}`))
  })
  child.on('exit', (code, signal) => {
    for (const w of waiting.values()) w.reject(new Error(`${what} exited (${code ?? signal}) during a request`))
    waiting.clear()
  })
  return {
    call<T = unknown>(cmd: { type: string } & Record<string, any>, timeoutMs = 120_000): Promise<T> {
      const id = next++
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id)
          reject(new Error(`${what}: no answer to ${cmd.type} within ${timeoutMs} ms`))
        }, timeoutMs)
        waiting.set(id, {
          resolve: (v) => {
            clearTimeout(timer)
            resolve(v)
          },
          reject: (e) => {
            clearTimeout(timer)
            reject(e)
          },
        })
        if (!child.connected) {
          clearTimeout(timer)
          waiting.delete(id)
          reject(new Error(`${what} is not connected`))
          return
        }
        child.send({ rpc: id, cmd } satisfies Request)
      })
    },
  }
}

/** Child side: answers commands by type. Exits when the parent goes away. */
export function serveRpc(handlers: Record<string, (cmd: any) => unknown>, onParentGone: () => void): void {
  process.on('message', (msg: Request) => {
    if (typeof msg !== 'object' || msg === null || typeof msg.rpc !== 'number') return
    const handler = handlers[msg.cmd.type]
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${msg.cmd.type}`)
        return handler(msg.cmd)
      })
      .then(
        (result) => process.send?.({ rpc: msg.rpc, ok: true, result: result ?? null } satisfies Response),
        (err: unknown) =>
          process.send?.({
            rpc: msg.rpc,
            ok: false,
            error: err instanceof Error ? err.message : String(err),
          } satisfies Response),
      )
  })
  process.on('disconnect', onParentGone)
}
