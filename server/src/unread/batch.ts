/**
 * One statement in flight at a time; what arrives meanwhile goes into the next one (group commit, as
 * the message writer does for inserts). `run` gets every queued item and resolves with one result
 * per item, in order. A failed statement fails every item of its batch.
 */
export function createBatcher<T, R>(run: (items: T[]) => Promise<R[]>) {
  let queue: { item: T; done: (r: R) => void; fail: (e: unknown) => void }[] = []
  let running = false

  async function drain() {
    running = true
    while (queue.length > 0) {
      const batch = queue
      queue = []
      try {
        const results = await run(batch.map((b) => b.item))
        batch.forEach((b, i) => b.done(results[i]))
      } catch (err) {
        for (const b of batch) b.fail(err)
      }
    }
    running = false
  }

  return (item: T): Promise<R> =>
    new Promise<R>((done, fail) => {
      queue.push({ item, done, fail })
      if (!running) void drain()
    })
}
