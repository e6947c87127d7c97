import { expect, test } from '@playwright/test'
import {
  composer,
  LOBBY_ID,
  messageItems,
  onlineCounts,
  openAs,
  postViaApi,
  registerViaApi,
  registerViaUi,
  screenshot,
  sendMessage,
} from './support/app'

test('(a) a guest reads the lobby live, read-only, and sees the counts change as people connect', async ({
  browser,
}) => {
  const guest = await openAs(browser, null)
  const { page } = guest
  await expect(page.getByRole('heading', { level: 1, name: 'lobby' })).toBeVisible()
  await expect(page.getByText('Log in or register to chat')).toBeVisible()
  await expect(composer(page)).toHaveCount(0)

  await expect.poll(async () => (await onlineCounts(page)).guests).toBeGreaterThanOrEqual(1)
  const before = await onlineCounts(page)

  // The same guest in two more tabs is still one guest; a second browser is one more.
  const tab2 = await guest.context.newPage()
  await tab2.goto('/')
  const tab3 = await guest.context.newPage()
  await tab3.goto('/')
  await expect(tab3.getByTestId('online-counts')).toContainText('online')
  const otherGuest = await openAs(browser, null)
  await expect.poll(async () => (await onlineCounts(page)).guests).toBe(before.guests + 1)
  await expect(page.getByTestId('online-counts')).toHaveText(
    `${before.guests + 1} guests · ${before.users} ${before.users === 1 ? 'member' : 'members'} online`,
  )

  // Someone registers in their own browser: one more member online (and their guest self is gone).
  const bob = await openAs(browser, null)
  const bobName = await registerViaUi(bob.page, 'bob')
  await expect.poll(async () => onlineCounts(page)).toEqual({ guests: before.guests + 1, users: before.users + 1 })

  // Their lobby message reaches the guest live, with the author's email masked.
  await sendMessage(bob.page, 'Hello from the lobby!')
  const seen = messageItems(page).filter({ hasText: 'Hello from the lobby!' })
  await expect(seen).toBeVisible()
  await expect(seen).toContainText(bobName)
  await expect(seen).toContainText(`${bobName[0]}***@example.test`)
  await expect(seen).not.toContainText(`${bobName}@example.test`)
  // Relative time, with the exact time on hover.
  await expect(seen.locator('time')).toHaveText('just now')
  await expect(seen.locator('time')).toHaveAttribute('title', /\d{4}.*\d{1,2}:\d{2}/)

  // A message posted by anyone else (here through the REST API) arrives live too.
  const carol = await registerViaApi('carol')
  await postViaApi(carol, LOBBY_ID, 'Posted through the API')
  await expect(messageItems(page).filter({ hasText: 'Posted through the API' })).toBeVisible()
  await screenshot(page, 'guest-lobby')

  // People leaving lowers the counts again.
  await bob.context.close()
  await otherGuest.context.close()
  await expect.poll(async () => onlineCounts(page)).toEqual(before)
  await guest.context.close()
})
