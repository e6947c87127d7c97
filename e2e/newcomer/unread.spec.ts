// Issue 18 on exactly what the README's run command starts (`npm start`: embedded PGlite, no Redis):
// the unread signal for rooms you are not viewing, mentions, the "New" divider, and reading on one
// device clearing the badge on the other, with no Redis adapter between the sockets.
import { rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { expect, type Page, test } from '@playwright/test'
import { createRoomViaApi, LOBBY_ID, openAs, postViaApi, registerViaApi } from '../support/app'
import { type ReadmeServer, startReadmeServer } from '../support/readme-server'
import { ROOT } from '../support/server'

const port = Number(process.env.E2E_PORT ?? 4391) + 3
const dataDir = `test-results/newcomer-unread-${process.pid}`
let server: ReadmeServer | undefined

test.afterAll(async () => {
  await server?.stop('SIGTERM')
  rmSync(resolve(ROOT, dataDir), { recursive: true, force: true })
})

const link = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Rooms' }).getByTestId('room-link').filter({ hasText: name })

test('unread badges, a mention and the New divider on the README setup', async ({ browser }) => {
  test.setTimeout(180_000)
  server = await startReadmeServer({ port, dataDir, name: 'newcomer-unread' })
  const base = server.url
  const [ann, ben] = await Promise.all(['ann', 'ben'].map((stem) => registerViaApi(stem, base)))
  const room = await createRoomViaApi(ann, { name: 'plans', isPrivate: true, participants: [ben.user.username] }, base)
  const lobby = `/rooms/${LOBBY_ID}`
  const [phone, laptop] = await Promise.all([
    openAs(browser, ben, { base, path: lobby }),
    openAs(browser, ben, { base, path: lobby }),
  ])
  await postViaApi(ann, room.id, 'are we still on for friday?', base)
  await postViaApi(ann, room.id, `@${ben.user.username} bring the slides`, base)
  for (const { page } of [phone, laptop]) {
    await expect(link(page, 'plans').getByTestId('unread-badge')).toHaveText('2')
    await expect(link(page, 'plans').getByTestId('mention-badge')).toHaveText('@1')
    await expect(page).toHaveTitle('(2) Parlor')
  }
  await link(laptop.page, 'plans').click()
  await expect(laptop.page.getByTestId('new-divider')).toBeVisible()
  await expect(link(phone.page, 'plans').getByTestId('unread-badge')).toHaveCount(0)
  await expect(phone.page).toHaveTitle('Parlor')
  for (const person of [phone, laptop]) await person.context.close()
})
