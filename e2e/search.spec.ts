import AxeBuilder from '@axe-core/playwright'
import { expect, type Page, test } from '@playwright/test'
import {
  createRoomViaApi,
  editViaApi,
  openAs,
  postViaApi,
  registerViaApi,
  replyViaApi,
  roomLink,
  sendMessage,
  uniqueName,
} from './support/app'

// Issue 17: the search box (Ctrl/⌘+K) with operator hints and marked results labelled by room, opening
// a hit in its room with the messages around it; live filters saved on the server, the same in every
// tab, counting and showing new matches live; a guest's session filter; private rooms never leak;
// 375 px, keyboard only and axe.

async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`))
}

const dialog = (page: Page) => page.getByRole('dialog', { name: 'Search messages' })
const results = (page: Page) => dialog(page).getByRole('list', { name: 'Search results' }).getByRole('listitem')
const filtersNav = (page: Page) =>
  page.getByRole('navigation', { name: 'Rooms' }).getByRole('list', { name: 'Filters' })

/** A filter's open button in the sidebar (its name, then its unread count). */
const filterButton = (page: Page, name: string) =>
  filtersNav(page).getByRole('button', { name: new RegExp(`^${name}`) })

async function searchFor(page: Page, query: string) {
  await page.keyboard.press('Control+k')
  await expect(dialog(page)).toBeVisible()
  const box = dialog(page).getByRole('searchbox', { name: 'Search messages' })
  await expect(box).toBeFocused()
  await box.fill(query)
  await box.press('Enter')
  await expect(dialog(page).getByRole('status')).toBeVisible()
}

test('search with Ctrl+K: hints, marked results labelled by room, a hit opens its room around it; private rooms stay hidden', async ({
  browser,
}) => {
  const [ann, ben, eve] = await Promise.all([registerViaApi('ann'), registerViaApi('ben'), registerViaApi('eve')])
  const word = uniqueName('zebra').replace(/[^a-z0-9]/g, '')
  const pub = await createRoomViaApi(ann, { name: uniqueName('Pub') })
  const priv = await createRoomViaApi(ann, {
    name: uniqueName('Hush'),
    isPrivate: true,
    participants: [ben.user.username],
  })
  for (let i = 0; i < 30; i++) await postViaApi(ann, pub.id, `filler ${i}`)
  const target = await postViaApi(ann, pub.id, `the ${word} config lives in db.json`)
  for (let i = 0; i < 5; i++) await postViaApi(ann, pub.id, `after ${i}`)
  await postViaApi(ann, priv.id, `secret ${word} plans`)

  const [b, e] = await Promise.all([openAs(browser, ben), openAs(browser, eve)])
  await searchFor(b.page, `${word}`)
  await expect(dialog(b.page).getByText('Search operators')).toBeVisible()
  await expect(results(b.page)).toHaveCount(2)
  await expect(results(b.page).filter({ hasText: pub.name })).toContainText('db.json')
  await expect(results(b.page).filter({ hasText: priv.name })).toContainText('secret')
  await expect(results(b.page).first().locator('mark')).toHaveText(word)
  expect(await seriousViolations(b.page)).toEqual([])

  // Eve is not in the private room: she sees exactly one hit, and nothing names the room.
  await searchFor(e.page, `${word}`)
  await expect(results(e.page)).toHaveCount(1)
  await expect(dialog(e.page)).not.toContainText(priv.name)
  await searchFor(e.page, `in:${priv.name}`)
  await expect(dialog(e.page).getByRole('status')).toHaveText('No messages found.')

  // Clicking a hit opens its room at that message, with the messages around it.
  await searchFor(b.page, `db.json ${word}`)
  await results(b.page)
    .first()
    .getByRole('button', { name: /^Open in / })
    .click()
  await expect(dialog(b.page)).toBeHidden()
  const around = b.page.getByRole('region', { name: 'Messages around the search result' })
  await expect(around).toBeVisible()
  await expect(around.locator('li.hit')).toContainText(target.content)
  await expect(around).toContainText('filler 29')
  await expect(around).toContainText('after 0')
  await expect(b.page).toHaveURL(new RegExp(`/rooms/${pub.id}`))
  await around.getByRole('button', { name: 'Back to the latest messages' }).click()
  await expect(around).toBeHidden()

  // A reply opens its thread too, where it is read in its conversation.
  await replyViaApi(ann, pub.id, target.id, `the ${word} reply in a thread`)
  await searchFor(b.page, `reply ${word}`)
  await results(b.page)
    .first()
    .getByRole('button', { name: /^Open in / })
    .click()
  const thread = b.page.getByRole('complementary', { name: 'Thread' })
  await expect(thread).toContainText(target.content)
  await expect(thread.getByTestId('thread-replies')).toContainText(`the ${word} reply in a thread`)
  await expect(around.locator('li.hit')).toHaveAttribute('data-hit', '')

  // A malformed date is named in the error.
  await searchFor(b.page, 'deploy on:2026-02-30')
  await expect(dialog(b.page).getByRole('alert')).toContainText('on:2026-02-30')
  await b.context.close()
  await e.context.close()
})

test('live filters: saved on the server, in every tab, new matches live with unread counts; a guest keeps one for the session', async ({
  browser,
}) => {
  const [ann, ben] = await Promise.all([registerViaApi('ann'), registerViaApi('ben')])
  const tag = uniqueName('ship').replace(/[^a-z0-9]/g, '')
  const pub = await createRoomViaApi(ann, { name: uniqueName('Deploys') })
  const other = await createRoomViaApi(ann, { name: uniqueName('Other') })
  const old = await postViaApi(ann, pub.id, `already out #${tag}`)

  const tab1 = await openAs(browser, ben, { path: `/rooms/${other.id}` })
  const tab2 = await openAs(browser, ben, { path: `/rooms/${other.id}` })
  await searchFor(tab1.page, `#${tag} -draft`)
  await dialog(tab1.page).getByRole('button', { name: 'Save as live filter…' }).click()
  await dialog(tab1.page).getByLabel('Filter name').fill('Shipping')
  await dialog(tab1.page).getByRole('button', { name: 'Save filter' }).click()
  // The filter opens with its history from the server.
  const view = tab1.page.getByRole('region', { name: 'Shipping' })
  await expect(view.getByRole('list', { name: 'Matching messages' })).toContainText(old.content)
  // The other tab has it too, without reloading.
  await expect(filterButton(tab2.page, 'Shipping')).toBeVisible()
  for (const { page } of [tab1, tab2]) await expect(filtersNav(page)).toHaveAttribute('data-live', 'true')

  // New matches arrive live in the open filter, and count as unread in the tab where it is closed;
  // non-matching ones (a draft, another tag) do not.
  await postViaApi(ann, pub.id, `v2 is out #${tag}`)
  await postViaApi(ann, pub.id, `#${tag} draft notes`)
  await postViaApi(ann, other.id, 'unrelated')
  await expect(view.getByRole('list', { name: 'Matching messages' })).toContainText('v2 is out')
  await expect(view).not.toContainText('draft notes')
  await expect(filterButton(tab2.page, 'Shipping')).toContainText('1')
  const live = await postViaApi(ann, other.id, `hotfix #${tag}`)
  await expect(filterButton(tab2.page, 'Shipping')).toContainText('2')
  await expect(view).toContainText('hotfix')
  // An edit that stops matching leaves the open filter.
  await editViaApi(ann, live, 'hotfix (cancelled) draft')
  await expect(view).not.toContainText('hotfix')
  await filterButton(tab2.page, 'Shipping').click()
  await expect(filterButton(tab2.page, 'Shipping')).not.toContainText('2')
  await expect(tab2.page.getByRole('region', { name: 'Shipping' })).toContainText('v2 is out')

  // Deleted in one tab, gone from the other.
  await filtersNav(tab2.page).getByRole('button', { name: 'Delete filter Shipping' }).click()
  await expect(filtersNav(tab1.page)).toHaveCount(0)

  // A guest saves a filter for this session and it counts live messages too.
  const guest = await openAs(browser, null, { path: `/rooms/${other.id}` })
  await searchFor(guest.page, `#${tag}`)
  await dialog(guest.page).getByRole('button', { name: 'Save as live filter…' }).click()
  await dialog(guest.page).getByLabel('Filter name').fill('Guest view')
  await dialog(guest.page).getByRole('button', { name: 'Save filter' }).click()
  await expect(guest.page.getByRole('region', { name: 'Guest view' })).toContainText(old.content)
  await expect(filtersNav(guest.page)).toHaveAttribute('data-live', 'true')
  await postViaApi(ann, pub.id, `guest sees #${tag}`)
  await expect(guest.page.getByRole('region', { name: 'Guest view' })).toContainText('guest sees')
  await roomLink(guest.page, other.name).click()
  await postViaApi(ann, pub.id, `and counts #${tag}`)
  await expect(filterButton(guest.page, 'Guest view')).toContainText('1')
  await guest.page.reload()
  await expect(filterButton(guest.page, 'Guest view')).toBeVisible()
  for (const p of [tab1, tab2, guest]) await p.context.close()
})

test('375 px and keyboard only: search, open a hit, save and open a filter; axe clean', async ({ browser }) => {
  const ann = await registerViaApi('ann')
  const word = uniqueName('kiwi').replace(/[^a-z0-9]/g, '')
  const room = await createRoomViaApi(ann, { name: uniqueName('Small') })
  await postViaApi(ann, room.id, `a ${word} on a small screen`)
  const { page, context } = await openAs(browser, ann, {
    path: `/rooms/${room.id}`,
    viewport: { width: 375, height: 740 },
  })
  await sendMessage(page, 'typed here first')
  await searchFor(page, word)
  await expect(results(page)).toHaveCount(1)
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
  expect(await seriousViolations(page)).toEqual([])
  // Tab to the hit and open it with Enter.
  const hit = results(page)
    .first()
    .getByRole('button', { name: /^Open in / })
  for (let i = 0; i < 40 && !(await hit.evaluate((el) => el === document.activeElement)); i++)
    await page.keyboard.press('Tab')
  await expect(hit).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('region', { name: 'Messages around the search result' })).toContainText(word)
  expect(await seriousViolations(page)).toEqual([])

  // On a phone the search opens from the room drawer too; save the search as a filter from the keyboard.
  await page.getByRole('banner').getByRole('button', { name: 'Rooms' }).click()
  await page
    .getByRole('navigation', { name: 'Rooms' })
    .getByRole('button', { name: /^Search/ })
    .click()
  await dialog(page).getByRole('searchbox', { name: 'Search messages' }).fill(word)
  await page.keyboard.press('Enter')
  await expect(results(page)).toHaveCount(1)
  const save = dialog(page).getByRole('button', { name: 'Save as live filter…' })
  await save.focus()
  await page.keyboard.press('Enter')
  await dialog(page).getByLabel('Filter name').fill('Kiwi')
  await page.keyboard.press('Enter')
  await expect(page.getByRole('region', { name: 'Kiwi' })).toContainText(word)
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
  expect(await seriousViolations(page)).toEqual([])
  await context.close()
})
