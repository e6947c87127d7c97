import AxeBuilder from '@axe-core/playwright'
import { expect, type Page, test } from '@playwright/test'
import {
  composer,
  createRoomViaApi,
  editViaApi,
  openAs,
  postViaApi,
  registerViaApi,
  sendMessage,
  uniqueName,
} from './support/app'

// Issue 16: votes and reactions seen live by another reader (and by your own other tab), a reply
// thread followed by another user, "also send to the room", the top view, and the thread panel at
// 375 px, axe-clean.

const byId = (page: Page, id: string) => page.locator(`.messages [data-testid="message"][data-id="${id}"]`)
const thread = (page: Page) => page.getByRole('complementary', { name: 'Thread' })

async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`))
}

test('one votes and reacts, the other sees it live; your own vote shows on your other tab; guests see counts only', async ({
  browser,
}) => {
  const [ann, ben] = await Promise.all([registerViaApi('ann'), registerViaApi('ben')])
  const room = await createRoomViaApi(ann, { name: uniqueName('votes') })
  const message = await postViaApi(ben, room.id, 'Should we move the exam to Monday?')
  const path = `/rooms/${room.id}`
  const [a, a2, b, g] = await Promise.all([
    openAs(browser, ann, { path }),
    openAs(browser, ann, { path }), // Ann's second tab
    openAs(browser, ben, { path }),
    openAs(browser, null, { path }),
  ])
  for (const { page } of [a, a2, b, g]) await expect(byId(page, message.id)).toBeVisible()

  // Ann votes up by keyboard and reacts from the picker.
  await byId(a.page, message.id).getByTestId('upvote').focus()
  await a.page.keyboard.press('Enter')
  await byId(a.page, message.id).getByTestId('add-reaction').click()
  await a.page
    .getByRole('toolbar', { name: 'Pick a reaction' })
    .getByRole('button', { name: 'React with hooray' })
    .click()

  for (const { page } of [a, a2, b, g]) {
    const item = byId(page, message.id)
    await expect(item.getByTestId('upvotes')).toHaveText('1')
    await expect(item.getByTestId('downvotes')).toHaveText('0')
    await expect(item.locator('[data-testid="reaction"][data-emoji="🎉"]')).toContainText('1')
  }
  // Pressed on both of Ann's tabs, not on Ben's; a guest's buttons are disabled.
  for (const { page } of [a, a2]) {
    await expect(byId(page, message.id).getByTestId('upvote')).toHaveAttribute('aria-pressed', 'true')
    await expect(byId(page, message.id).getByTestId('reaction')).toHaveAttribute('aria-pressed', 'true')
  }
  await expect(byId(b.page, message.id).getByTestId('upvote')).toHaveAttribute('aria-pressed', 'false')
  await expect(byId(g.page, message.id).getByTestId('upvote')).toBeDisabled()
  await expect(byId(g.page, message.id).getByTestId('reaction')).toBeDisabled()

  // Who reacted shows on focus (and hover).
  await byId(b.page, message.id).getByTestId('reaction').focus()
  await expect(byId(b.page, message.id).getByTestId('reaction-users')).toBeVisible()
  await expect(byId(b.page, message.id).getByTestId('reaction-users')).toHaveText(`Reacted: ${ann.user.username}`)

  // Ben adds his 🎉 by clicking Ann's chip; Ann flips her vote from her second tab.
  await byId(b.page, message.id).getByTestId('reaction').click()
  await byId(a2.page, message.id).getByTestId('downvote').click()
  for (const { page } of [a, a2, b, g]) {
    const item = byId(page, message.id)
    await expect(item.getByTestId('upvotes')).toHaveText('0')
    await expect(item.getByTestId('downvotes')).toHaveText('1')
    await expect(item.getByTestId('reaction')).toContainText('2')
  }
  await expect(byId(a.page, message.id).getByTestId('downvote')).toHaveAttribute('aria-pressed', 'true')
  await expect(byId(a.page, message.id).getByTestId('upvote')).toHaveAttribute('aria-pressed', 'false')
  // A fresh load (another device) gets Ann's own vote and reaction from what it fetches.
  await a2.page.reload()
  await expect(byId(a2.page, message.id).getByTestId('downvote')).toHaveAttribute('aria-pressed', 'true')
  await expect(byId(a2.page, message.id).getByTestId('reaction')).toHaveAttribute('aria-pressed', 'true')
  // A double click ends consistent: whatever it toggled, Ben's pressed state, his count and Ann's agree.
  await byId(b.page, message.id).getByTestId('reaction').dblclick()
  const state = async () => {
    const mine = byId(b.page, message.id).getByTestId('reaction')
    const [pressed, count, annCount] = [
      await mine.getAttribute('aria-pressed'),
      (await mine.textContent())?.replace(/\D/g, ''),
      (await byId(a.page, message.id).getByTestId('reaction').textContent())?.replace(/\D/g, ''),
    ]
    return count === annCount && (pressed === 'true') === (count === '2')
      ? 'consistent'
      : `${pressed} ${count} ${annCount}`
  }
  await expect.poll(state, { timeout: 10_000 }).toBe('consistent')

  expect(await seriousViolations(b.page)).toEqual([])
  expect(await seriousViolations(g.page)).toEqual([])
  for (const p of [a, a2, b, g]) await p.context.close()
})

test('a reply thread followed by another user live; also sent to the room; the root renders from itself', async ({
  browser,
}) => {
  const [ann, ben] = await Promise.all([registerViaApi('ann'), registerViaApi('ben')])
  const room = await createRoomViaApi(ann, { name: uniqueName('threads') })
  const path = `/rooms/${room.id}`
  const [a, b] = await Promise.all([openAs(browser, ann, { path }), openAs(browser, ben, { path })])
  const root = await postViaApi(ann, room.id, 'Who brings the projector?')
  await expect(byId(b.page, root.id)).toBeVisible()

  // Ben replies in a thread.
  await byId(b.page, root.id).hover()
  await byId(b.page, root.id).getByRole('button', { name: 'Reply in thread' }).click()
  await expect(thread(b.page)).toBeVisible()
  await expect(thread(b.page)).toContainText('Who brings the projector?')
  await expect(b.page.getByRole('textbox', { name: 'Reply' })).toBeFocused()
  await b.page.getByRole('textbox', { name: 'Reply' }).fill('I will, after lunch.')
  await b.page.getByRole('textbox', { name: 'Reply' }).press('Enter')
  await expect(thread(b.page).getByTestId('thread-replies')).toContainText('I will, after lunch.')

  // Ann sees the summary live under her message (the reply stays out of the room's timeline).
  const summary = byId(a.page, root.id).getByTestId('thread-summary')
  await expect(summary.getByTestId('reply-count')).toHaveText('1 reply')
  await expect(a.page.locator('.messages').getByText('I will, after lunch.')).toHaveCount(0)
  await summary.click()
  await expect(thread(a.page).getByTestId('thread-replies')).toContainText('I will, after lunch.')

  // Ann answers, also to the room: Ben sees it in his thread and in the room, quoting the root.
  await a.page.getByRole('textbox', { name: 'Reply' }).fill('Thanks! Bring the adapter too.')
  await a.page.getByRole('checkbox', { name: /Also send to/ }).check()
  await a.page.getByRole('button', { name: 'Reply', exact: true }).click()
  await expect(thread(b.page).getByTestId('thread-replies')).toContainText('Thanks! Bring the adapter too.')
  const inRoom = b.page
    .locator('.messages [data-testid="message"]')
    .filter({ hasText: 'Thanks! Bring the adapter too.' })
  await expect(inRoom.getByTestId('reply-context')).toContainText('Who brings the projector?')
  await expect(byId(b.page, root.id).getByTestId('reply-count')).toHaveText('2 replies')

  // An edit of the root shows through everywhere it is quoted (nothing was copied).
  await editViaApi(ann, root, 'Who brings the projector and the adapter?')
  await expect(thread(b.page)).toContainText('Who brings the projector and the adapter?')
  await expect(inRoom.getByTestId('reply-context')).toContainText('the adapter?')

  expect(await seriousViolations(b.page)).toEqual([])
  await a.context.close()
  await b.context.close()
})

test('the thread panel works at 375 px, and the top view ranks by score', async ({ browser }) => {
  const [ann, ben] = await Promise.all([registerViaApi('ann'), registerViaApi('ben')])
  const room = await createRoomViaApi(ann, { name: uniqueName('phone') })
  const low = await postViaApi(ann, room.id, 'A modest idea')
  const high = await postViaApi(ann, room.id, 'A brilliant idea')
  const phone = await openAs(browser, ben, { path: `/rooms/${room.id}`, viewport: { width: 375, height: 740 } })
  const page = phone.page

  await byId(page, high.id).getByTestId('upvote').click()
  await expect(byId(page, high.id).getByTestId('upvotes')).toHaveText('1')
  await page.getByTestId('order-top').click()
  const top = page.getByTestId('top-list').getByTestId('message')
  await expect(top.first()).toContainText('A brilliant idea')
  await expect(top.nth(1)).toContainText('A modest idea')
  // Voting in the top view re-ranks it live.
  await page.getByTestId('top-list').locator(`[data-id="${low.id}"]`).getByTestId('upvote').click()
  await page.getByTestId('top-list').locator(`[data-id="${high.id}"]`).getByTestId('upvote').click()
  await expect(top.first()).toContainText('A modest idea')
  await page.getByTestId('order-time').click()

  await byId(page, low.id).hover()
  await byId(page, low.id).getByRole('button', { name: 'Reply in thread' }).click()
  await expect(thread(page)).toBeVisible()
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
  const box = await thread(page).boundingBox()
  expect(box?.width).toBeGreaterThan(360)
  await page.getByRole('textbox', { name: 'Reply' }).fill('Typed on a phone')
  await page.getByRole('button', { name: 'Reply', exact: true }).click()
  await expect(thread(page).getByTestId('thread-replies')).toContainText('Typed on a phone')
  expect(await seriousViolations(page)).toEqual([])
  await page.getByRole('button', { name: 'Close the thread' }).click()
  await expect(thread(page)).toHaveCount(0)
  await expect(byId(page, low.id).getByTestId('reply-count')).toHaveText('1 reply')
  await sendMessage(page, 'Back in the room')
  await expect(composer(page)).toHaveValue('')
  await phone.context.close()
})
