import type { PresenceCounts } from '../contract/presence'

/**
 * Who is online, across instances. A "person" is `u:<userId>` or `g:<guestId>`; each instance reports
 * how many sockets each person has on it, and counts are distinct people over live instances.
 */
export type PresenceStore = {
  /** Record this instance's current sockets for these people (0 = gone) and tell the other instances. */
  set(changes: ReadonlyMap<string, number>): Promise<void>
  /** Rewrite this instance's whole entry and prove it is alive; also repairs a Redis that lost its data. */
  heartbeat(local: ReadonlyMap<string, number>): Promise<void>
  counts(): Promise<PresenceCounts>
  /** Which of these people have a socket on some live instance (issue 19: online dots). */
  online(people: readonly string[]): Promise<Set<string>>
  /**
   * Call `listener` when another instance announces a change, and `onInstanceLost` (on every
   * instance) when a dead instance has been reaped: its sockets left every room without a word, and
   * messages it stored may never have been broadcast.
   */
  subscribe(listener: () => void, onInstanceLost: () => void): Promise<void>
  /** Remove this instance's entry (graceful shutdown). */
  close(): Promise<void>
}

export const isUserPerson = (person: string) => person.startsWith('u:')

/** Single-instance store for development without Redis. */
export function createMemoryPresenceStore(): PresenceStore {
  const people = new Map<string, number>()
  return {
    async set(changes) {
      for (const [person, sockets] of changes) {
        if (sockets > 0) people.set(person, sockets)
        else people.delete(person)
      }
    },
    async heartbeat() {},
    async counts() {
      let users = 0
      for (const person of people.keys()) if (isUserPerson(person)) users++
      return { guests: people.size - users, users }
    },
    async online(wanted) {
      return new Set(wanted.filter((person) => people.has(person)))
    },
    async subscribe() {},
    async close() {
      people.clear()
    },
  }
}
