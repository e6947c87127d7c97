/// <reference lib="dom" />
import { expect, type Page, test } from '@playwright/test'
import {
  createRoomViaApi,
  messageItems,
  openAs,
  postViaApi,
  registerViaApi,
  shownSeqs,
  uniqueName,
} from './support/app'

const scroller = (page: Page) => page.getByTestId('message-scroller')
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

test('scrolling up loads older history without moving the view; new messages follow only at the bottom', async ({
  browser,
}) => {
  const author = await registerViaApi('hank')
  const room = await createRoomViaApi(author, { name: uniqueName('history') })
  for (let i = 1; i <= 120; i += 1) await postViaApi(author, room.id, `message number ${i}`)

  const { page, context } = await openAs(browser, null, { path: `/rooms/${room.id}` })
  // The newest 50, scrolled to the end.
  await expect(messageItems(page)).toHaveCount(50)
  expect(await shownSeqs(page)).toEqual(range(71, 120))
  await expect(messageItems(page).last()).toBeInViewport()

  // Scroll to the top: the previous page is put above, and the message that was at the top stays put.
  // (Scroll and measure in one synchronous step, before the older page can arrive.)
  const scrollUpAndMeasure = (seq: number) =>
    scroller(page).evaluate((el, seq) => {
      el.scrollTo({ top: 0 })
      return el.querySelector(`[data-seq="${seq}"]`)?.getBoundingClientRect().top ?? Number.NaN
    }, seq)
  const before = await scrollUpAndMeasure(71)
  await expect(messageItems(page)).toHaveCount(100)
  const after = await page.locator('[data-seq="71"]').evaluate((el) => el.getBoundingClientRect().top)
  expect(Math.abs(after - before)).toBeLessThan(2)
  expect(await shownSeqs(page)).toEqual(range(21, 120))

  const before2 = await scrollUpAndMeasure(21)
  await expect(messageItems(page)).toHaveCount(120)
  const after2 = await page.locator('[data-seq="21"]').evaluate((el) => el.getBoundingClientRect().top)
  expect(Math.abs(after2 - before2)).toBeLessThan(2)
  await expect(page.getByText(`This is the start of ${room.name}.`)).toBeVisible()
  expect(await shownSeqs(page)).toEqual(range(1, 120))

  // Reading old messages: a new one does not pull the view down, it offers a button instead.
  const top = await scroller(page).evaluate((el) => el.scrollTop)
  await postViaApi(author, room.id, 'arrives while reading')
  const jump = page.getByRole('button', { name: '1 new message ↓' })
  await expect(jump).toBeVisible()
  expect(await scroller(page).evaluate((el) => el.scrollTop)).toBe(top)
  await jump.click()
  await expect(messageItems(page).last()).toBeInViewport()
  await expect(jump).toBeHidden()

  // At the bottom: new messages scroll into view.
  await postViaApi(author, room.id, 'arrives at the bottom')
  const newest = messageItems(page).filter({ hasText: 'arrives at the bottom' })
  await expect(newest).toBeInViewport()
  expect(await shownSeqs(page)).toEqual(range(1, 122))
  await context.close()
})
