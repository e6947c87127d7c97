import { expect, type Page, test } from '@playwright/test'
import {
  composer,
  createRoomViaApi,
  deleteViaApi,
  LOBBY_ID,
  openAs,
  type Person,
  postViaApi,
  registerViaApi,
  uniqueName,
} from './support/app'

// Issue 18: badges for rooms you are not viewing, on every device; the "New" divider; reading on one
// device clears the others; mentions (badge, highlight, autocomplete of the room's people only);
// mark unread and mark all read; one browser notification for three tabs, asked for only from the button.

const link = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Rooms' }).getByTestId('room-link').filter({ hasText: name })

test('a message in a room you are not viewing shows on every device; reading on one clears the others', async ({
  browser,
}) => {
  const [ann, ben, eve] = await Promise.all([registerViaApi('ann'), registerViaApi('ben'), registerViaApi('eve')])
  const room = await createRoomViaApi(ann, {
    name: uniqueName('study'),
    isPrivate: true,
    participants: [ben.user.username],
  })
  const lobby = `/rooms/${LOBBY_ID}`
  const [phone, laptop] = await Promise.all([
    openAs(browser, ben, { path: lobby }),
    openAs(browser, ben, { path: lobby }),
  ])
  for (const { page } of [phone, laptop]) await expect(link(page, room.name)).toBeVisible()

  await postViaApi(ann, room.id, 'first, before you came')
  await postViaApi(ann, room.id, `second, @${ben.user.username} look`)
  await postViaApi(ann, room.id, `@${eve.user.username} is not in here`)
  const deleted = await postViaApi(ann, room.id, 'this one is taken back')
  await deleteViaApi(ann, deleted)
  for (const { page } of [phone, laptop]) {
    await expect(link(page, room.name).getByTestId('unread-badge')).toHaveText('3')
    await expect(link(page, room.name).getByTestId('mention-badge')).toHaveText('@1')
    await expect(link(page, room.name)).toHaveClass(/unread/)
    await expect(page).toHaveTitle('(3) Parlor')
  }

  // Ben opens the room on his laptop: it starts at the first unread message under a "New" divider.
  await link(laptop.page, room.name).click()
  const divider = laptop.page.getByTestId('new-divider')
  await expect(divider).toBeVisible()
  await expect(laptop.page.locator('[data-testid="new-divider"] + [data-testid="message"]')).toContainText(
    'first, before you came',
  )
  const mine = laptop.page.getByTestId('mention').filter({ hasText: `@${ben.user.username}` })
  await expect(mine).toHaveClass(/me/)
  // Reading there clears the badge on his phone, and both titles.
  await expect(link(phone.page, room.name).getByTestId('unread-badge')).toHaveCount(0)
  await expect(link(phone.page, room.name).getByTestId('mention-badge')).toHaveCount(0)
  await expect(phone.page).toHaveTitle('Parlor')
  await expect(laptop.page).toHaveTitle('Parlor')

  // After a reload the count is what the server counts (nothing), and stays so.
  await phone.page.reload()
  await expect(link(phone.page, room.name)).toBeVisible()
  await expect(link(phone.page, room.name).getByTestId('unread-badge')).toHaveCount(0)

  // "Mark unread from here" on one device shows the badge again on the other; "Mark all as read" clears it.
  const second = laptop.page.getByTestId('message').filter({ hasText: 'second,' })
  await second.hover()
  await second.getByRole('button', { name: 'Mark unread from here' }).click()
  await expect(link(phone.page, room.name).getByTestId('unread-badge')).toHaveText('2')
  // The laptop keeps showing it unread although the messages are on its screen, until it is opened anew.
  await laptop.page.mouse.wheel(0, -200)
  await expect(link(laptop.page, room.name).getByTestId('unread-badge')).toHaveText('2')
  await link(phone.page, room.name).click()
  await expect(link(laptop.page, room.name).getByTestId('unread-badge')).toHaveCount(0)

  // The composer offers only the people of this private room after @ (Eve is not one of them).
  await composer(laptop.page).fill('@')
  const menu = laptop.page.getByTestId('mention-menu')
  await expect(menu).toContainText(ann.user.username)
  await expect(menu).not.toContainText(eve.user.username)
  await composer(laptop.page).press('Tab')
  await expect(composer(laptop.page)).toHaveValue(`@${ann.user.username} `)

  // Ann sees how far Ben has read ("Seen by", a small private room), live as he reads on.
  const annPage = await openAs(browser, ann, { path: `/rooms/${room.id}` })
  await expect(annPage.page.getByTestId('seen-by')).toHaveText(`Seen by ${ben.user.username}`)
  await postViaApi(ann, room.id, 'one more for the receipt')
  await expect(laptop.page.getByTestId('message').filter({ hasText: 'one more for the receipt' })).toBeVisible()
  await expect(
    annPage.page.locator('[data-testid="message"]:has-text("one more for the receipt") + [data-testid="seen-by"]'),
  ).toBeVisible()
  for (const person of [phone, laptop, annPage]) await person.context.close()
})

/** A fake Notification that reports each one to the test, and the permission requests. */
async function countNotifications(person: Person, seen: string[], asked: number[]) {
  await person.context.exposeBinding('__notified', (_source, title: string) => void seen.push(title))
  await person.context.exposeBinding('__asked', () => void asked.push(1))
  await person.context.addInitScript(() => {
    const w = window as unknown as { __notified(t: string): void; __asked(): void; Notification: unknown }
    // Kept like the browser keeps a site's permission: across reloads and tabs.
    const KEY = 'test.notification-permission'
    class Counting {
      onclick: (() => void) | null = null
      static get permission() {
        return localStorage.getItem(KEY) ?? 'default'
      }
      static async requestPermission() {
        w.__asked()
        localStorage.setItem(KEY, 'granted')
        return 'granted'
      }
      constructor(title: string) {
        w.__notified(title)
      }
      close() {}
    }
    w.Notification = Counting
  })
}

test('more unread messages than a page: the room opens at the first of them, and only what was shown is read', async ({
  browser,
}) => {
  const [ann, ben] = await Promise.all([registerViaApi('ann'), registerViaApi('ben')])
  const room = await createRoomViaApi(ann, {
    name: uniqueName('backlog'),
    isPrivate: true,
    participants: [ben.user.username],
  })
  await postViaApi(ben, room.id, 'where I stopped reading')
  for (let i = 1; i <= 120; i++) await postViaApi(ann, room.id, `backlog ${i}`)
  const b = await openAs(browser, ben, { path: `/rooms/${LOBBY_ID}` })
  await expect(link(b.page, room.name).getByTestId('unread-badge')).toHaveText('99+')

  await link(b.page, room.name).click()
  // The first page holds the newest 50: the older pages are fetched until the first unread is there.
  await expect(b.page.locator('[data-testid="new-divider"] + [data-testid="message"]')).toContainText(
    /backlog 1(?!\d)/,
    {
      timeout: 15_000,
    },
  )
  await expect(b.page.getByTestId('new-divider')).toBeInViewport()
  // Only the screenful around the divider was shown: most of the backlog is still unread.
  await expect(link(b.page, room.name).getByTestId('unread-badge')).toHaveText(/^(\d+|99\+)$/)
  const left = await link(b.page, room.name).getByTestId('unread-badge').innerText()
  expect(left === '99+' || Number(left) > 60).toBe(true)
  // Reading down to the newest clears it.
  await b.page.getByTestId('message').filter({ hasText: 'backlog 120' }).scrollIntoViewIfNeeded()
  await expect(link(b.page, room.name).getByTestId('unread-badge')).toHaveCount(0)
  await b.context.close()
})

test('one notification per message for three tabs, only after turning them on', async ({ browser }) => {
  const [ann, ben] = await Promise.all([registerViaApi('ann'), registerViaApi('ben')])
  const room = await createRoomViaApi(ann, {
    name: uniqueName('dm'),
    isPrivate: true,
    participants: [ben.user.username],
  })
  const seen: string[] = []
  const asked: number[] = []
  const first = await openAs(browser, ben, {
    path: `/rooms/${LOBBY_ID}`,
    beforeLoad: async (context) => countNotifications({ context, page: undefined as never }, seen, asked),
  })
  const tabs = [first.page, await first.context.newPage(), await first.context.newPage()]
  for (const page of tabs.slice(1)) await page.goto(`/rooms/${LOBBY_ID}`)
  for (const page of tabs) await expect(link(page, room.name)).toBeVisible()

  // Off by default: a message notifies nobody, and nothing asked the browser for permission.
  await postViaApi(ann, room.id, 'before turning them on')
  for (const page of tabs) await expect(link(page, room.name).getByTestId('unread-badge')).toHaveText('1')
  expect(seen).toEqual([])
  expect(asked).toEqual([])

  await tabs[1].getByTestId('notifications-on').click()
  await expect(tabs[1].getByTestId('notifications-off')).toBeVisible()
  expect(asked).toEqual([1])
  for (const page of tabs.slice(1)) await page.reload() // the other tabs pick the choice up, as after a restart
  await tabs[0].reload()
  for (const page of tabs) await expect(link(page, room.name).getByTestId('unread-badge')).toHaveText('1')

  await postViaApi(ann, room.id, 'one')
  await postViaApi(ann, room.id, 'two')
  // Every tab has counted both (each considered notifying), and exactly one notification per message went out.
  for (const page of tabs) await expect(link(page, room.name).getByTestId('unread-badge')).toHaveText('3')
  await expect.poll(() => seen.length).toBe(2)
  // A later round trip through every tab: copies of the first two from other tabs would be in by now.
  await postViaApi(ann, room.id, 'three')
  for (const page of tabs) await expect(link(page, room.name).getByTestId('unread-badge')).toHaveText('4')
  await expect.poll(() => seen.length).toBe(3)
  expect(seen).toHaveLength(3)
  expect(seen.every((t) => t.includes(room.name))).toBe(true)
  // A tab showing the room keeps it quiet: nobody is notified of what is on screen.
  await tabs[2].bringToFront()
  await link(tabs[2], room.name).click()
  await expect(link(tabs[0], room.name).getByTestId('unread-badge')).toHaveCount(0)
  await postViaApi(ann, room.id, 'four, while you look')
  await expect(tabs[2].getByTestId('message').filter({ hasText: 'four, while you look' })).toBeVisible()
  await postViaApi(ann, room.id, 'five, while you look')
  await expect(tabs[2].getByTestId('message').filter({ hasText: 'five, while you look' })).toBeVisible()
  expect(seen).toHaveLength(3)
  await first.context.close()
})
