import AxeBuilder from '@axe-core/playwright'
import { expect, type Page, test } from '@playwright/test'
import {
  BASE_URL,
  composer,
  createRoomViaApi,
  messageItems,
  openAs,
  registerViaApi,
  roomLink,
  screenshot,
  sendMessage,
  uniqueName,
} from './support/app'

/** Serious and critical axe violations, as "rule: target" lines (empty when the page passes). */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`))
}

test('axe finds no serious violations: guest view, signed-in private room, dialogs', async ({ browser }) => {
  const [owner, friend] = await Promise.all([registerViaApi('amy'), registerViaApi('fred')])
  const room = await createRoomViaApi(owner, {
    name: uniqueName('quiet'),
    description: 'A private corner',
    isPrivate: true,
    participants: [friend.user.username],
  })

  const guest = await openAs(browser, null)
  await expect(guest.page.getByText('Log in or register to chat')).toBeVisible()
  expect(await seriousViolations(guest.page)).toEqual([])
  await guest.page.getByRole('banner').getByRole('button', { name: 'Register' }).click()
  await expect(guest.page.getByRole('dialog', { name: 'Create your account' })).toBeVisible()
  await screenshot(guest.page, 'register-dialog')
  expect(await seriousViolations(guest.page)).toEqual([])

  const amy = await openAs(browser, owner, { path: `/rooms/${room.id}` })
  await sendMessage(amy.page, 'Checking contrast and labels, see https://www.w3.org/WAI/')
  await expect(amy.page.getByRole('complementary', { name: 'Participants' })).toBeVisible()
  expect(await seriousViolations(amy.page)).toEqual([])
  await amy.page.getByRole('button', { name: 'New room' }).click()
  await amy.page.getByRole('radio', { name: /Private/ }).check()
  expect(await seriousViolations(amy.page)).toEqual([])

  await guest.context.close()
  await amy.context.close()
})

test('works at 375 px: the room list collapses into a drawer', async ({ browser }) => {
  const user = await registerViaApi('nina')
  const room = await createRoomViaApi(user, { name: uniqueName('mobile') })
  const { page, context } = await openAs(browser, user, { viewport: { width: 375, height: 740 } })

  const nav = page.getByRole('navigation', { name: 'Rooms' })
  await expect(nav).toBeHidden()
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
  await sendMessage(page, 'Typed on a phone')
  await screenshot(page, 'mobile-375')
  expect(await seriousViolations(page)).toEqual([])

  const menu = page.getByRole('button', { name: 'Rooms' })
  await expect(menu).toHaveAttribute('aria-expanded', 'false')
  await menu.click()
  await expect(nav).toBeVisible()
  await screenshot(page, 'mobile-375-rooms')
  await roomLink(page, room.name).click()
  await expect(nav).toBeHidden()
  await expect(page.getByRole('heading', { level: 1, name: room.name })).toBeVisible()
  await expect(composer(page)).toBeVisible()
  await context.close()
})

test('keyboard alone: create a private room with a participant and send a multi-line message', async ({ browser }) => {
  const [user, friend] = await Promise.all([registerViaApi('kim'), registerViaApi('kai')])
  const { page, context } = await openAs(browser, user)
  const press = (key: string) => page.keyboard.press(key)
  /** Presses Tab until the element named `name` has focus (fails if it never does). */
  async function tabTo(name: string | RegExp) {
    const target = typeof name === 'string' ? new RegExp(`^${name}$`) : name
    for (let i = 0; i < 40; i += 1) {
      await press('Tab')
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLInputElement | null
        return (el?.getAttribute('aria-label') || el?.labels?.[0]?.textContent || el?.textContent || '').trim()
      })
      if (target.test(focused)) return
    }
    throw new Error(`never reached ${name} with Tab`)
  }

  await tabTo('New room')
  await press('Enter')
  const dialog = page.getByRole('dialog', { name: 'New room' })
  await expect(dialog).toBeVisible()
  const roomName = uniqueName('keys')
  await expect(dialog.getByLabel('Name')).toBeFocused() // focus moved into the dialog
  await page.keyboard.type(roomName)
  await press('Tab') // description
  await press('Tab') // "Public" radio
  await press('ArrowDown') // → "Private"
  await expect(dialog.getByRole('radio', { name: /Private/ })).toBeChecked()
  await press('Tab')
  await expect(dialog.getByRole('combobox', { name: 'Add participants' })).toBeFocused()
  await page.keyboard.type(friend.user.username.slice(0, 6))
  await expect(dialog.getByRole('option', { name: `@${friend.user.username}` })).toBeVisible()
  await press('ArrowDown')
  await press('Enter')
  await expect(dialog.getByRole('list', { name: 'Participants to add' })).toContainText(friend.user.username)
  await tabTo('Create room')
  await press('Enter')
  await expect(dialog).toBeHidden()
  await expect(page.getByRole('heading', { level: 1, name: roomName })).toBeVisible()

  await tabTo('Topic')
  await expect(page.getByRole('textbox', { name: 'Topic' })).toBeFocused()
  await page.keyboard.press('ControlOrMeta+A')
  await page.keyboard.type('plans')
  await press('Tab')
  await expect(composer(page)).toBeFocused()
  await page.keyboard.type('first line')
  await press('Shift+Enter')
  await page.keyboard.type('second line')
  await press('Enter')
  const sent = messageItems(page).filter({ hasText: 'first line' })
  await expect(sent).toHaveCount(1)
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text, line break included, is the point
  expect(await sent.locator('.text').evaluate((el) => (el as HTMLElement).innerText)).toBe('first line\nsecond line')
  await expect(sent).toContainText('plans')
  await expect(composer(page)).toHaveValue('')

  // The topic is remembered per room.
  await page.reload()
  await expect(page.getByRole('textbox', { name: 'Topic' })).toHaveValue('plans')
  await page.getByRole('navigation', { name: 'Rooms' }).getByRole('link', { name: 'lobby' }).click()
  await expect(page.getByRole('textbox', { name: 'Topic' })).toHaveValue('general')
  await context.close()
})

// Issue 19: the direct-message list and conversation, the "New message" dialog, a profile card and
// the account settings page.
test('axe finds no serious violations: direct messages, profile card, account settings', async ({ browser }) => {
  const [amy, fred] = await Promise.all([registerViaApi('amy'), registerViaApi('fred')])
  const res = await fetch(`${BASE_URL}/api/dms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${amy.token}` },
    body: JSON.stringify({ usernames: [fred.user.username] }),
  })
  const { conversation } = (await res.json()) as { conversation: { room: { id: string } } }
  const { page, context } = await openAs(browser, amy, { path: `/rooms/${conversation.room.id}` })
  await sendMessage(page, 'A direct hello')
  await expect(page.getByTestId('direct-link')).toHaveCount(1)
  expect(await seriousViolations(page)).toEqual([])
  await page.getByRole('button', { name: 'New message' }).click()
  await expect(page.getByRole('dialog', { name: 'New message' })).toBeVisible()
  expect(await seriousViolations(page)).toEqual([])
  await page.keyboard.press('Escape')
  await messageItems(page)
    .filter({ hasText: 'A direct hello' })
    .getByRole('button', { name: amy.user.username })
    .click()
  await expect(page.getByTestId('profile-card')).toBeVisible()
  expect(await seriousViolations(page)).toEqual([])
  await page.keyboard.press('Escape')
  await page.getByRole('banner').getByRole('button', { name: 'Settings' }).click()
  await expect(page.getByRole('heading', { level: 1, name: 'Account settings' })).toBeVisible()
  expect(await seriousViolations(page)).toEqual([])
  await context.close()
})
