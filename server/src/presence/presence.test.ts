import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { api, type ClientSocket, connect, eventually, register, startServer, type TestServer } from '../../test/helpers'
import type { PresenceCounts } from '../contract/presence'
import { recomputeDelayMs } from './presence.service'

let server: TestServer
before(async () => {
  server = await startServer()
})
after(() => server.stop())

/** Keeps the latest `presence:changed` a socket received. */
function track(socket: ClientSocket) {
  const state: { last: PresenceCounts | null; received: number } = { last: null, received: 0 }
  socket.on('presence:changed', (c) => {
    state.last = c
    state.received++
  })
  return state
}

const equals = (a: PresenceCounts | null, b: PresenceCounts) => a?.guests === b.guests && a?.users === b.users

test('counts distinct people: 2 guests (one in 2 tabs) + 2 users (one with 2 sockets), then drops on disconnect', async () => {
  const guestA = (await api(server.url, 'POST', '/api/auth/guest')).body.token
  const alice = await register(server.url)
  const bob = await register(server.url)

  const observer = await connect(server.url, alice.token) // alice's first socket
  const seen = track(observer)
  const sockets = [
    await connect(server.url, guestA), // guest A, tab 1
    await connect(server.url, guestA), // guest A, tab 2
    await connect(server.url), // anonymous guest B
    await connect(server.url, alice.token), // alice, second socket
    await connect(server.url, bob.token),
  ]
  const all = { guests: 2, users: 2 }
  await eventually(() => equals(seen.last, all), 5000, 'counts {guests:2, users:2}')
  assert.deepEqual((await api(server.url, 'GET', '/api/presence')).body, all)

  // Late joiners hear the counts on connect.
  let lateSeen = track(observer)
  const late = await connect(server.url, bob.token, { before: (s) => (lateSeen = track(s)) })
  await eventually(() => equals(lateSeen.last, all), 5000, 'late socket told the counts')

  sockets[0].close() // guest A still has a tab open
  sockets[3].close() // alice still has the observer socket
  await new Promise((r) => setTimeout(r, 600))
  assert.deepEqual((await api(server.url, 'GET', '/api/presence')).body, all)

  sockets[1].close() // guest A gone
  sockets[2].close() // guest B gone
  await eventually(() => equals(seen.last, { guests: 0, users: 2 }), 5000, 'guests gone')
  sockets[4].close()
  late.close() // bob gone
  await eventually(() => equals(seen.last, { guests: 0, users: 1 }), 5000, 'bob gone')
  assert.deepEqual((await api(server.url, 'GET', '/api/presence')).body, { guests: 0, users: 1 })
  observer.close()
})

test('a burst of connections is coalesced into a few broadcasts', async () => {
  let seen = { last: null as PresenceCounts | null, received: 0 }
  const observer = await connect(server.url, undefined, { before: (s) => (seen = track(s)) })
  await eventually(() => seen.received >= 1, 5000, 'initial counts')
  const before = seen.received
  const burst = await Promise.all(Array.from({ length: 30 }, () => connect(server.url)))
  await eventually(() => (seen.last?.guests ?? 0) >= 31, 5000, '31 guests')
  assert.ok(
    seen.received - before <= 15,
    `30 connections should coalesce into at most 15 broadcasts, got ${seen.received - before}`,
  )
  for (const s of burst) s.close()
  observer.close()
})

test('the coalescing window grows with the sockets a broadcast reaches: 200 ms to 1 000, then up to 2 s', () => {
  assert.equal(recomputeDelayMs(0), 200)
  assert.equal(recomputeDelayMs(1_000), 200)
  assert.equal(recomputeDelayMs(5_000), 1_000)
  assert.equal(recomputeDelayMs(10_000), 2_000)
  assert.equal(recomputeDelayMs(100_000), 2_000)
  // Frames per second during churn stay bounded: sockets / window.
  for (const n of [2_000, 10_000, 50_000]) assert.ok(n / (recomputeDelayMs(n) / 1000) <= 25_000)
})
