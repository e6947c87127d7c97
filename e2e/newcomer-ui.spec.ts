/// <reference lib="dom" />
// The defects a newcomer saw in the UI (issue 12, items 6–14), one test each.
import { expect, type Page, test } from '@playwright/test'
import pg from 'pg'
import {
  accountName,
  composer,
  createRoomViaApi,
  messageItems,
  openAs,
  PASSWORD,
  postViaApi,
  registerViaApi,
  roomLink,
  screenshot,
  sendMessage,
  uniqueName,
} from './support/app'
import { type RunningServer, startServer } from './support/server'

const confirmDialog = (page: Page) => page.getByRole('alertdialog')
const panel = (page: Page) => page.getByRole('complementary', { name: 'Participants' })
const toast = (page: Page, text: string) => page.getByTestId('toast').filter({ hasText: text })
const scroller = (page: Page) => page.getByTestId('message-scroller')

/** Moves stored messages back in time (the API stamps them "now"). */
async function backdate(ids: string[], ago: string): Promise<void> {
  const db = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL })
  await db.connect()
  try {
    await db.query(`UPDATE "Message" SET "createdAt" = now() - $2::interval WHERE id = ANY($1::uuid[])`, [ids, ago])
  } finally {
    await db.end()
  }
}

test('6: toasts name the room that was left or deleted, not the one shown afterwards', async ({ browser }) => {
  const [owner, member] = await Promise.all([registerViaApi('owen'), registerViaApi('mia')])
  const secret = await createRoomViaApi(owner, {
    name: uniqueName('secret-plans'),
    isPrivate: true,
    participants: [member.user.username],
  })
  const doomed = await createRoomViaApi(owner, { name: uniqueName('to-be-deleted') })
  const [o, m] = await Promise.all([
    openAs(browser, owner, { path: `/rooms/${doomed.id}` }),
    openAs(browser, member, { path: `/rooms/${secret.id}` }),
  ])

  await panel(m.page).getByRole('button', { name: 'Leave room' }).click()
  await confirmDialog(m.page).getByRole('button', { name: 'Leave room' }).click()
  await expect(m.page.getByRole('heading', { level: 1, name: 'lobby' })).toBeVisible()
  await expect(toast(m.page, `You left ${secret.name}.`)).toBeVisible()
  await expect(toast(m.page, 'You left lobby.')).toHaveCount(0)

  await o.page.getByRole('button', { name: 'Delete room' }).click()
  await confirmDialog(o.page).getByRole('button', { name: 'Delete room' }).click()
  await expect(o.page.getByRole('heading', { level: 1, name: 'lobby' })).toBeVisible()
  await expect(toast(o.page, `Deleted ${doomed.name}.`)).toBeVisible()
  await expect(toast(o.page, 'Deleted lobby.')).toHaveCount(0)
  // The member saw it vanish too (it was public), with the usual notice.
  await expect(roomLink(m.page, doomed.name)).toHaveCount(0)
  for (const p of [o, m]) await p.context.close()
})

test('7: remove, leave and delete all ask first; Escape or Cancel keeps everything; focus comes back', async ({
  browser,
}) => {
  const [owner, member, leaver] = await Promise.all([
    registerViaApi('olive'),
    registerViaApi('max'),
    registerViaApi('liv'),
  ])
  const room = await createRoomViaApi(owner, {
    name: uniqueName('crew'),
    isPrivate: true,
    participants: [member.user.username, leaver.user.username],
  })
  const path = `/rooms/${room.id}`
  const [o, m, l] = await Promise.all([owner, member, leaver].map((a) => openAs(browser, a, { path })))
  await expect(panel(o.page).getByRole('listitem')).toHaveCount(3)

  // Remove: a dialog, focus on Cancel; Escape keeps Max and puts focus back on his Remove button.
  const removeMax = panel(o.page).getByRole('button', { name: `Remove ${member.user.username}` })
  await removeMax.click()
  const dialog = confirmDialog(o.page)
  await expect(dialog).toBeVisible()
  await expect(dialog).toHaveAccessibleName(`Remove ${member.user.username}?`)
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused()
  await screenshot(o.page, 'confirm-remove')
  await o.page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
  await expect(removeMax).toBeFocused()
  await expect(panel(o.page).getByRole('listitem')).toHaveCount(3)
  await expect(m.page.getByRole('heading', { level: 1, name: room.name })).toBeVisible()
  // Confirmed: Max is out, live, and focus continues in the "Add people" field.
  await o.page.keyboard.press('Enter')
  await dialog.getByRole('button', { name: 'Remove' }).click()
  await expect(panel(o.page).getByRole('listitem')).toHaveCount(2)
  await expect(panel(o.page).getByRole('combobox', { name: 'Add people' })).toBeFocused()
  await expect(m.page.getByRole('heading', { level: 1, name: 'lobby' })).toBeVisible()

  // Leave: Cancel keeps Liv in the room.
  const leave = panel(l.page).getByRole('button', { name: 'Leave room' })
  await leave.click()
  await confirmDialog(l.page).getByRole('button', { name: 'Cancel' }).click()
  await expect(confirmDialog(l.page)).toBeHidden()
  await expect(leave).toBeFocused()
  await expect(l.page.getByRole('heading', { level: 1, name: room.name })).toBeVisible()
  await leave.click()
  await confirmDialog(l.page).getByRole('button', { name: 'Leave room' }).click()
  await expect(l.page.getByRole('heading', { level: 1, name: 'lobby' })).toBeVisible()

  // Delete: the same dialog (no "click again" button), Escape keeps the room.
  const del = o.page.getByRole('button', { name: 'Delete room' })
  await del.click()
  await expect(confirmDialog(o.page)).toHaveAccessibleName(`Delete ${room.name}?`)
  await o.page.keyboard.press('Escape')
  await expect(del).toBeFocused()
  await expect(o.page.getByRole('heading', { level: 1, name: room.name })).toBeVisible()
  for (const p of [o, m, l]) await p.context.close()
})

test('8: coming back to a room opens where you left it; a room opened the first time, at the newest', async ({
  browser,
}) => {
  const author = await registerViaApi('rosa')
  const room = await createRoomViaApi(author, { name: uniqueName('long-read') })
  for (let i = 1; i <= 60; i += 1) await postViaApi(author, room.id, `line ${i}`)
  const reader = await registerViaApi('remy')
  const { page, context } = await openAs(browser, reader, { path: `/rooms/${room.id}` })

  // First visit: at the newest message.
  await expect(messageItems(page).filter({ hasText: 'line 60' })).toBeInViewport()
  // Read back to message 30 (put it at the top), then go elsewhere while two more arrive.
  await page.locator('[data-seq="30"]').evaluate((el) => el.scrollIntoView({ block: 'start' }))
  await expect(page.locator('[data-seq="30"]')).toBeInViewport()
  const offset = async () =>
    page
      .locator('[data-seq="30"]')
      .evaluate(
        (el) =>
          el.getBoundingClientRect().top -
          (el.closest('[data-testid="message-scroller"]') as HTMLElement).getBoundingClientRect().top,
      )
  const before = await offset()
  await page.waitForTimeout(200) // the position is remembered on the next frame
  await roomLink(page, 'lobby').click()
  await expect(page.getByRole('heading', { level: 1, name: 'lobby' })).toBeVisible()
  await postViaApi(author, room.id, 'line 61')
  await postViaApi(author, room.id, 'line 62')

  await roomLink(page, room.name).click()
  await expect(page.getByRole('heading', { level: 1, name: room.name })).toBeVisible()
  await expect(page.getByRole('button', { name: '2 new messages ↓' })).toBeVisible()
  await expect(page.locator('[data-seq="30"]')).toBeInViewport()
  expect(Math.abs((await offset()) - before)).toBeLessThan(3)
  expect(await scroller(page).evaluate((el) => el.scrollTop)).toBeGreaterThan(0)

  // Left at the bottom: back at the bottom, new messages included.
  await page.getByRole('button', { name: '2 new messages ↓' }).click()
  await expect(messageItems(page).filter({ hasText: 'line 62' })).toBeInViewport()
  await page.waitForTimeout(200)
  await roomLink(page, 'lobby').click()
  await postViaApi(author, room.id, 'line 63')
  await roomLink(page, room.name).click()
  await expect(messageItems(page).filter({ hasText: 'line 63' })).toBeInViewport()
  await context.close()
})

test('9: a counter appears near the 4 000-character limit and says when it is passed; labels stay aligned', async ({
  browser,
}) => {
  const user = await registerViaApi('cora')
  const { page, context } = await openAs(browser, user)
  const count = page.getByTestId('character-count')
  const labelTop = (name: string) =>
    page.locator(`label[for="composer-${name}"]`).evaluate((el) => el.getBoundingClientRect().top)

  await composer(page).fill('a'.repeat(3199))
  await expect(count).toHaveText('')
  await composer(page).fill('a'.repeat(3200))
  await expect(count).toHaveText('800 characters left')
  await composer(page).fill('a'.repeat(4000))
  await expect(count).toHaveText(/Limit reached: 4,?000 characters/)
  await expect(page.getByRole('button', { name: 'Send' })).toBeEnabled()

  // Past the limit nothing is cut off silently: it says so, and sending waits until it fits.
  await composer(page).fill('a'.repeat(4010))
  await expect(composer(page)).toHaveValue('a'.repeat(4010))
  await expect(count).toContainText('10 over the 4,000-character limit')
  await expect(page.getByRole('status').filter({ hasText: 'Message too long' })).toHaveCount(1)
  await expect(page.getByRole('button', { name: 'Send' })).toBeDisabled()
  await composer(page).press('Enter')
  await expect(composer(page)).toHaveValue('a'.repeat(4010))
  await screenshot(page, 'composer-over-limit')

  // However tall the message grows, TOPIC and MESSAGE stay on one line.
  await composer(page).fill(Array.from({ length: 8 }, (_, i) => `line ${i}`).join('\n'))
  expect(await composer(page).evaluate((el) => el.getBoundingClientRect().height)).toBeGreaterThan(100)
  expect(Math.abs((await labelTop('topic')) - (await labelTop('message')))).toBeLessThan(1)
  await composer(page).fill('short again')
  await sendMessage(page, 'short again')
  await context.close()
})

test('10: at 375 px the counts fit on one line and room actions sit in a keyboard-friendly menu', async ({
  browser,
}) => {
  const owner = await registerViaApi('nico')
  const room = await createRoomViaApi(owner, { name: uniqueName('phone-room') })
  const guest = await openAs(browser, null) // so there is a guest to count
  const { page, context } = await openAs(browser, owner, {
    path: `/rooms/${room.id}`,
    viewport: { width: 375, height: 740 },
  })
  const counts = page.getByTestId('online-counts')
  // The short form is drawn by CSS (the element's text stays the full breakdown).
  const short = () => counts.locator('.short').evaluate((el) => getComputedStyle(el, '::after').content.split(' / ')[0])
  await expect.poll(short).toMatch(/^"\d+ online"$/)
  const box = await counts.boundingBox()
  expect(box?.height).toBeLessThan(30) // one line
  expect(await counts.evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true)
  await expect(counts).toContainText(/\d+ guests? · \d+ members? online/) // the full text is still there
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)

  const header = page.locator('.room-header')
  await expect(header.getByRole('button', { name: 'Delete room' })).toBeHidden()
  const menuButton = header.getByRole('button', { name: 'Room actions' })
  await expect(menuButton).toHaveAttribute('aria-expanded', 'false')
  await screenshot(page, 'mobile-375-header')

  // Keyboard: open with Enter, first item focused, Escape closes and returns focus.
  await menuButton.focus()
  await page.keyboard.press('Enter')
  const menu = page.getByRole('menu', { name: 'Room actions' })
  await expect(menu).toBeVisible()
  await expect(menu.getByRole('menuitem', { name: 'Delete room' })).toBeFocused()
  await screenshot(page, 'mobile-375-room-menu')
  await page.keyboard.press('Escape')
  await expect(menu).toBeHidden()
  await expect(menuButton).toBeFocused()

  // Delete from the menu: the same confirmation, then the room is gone.
  await page.keyboard.press('ArrowDown')
  await expect(menu.getByRole('menuitem', { name: 'Delete room' })).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(confirmDialog(page)).toHaveAccessibleName(`Delete ${room.name}?`)
  await confirmDialog(page).getByRole('button', { name: 'Delete room' }).click()
  await expect(page.getByRole('heading', { level: 1, name: 'lobby' })).toBeVisible()
  await expect(toast(page, `Deleted ${room.name}.`)).toBeVisible()
  for (const p of [guest, { page, context }]) await p.context.close()
})

test('11: one author’s consecutive messages share a header; day separators say Today, Yesterday, a date', async ({
  browser,
}) => {
  const [ada, ben] = await Promise.all([registerViaApi('ada'), registerViaApi('ben')])
  const room = await createRoomViaApi(ada, { name: uniqueName('grouped') })
  const old1 = await postViaApi(ada, room.id, 'three days ago, first')
  const old2 = await postViaApi(ada, room.id, 'three days ago, second')
  const yesterday = await postViaApi(ada, room.id, 'yesterday')
  const earlier = await postViaApi(ada, room.id, 'six minutes ago')
  await backdate([old1.id], '3 days 1 minute')
  await backdate([old2.id], '3 days')
  await backdate([yesterday.id], '1 day')
  await backdate([earlier.id], '6 minutes')

  const path = `/rooms/${room.id}`
  const [a, b] = await Promise.all([openAs(browser, ada, { path }), openAs(browser, ben, { path })])
  // Live, from two people: Ada twice, Ben once, Ada again.
  await sendMessage(a.page, 'now, first')
  await sendMessage(a.page, 'now, second')
  await sendMessage(b.page, 'from ben')
  await sendMessage(a.page, 'ada again')

  for (const { page } of [a, b]) {
    const item = (text: string) => messageItems(page).filter({ hasText: text })
    await expect(item('ada again')).toBeVisible()
    const headed = async (text: string) => (await item(text).locator('.author').count()) === 1
    expect(await headed('three days ago, first')).toBe(true)
    expect(await headed('three days ago, second')).toBe(false) // a minute later: grouped
    expect(await headed('yesterday')).toBe(true) // another day
    expect(await headed('six minutes ago')).toBe(true)
    expect(await headed('now, first')).toBe(true) // six minutes later: a new group
    expect(await headed('now, second')).toBe(false)
    expect(await headed('from ben')).toBe(true)
    expect(await headed('ada again')).toBe(true)
    // A grouped message repeats neither avatar nor email.
    await expect(item('now, second').locator('.avatar')).toHaveCount(0)
    await expect(item('now, second')).not.toContainText('@example.test')

    const days = page.getByTestId('day-separator')
    await expect(days).toHaveCount(3)
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000)
    const expected = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' }).format(
      threeDaysAgo,
    )
    await expect(days).toHaveText([expected, 'Yesterday', 'Today'])
  }
  await screenshot(a.page, 'grouped-messages')
  for (const p of [a, b]) await p.context.close()
})

test('12: the password hint and error agree; the login error names the field as labelled', async ({ browser }) => {
  const { page, context } = await openAs(browser, null)
  await page.getByRole('banner').getByRole('button', { name: 'Register' }).click()
  const register = page.getByRole('dialog', { name: 'Create your account' })
  await expect(register.getByText('At least 8 characters')).toBeVisible()
  await register.getByLabel('Username').fill(uniqueName('wren'))
  await register.getByLabel('Email').fill('wren@example.test')
  await register.getByLabel('Password').fill('short')
  await register.getByRole('button', { name: 'Create account' }).click()
  await expect(register.getByText('Password must be at least 8 characters.')).toBeVisible()
  await expect(register).not.toContainText('bytes')

  await register.getByRole('button', { name: 'Log in' }).click()
  const login = page.getByRole('dialog', { name: 'Log in' })
  await login.getByLabel('Password').fill(PASSWORD)
  await login.getByRole('button', { name: 'Log in' }).click()
  await expect(login.getByText('Username or email is required.')).toBeVisible()
  await expect(login).not.toContainText('Login is required')
  await context.close()
})

test('13: the composer has focus when a room opens and after logging in; the skip link stays first', async ({
  browser,
}) => {
  const account = await registerViaApi('kit')
  const room = await createRoomViaApi(account, { name: uniqueName('focus') })

  // A guest: the first Tab reaches the skip link, which leads into the conversation.
  const guest = await openAs(browser, null)
  await guest.page.keyboard.press('Tab')
  const skip = guest.page.getByRole('link', { name: 'Skip to the conversation' })
  await expect(skip).toBeFocused()
  await expect(skip).toBeInViewport()
  await guest.page.keyboard.press('Enter')
  expect(await guest.page.evaluate(() => !!document.activeElement?.closest('#conversation'))).toBe(true)

  // Logging in: focus lands in the composer, not on <body>.
  await guest.page.getByRole('banner').getByRole('button', { name: 'Log in' }).click()
  const login = guest.page.getByRole('dialog', { name: 'Log in' })
  await login.getByLabel('Username or email').fill(account.user.username)
  await login.getByLabel('Password').fill(PASSWORD)
  await login.getByRole('button', { name: 'Log in' }).click()
  await expect(accountName(guest.page)).toHaveText(`Signed in as ${account.user.username}`)
  await expect(composer(guest.page)).toBeFocused()
  await guest.page.keyboard.type('typed right after logging in')
  await guest.page.keyboard.press('Enter')
  await expect(messageItems(guest.page).filter({ hasText: 'typed right after logging in' })).toHaveCount(1)

  // Opening a room, by click or on page load, is ready to type into.
  await roomLink(guest.page, room.name).click()
  await expect(guest.page.getByRole('heading', { level: 1, name: room.name })).toBeVisible()
  await expect(composer(guest.page)).toBeFocused()
  const user = await openAs(browser, account)
  await expect(composer(user.page)).toBeFocused()
  for (const p of [guest, user]) await p.context.close()
})

test('14: while disconnected the online counts are shown as stale, and live again after reconnecting', async ({
  browser,
}) => {
  test.setTimeout(90_000)
  // Its own server (same database), stopped and started again, so the shared one keeps serving.
  const port = Number(process.env.E2E_PORT ?? 4391) + 5
  const base = `http://127.0.0.1:${port}`
  const options = {
    port,
    databaseUrl: process.env.E2E_DATABASE_URL ?? '',
    redisPrefix: `${process.env.E2E_REDIS_PREFIX}-stale`,
    name: 'server-stale-counts',
    migrate: false,
  }
  let server: RunningServer | undefined = await startServer(options)
  try {
    const account = await registerViaApi('stan', base)
    const other = await openAs(browser, null, { base }) // someone else online, so the counts are not trivial
    const { page, context } = await openAs(browser, account, { base })
    const counts = page.getByTestId('online-counts')
    await expect(counts).toContainText('1 guest · 1 member online')
    await expect(counts).toHaveAttribute('data-stale', 'false')
    await expect(counts).not.toContainText('reconnecting')
    const liveColor = await counts.locator('.full').evaluate((el) => getComputedStyle(el).color)

    await server.stop()
    server = undefined
    await expect(page.getByTestId('connection-banner')).toBeVisible()
    await expect(counts).toHaveAttribute('data-stale', 'true')
    await expect(counts).toContainText('reconnecting…')
    await expect(counts).toContainText('1 guest · 1 member online') // last known, still readable
    expect(await counts.locator('.full').evaluate((el) => getComputedStyle(el).color)).not.toBe(liveColor) // dimmed
    await screenshot(page, 'stale-counts')

    server = await startServer(options)
    await expect(page.getByTestId('connection-banner')).toBeHidden({ timeout: 20_000 })
    await expect(counts).toHaveAttribute('data-stale', 'false')
    await expect(counts).not.toContainText('reconnecting')
    await expect(counts).toContainText('1 guest · 1 member online')
    for (const p of [other, { page, context }]) await p.context.close()
  } finally {
    await server?.stop()
  }
})
