import { createSubscriber } from 'svelte/reactivity'

/** The current time, re-read every 30 s while something on screen depends on it (relative times). */
class Clock {
  #subscribe = createSubscriber((update) => {
    const timer = setInterval(update, 30_000)
    return () => clearInterval(timer)
  })

  get now(): number {
    this.#subscribe()
    return Date.now()
  }
}

export const clock = new Clock()
