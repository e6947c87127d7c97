// The first hour of a newcomer, on exactly what the README's run command starts (`npm start`, embedded
// PGlite, no Redis): three people, a public and a private room, 100+ messages interleaved from three
// browser contexts and REST, idle gaps longer than the database pool's idle timeout (10 s), a kill -9
// of the server in the middle, and history after the restart. On the previous embedded database every
// send after the first idle gap failed ("prepared statement already exists", issue 12).
import { rmSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect, test } from '@playwright/test'
import {
  type Account,
  composer,
  createRoomViaApi,
  LOBBY_ID,
  messageItems,
  openAs,
  type Person,
  postViaApi,
  registerViaApi,
  roomLink,
  shownSeqs,
} from '../support/app'
import { PDF, png } from '../../server/test/files'
import { dropFiles } from '../support/files'
import { type ReadmeServer, startReadmeServer } from '../support/readme-server'
import { ROOT } from '../support/server'

const port = Number(process.env.E2E_PORT ?? 4391) + 2
// Relative, like the default ./data (the server resolves it against where `npm start` runs).
const dataDir = `test-results/newcomer-data-${process.pid}`
let server: ReadmeServer | undefined

test.afterAll(async () => {
  await server?.stop('SIGTERM')
  rmSync(resolve(ROOT, dataDir), { recursive: true, force: true })
})

/** Sends from the composer and waits until the server has stored it (the pending row is gone). */
async function say(person: Person, text: string) {
  await composer(person.page).fill(text)
  await composer(person.page).press('Enter')
  await expect(messageItems(person.page).filter({ hasText: text })).toHaveCount(1)
  await expect(person.page.getByTestId('pending-message')).toHaveCount(0)
}

test('three people, a public and a private room, 100+ messages, idle gaps and a kill -9 on the README setup', async ({
  browser,
}) => {
  test.setTimeout(300_000)
  server = await startReadmeServer({ port, dataDir, name: 'newcomer' })
  const base = server.url
  const [ann, ben, cam] = await Promise.all(['ann', 'ben', 'cam'].map((stem) => registerViaApi(stem, base)))
  const plans = await createRoomViaApi(ann, { name: 'plans', isPrivate: true, participants: [ben.user.username] }, base)
  const people = await Promise.all([ann, ben, cam].map((who) => openAs(browser, who, { base })))
  const [annPage, benPage, camPage] = people

  const lobby: string[] = []
  const secret: string[] = []
  // One round: each person writes in the lobby from the browser, cam also through REST, and ann and
  // ben in the private room through REST. 6 messages; at most 2 per person per round, paced under the
  // default limit of 15 messages per 10 s, as people typing would be.
  const round = async (r: number) => {
    const started = Date.now()
    const rest = (who: Account, room: string, text: string, into: string[]) =>
      postViaApi(who, room, text, base).then(() => into.push(text))
    await Promise.all([
      say(annPage, `ann ${r}`).then(() => lobby.push(`ann ${r}`)),
      say(benPage, `ben ${r}`).then(() => lobby.push(`ben ${r}`)),
      say(camPage, `cam ${r}`).then(() => lobby.push(`cam ${r}`)),
      rest(cam, LOBBY_ID, `cam via REST ${r}`, lobby),
      rest(ann, plans.id, `plans from ann ${r}`, secret),
      rest(ben, plans.id, `plans from ben ${r}`, secret),
    ])
    await sleep(Math.max(0, 1600 - (Date.now() - started)))
  }

  for (let r = 0; r < 6; r++) await round(r)
  await sleep(11_000) // every database pool client is closed after 10 s idle
  for (let r = 6; r < 12; r++) await round(r)

  // kill -9 in the middle of the session, then the README's command again.
  await server.stop('SIGKILL')
  for (const p of people) await expect(p.page.getByTestId('connection-banner')).toBeVisible()
  server = await startReadmeServer({ port, dataDir, name: 'newcomer' })
  for (const p of people) await expect(p.page.getByTestId('connection-banner')).toBeHidden({ timeout: 30_000 })

  for (let r = 12; r < 18; r++) await round(r)
  await sleep(11_000)
  await round(18)
  expect(lobby.length + secret.length).toBeGreaterThanOrEqual(100)

  // Every open page holds every lobby message exactly once, in one gap-free order.
  for (const p of people) {
    await expect(messageItems(p.page)).toHaveCount(lobby.length)
    expect(await shownSeqs(p.page)).toEqual(lobby.map((_, i) => i + 1))
    const texts = await messageItems(p.page).locator('.text').allTextContents()
    expect(texts.toSorted()).toEqual(lobby.toSorted())
  }

  // History after the restart, through REST and in a browser that opens the private room now.
  const history = await (await fetch(`${base}/api/rooms/${LOBBY_ID}/messages?limit=100`)).json()
  expect(history.messages.map((m: { content: string }) => m.content).toSorted()).toEqual(lobby.toSorted())
  await roomLink(benPage.page, 'plans').click()
  await expect(messageItems(benPage.page)).toHaveCount(Math.min(secret.length, 50))
  const shownSecret = await messageItems(benPage.page).locator('.text').allTextContents()
  expect(shownSecret.every((t) => secret.includes(t))).toBe(true)
  const plansHistory = await (
    await fetch(`${base}/api/rooms/${plans.id}/messages?limit=100`, {
      headers: { Authorization: `Bearer ${ben.token}` },
    })
  ).json()
  expect(plansHistory.messages.map((m: { content: string }) => m.content).toSorted()).toEqual(secret.toSorted())

  // The outsider neither sees the private room nor reads it.
  await expect(roomLink(camPage.page, 'plans')).toHaveCount(0)
  const outsider = await fetch(`${base}/api/rooms/${plans.id}/messages`, {
    headers: { Authorization: `Bearer ${cam.token}` },
  })
  expect(outsider.status).toBe(404)

  // Issue 20 on the embedded database: /escalate (a transaction with an advisory lock, the bot's
  // message) and its live update to the room's creator.
  await composer(benPage.page).fill('/escalate from the embedded database')
  await composer(benPage.page).press('Enter')
  await expect(benPage.page.getByTestId('escalation-banner')).toBeVisible()
  await expect(messageItems(benPage.page).filter({ hasText: 'asked for a person in charge' })).toBeVisible()
  await expect(annPage.page.getByTestId('escalation-list')).toContainText('from the embedded database')

  // Issue 21 on the embedded database: an image (dropped) and a PDF (picked) into the private room,
  // their bytes in PGlite; the other participant sees the thumbnail and downloads the PDF, the
  // outsider gets no link.
  await dropFiles(benPage.page, '[data-testid="composer"]', [
    { name: 'map.png', type: 'image/png', bytes: await png(200, 100) },
  ])
  await benPage.page
    .getByTestId('file-input')
    .setInputFiles({ name: 'agenda.pdf', mimeType: 'application/pdf', buffer: PDF })
  await expect(benPage.page.locator('[data-testid="draft"][data-status="done"]')).toHaveCount(2)
  await composer(benPage.page).fill('map and agenda')
  await composer(benPage.page).press('Enter')
  await annPage.page.getByRole('link', { name: 'Private room plans' }).click()
  const shared = messageItems(annPage.page).filter({ hasText: 'map and agenda' })
  await expect
    .poll(() =>
      shared.locator('[data-testid="attachment-image"] img').evaluate((i) => (i as HTMLImageElement).naturalWidth),
    )
    .toBe(200)
  const [download] = await Promise.all([
    annPage.page.waitForEvent('download'),
    shared.getByTestId('attachment-download').click(),
  ])
  expect(await readFile((await download.path()) as string)).toEqual(PDF)
  const ids = (
    await (
      await fetch(`${base}/api/rooms/${plans.id}/messages?limit=1`, {
        headers: { Authorization: `Bearer ${ben.token}` },
      })
    ).json()
  ).messages[0].attachments.map((a: { id: string }) => a.id)
  const refused = await fetch(`${base}/api/rooms/${plans.id}/uploads/links`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${cam.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ ids }),
  })
  expect(refused.status).toBe(404)

  for (const p of people) await p.context.close()
})
