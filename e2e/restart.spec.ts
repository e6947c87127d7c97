import { expect, test } from '@playwright/test'
import {
  composer,
  createRoomViaApi,
  messageItems,
  openAs,
  postViaApi,
  registerViaApi,
  screenshot,
  sendMessage,
  shownSeqs,
  uniqueName,
} from './support/app'
import { type RunningServer, startServer } from './support/server'

// This test stops and starts its own server (same database, its own port and Redis prefix), so the
// shared one keeps serving the other tests.
const port = Number(process.env.E2E_PORT ?? 4391) + 1
const base = `http://127.0.0.1:${port}`
const options = {
  port,
  databaseUrl: process.env.E2E_DATABASE_URL ?? '',
  redisPrefix: `${process.env.E2E_REDIS_PREFIX}-restart`,
  name: 'server-restart',
  migrate: false, // the shared server migrated this database already
}

let server: RunningServer | undefined
test.afterEach(async () => {
  await server?.stop()
})

test('(f) the server restarts mid-conversation: the client reconnects with nothing lost or doubled', async ({
  browser,
}) => {
  test.setTimeout(90_000)
  server = await startServer(options)
  const [ann, ben] = await Promise.all([registerViaApi('ann', base), registerViaApi('ben', base)])
  const room = await createRoomViaApi(ann, { name: uniqueName('ops') }, base)
  const path = `/rooms/${room.id}`
  const [a, b] = await Promise.all([openAs(browser, ann, { base, path }), openAs(browser, ben, { base, path })])

  await sendMessage(a.page, 'one')
  await sendMessage(b.page, 'two')
  await expect(messageItems(a.page)).toHaveCount(2)

  // Stop the server: both clients show the banner.
  await server.stop()
  for (const p of [a, b]) await expect(p.page.getByTestId('connection-banner')).toBeVisible()
  await screenshot(a.page, 'reconnecting')

  // Ann writes while offline: it waits as "sending".
  await composer(a.page).fill('three (written offline)')
  await composer(a.page).press('Enter')
  await expect(a.page.getByTestId('pending-message')).toContainText('Sending…')

  // Start it again and post at once, before the clients are back: they must fetch what they missed.
  server = await startServer(options)
  const missed = ['four (missed)', 'five (missed)', 'six (missed)']
  for (const text of missed) await postViaApi(ben, room.id, text, base)

  for (const p of [a, b]) await expect(p.page.getByTestId('connection-banner')).toBeHidden({ timeout: 20_000 })
  await sendMessage(b.page, 'seven (after the restart)')

  const expected = ['one', 'two', 'three (written offline)', ...missed, 'seven (after the restart)']
  for (const p of [a, b]) {
    await expect(messageItems(p.page)).toHaveCount(expected.length)
    await expect(p.page.getByTestId('pending-message')).toHaveCount(0)
    const texts = await messageItems(p.page).locator('.text').allTextContents()
    expect(new Set(texts)).toEqual(new Set(expected)) // each exactly once…
    expect(await shownSeqs(p.page)).toEqual([1, 2, 3, 4, 5, 6, 7]) // …in one gap-free order
  }
  // The server agrees: seven messages stored.
  const history = await a.context.request.get(`${base}/api/rooms/${room.id}/messages`)
  expect((await history.json()).messages).toHaveLength(7)

  for (const p of [a, b]) await p.context.close()
})
