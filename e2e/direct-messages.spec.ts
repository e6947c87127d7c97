// Direct messages, profiles and account settings (issue 19), across several browser contexts.
import { expect, type Page, test } from '@playwright/test'
import {
  type Account,
  BASE_URL,
  LOBBY_ID,
  messageItems,
  openAs,
  PASSWORD,
  postViaApi,
  registerViaApi,
  screenshot,
  sendMessage,
} from './support/app'

const directLink = (page: Page, name: string) => page.getByTestId('direct-link').filter({ hasText: name })

async function openDirectViaApi(by: Account, withWhom: Account): Promise<string> {
  const res = await fetch(`${BASE_URL}/api/dms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${by.token}` },
    body: JSON.stringify({ usernames: [withWhom.user.username] }),
  })
  expect(res.status).toBeLessThan(300)
  return ((await res.json()) as { conversation: { room: { id: string } } }).conversation.room.id
}

test('(dm) started from "New message", live on both sides, invisible to others, closed until the next message', async ({
  browser,
}) => {
  const [aliceAccount, bobAccount, carolAccount] = await Promise.all(
    ['alice', 'bob', 'carol'].map((stem) => registerViaApi(stem)),
  )
  const [alice, bob, carol] = await Promise.all(
    [aliceAccount, bobAccount, carolAccount].map((account) => openAs(browser, account)),
  )
  const bobName = bobAccount.user.username
  const aliceName = aliceAccount.user.username

  await alice.page.getByRole('button', { name: 'New message' }).click()
  const dialog = alice.page.getByRole('dialog', { name: 'New message' })
  await dialog.getByRole('combobox', { name: 'To' }).fill(bobName.slice(0, 6))
  await dialog.getByRole('option', { name: `@${bobName}` }).click()
  await expect(dialog.getByRole('list', { name: 'People in the conversation' })).toContainText(`@${bobName}`)
  await screenshot(alice.page, 'new-message-dialog')
  await dialog.getByRole('button', { name: 'Start conversation' }).click()
  await expect(dialog).toBeHidden()
  await expect(alice.page.getByRole('heading', { level: 1, name: bobName })).toBeVisible()
  await expect(directLink(alice.page, bobName)).toBeVisible()
  // Bob does not see it before there is something to read.
  await expect(directLink(bob.page, aliceName)).toHaveCount(0)

  await sendMessage(alice.page, 'Hi Bob, just between us.')
  const bobsLink = directLink(bob.page, aliceName)
  await expect(bobsLink).toBeVisible() // live, on the first message
  await expect(bobsLink.locator('[data-presence]')).toHaveAttribute('data-presence', 'online')
  await bobsLink.click()
  await expect(bob.page.getByRole('heading', { level: 1, name: aliceName })).toBeVisible()
  await expect(messageItems(bob.page).filter({ hasText: 'Hi Bob, just between us.' })).toBeVisible()
  await sendMessage(bob.page, 'Hi Alice!')
  await expect(messageItems(alice.page).filter({ hasText: 'Hi Alice!' })).toBeVisible()
  await screenshot(alice.page, 'direct-conversation')

  // Carol sees no conversation, and its address answers like a missing room.
  await expect(carol.page.getByTestId('direct-link')).toHaveCount(0)
  await carol.page.goto(new URL(alice.page.url()).pathname)
  await expect(carol.page.getByText('That room does not exist, or it is private.')).toBeVisible()
  await expect(messageItems(carol.page).filter({ hasText: 'just between us' })).toHaveCount(0)

  // Bob closes it; Alice's next message brings it back.
  await bob.page.getByRole('button', { name: `Close conversation with ${aliceName}` }).click()
  await expect(bobsLink).toHaveCount(0)
  await sendMessage(alice.page, 'Still there?')
  await expect(bobsLink).toBeVisible()

  // The participant list offers no way to leave or remove anyone.
  await bobsLink.click()
  await expect(bob.page.getByRole('button', { name: 'Leave room' })).toHaveCount(0)

  for (const p of [alice, bob, carol]) await p.context.close()
})

test('(profile) status and do-not-disturb reach the other side live; away when idle; a name opens a card and a DM', async ({
  browser,
}) => {
  const [aliceAccount, bobAccount] = await Promise.all(['alice', 'bob'].map((stem) => registerViaApi(stem)))
  test.setTimeout(60_000)
  const roomId = await openDirectViaApi(aliceAccount, bobAccount)
  await postViaApi(aliceAccount, roomId, 'Ping')
  const [alice, bob] = await Promise.all([aliceAccount, bobAccount].map((account) => openAs(browser, account)))
  const bobName = bobAccount.user.username
  const link = directLink(alice.page, bobName)
  await expect(link.locator('[data-presence]')).toHaveAttribute('data-presence', 'online')

  await bob.page.getByRole('banner').getByRole('button', { name: 'Settings' }).click()
  await expect(bob.page.getByRole('heading', { level: 1, name: 'Account settings' })).toBeVisible()
  await bob.page.getByLabel('Display name (optional, shown beside your username)').fill('Bob Builder')
  await bob.page.getByLabel('Status emoji').fill('🔧')
  await bob.page.getByLabel('Status', { exact: true }).fill('Fixing things')
  await bob.page.getByLabel('Presence').selectOption('dnd')
  await screenshot(bob.page, 'account-settings')
  await bob.page.getByRole('button', { name: 'Save profile' }).click()
  await expect(bob.page.getByText('Profile saved.')).toBeVisible()

  // Alice's sidebar follows live: the display name, do-not-disturb, the emoji.
  const renamed = directLink(alice.page, 'Bob Builder')
  await expect(renamed.locator('[data-presence]')).toHaveAttribute('data-presence', 'dnd')
  await expect(renamed).toContainText('🔧')

  // A name in a public room's timeline opens the card, and the card starts the same conversation.
  const ask = `Anyone need a shelf built? (${bobName})` // the lobby is shared by every test
  await postViaApi(bobAccount, LOBBY_ID, ask)
  const message = messageItems(alice.page).filter({ hasText: ask })
  await message.getByRole('button', { name: /Bob Builder/ }).click()
  const card = alice.page.getByRole('dialog', { name: 'Profile' })
  await expect(card.getByTestId('profile-card')).toContainText('Bob Builder')
  await expect(card.getByTestId('profile-card')).toContainText(`@${bobName}`)
  await expect(card.getByTestId('profile-card')).toContainText('Do not disturb')
  await expect(card.getByTestId('profile-status')).toContainText('🔧 Fixing things')
  await screenshot(alice.page, 'profile-card')
  await card.getByRole('button', { name: 'Message' }).click()
  await expect(card).toBeHidden()
  await expect(alice.page).toHaveURL(new RegExp(`/rooms/${roomId}$`))
  await expect(alice.page.getByRole('heading', { level: 1, name: 'Bob Builder' })).toBeVisible()

  // Back to online, then away by itself after five idle minutes (a fake clock), online again on input.
  await bob.page.getByLabel('Presence').selectOption('online')
  await bob.page.getByRole('button', { name: 'Save profile' }).click()
  await expect(renamed.locator('[data-presence]')).toHaveAttribute('data-presence', 'online')
  const idle = await bob.context.newPage()
  await idle.clock.install()
  await idle.goto('/')
  await expect(idle.getByTestId('online-counts')).toContainText('online')
  await idle.clock.fastForward('05:30')
  await expect(renamed.locator('[data-presence]')).toHaveAttribute('data-presence', 'away', { timeout: 15_000 })
  await idle.mouse.move(40, 40)
  await idle.keyboard.press('Shift')
  await expect(renamed.locator('[data-presence]')).toHaveAttribute('data-presence', 'online', { timeout: 15_000 })

  for (const p of [alice, bob]) await p.context.close()
})

test('(search) the author of a search result opens their card, and the card starts a new conversation', async ({
  browser,
}) => {
  const [carolAccount, daveAccount] = await Promise.all(['carol', 'dave'].map((stem) => registerViaApi(stem)))
  const word = `shelfwood${Date.now().toString(36)}`
  await postViaApi(daveAccount, LOBBY_ID, `Who has ${word} left over?`)
  const [carol, dave] = await Promise.all([carolAccount, daveAccount].map((account) => openAs(browser, account)))
  const daveName = daveAccount.user.username

  await carol.page.keyboard.press('Control+k')
  const search = carol.page.getByRole('dialog', { name: 'Search messages' })
  await search.getByRole('searchbox', { name: 'Search messages' }).fill(word)
  await search.getByRole('searchbox', { name: 'Search messages' }).press('Enter')
  const hit = search.getByRole('list', { name: 'Search results' }).getByRole('listitem')
  await expect(hit).toHaveCount(1)
  // The author's name is its own button: it closes the search and opens the card (not the hit's room).
  await hit.getByRole('button', { name: daveName, exact: true }).click()
  await expect(search).toBeHidden()
  const card = carol.page.getByRole('dialog', { name: 'Profile' })
  await expect(card.getByTestId('profile-card')).toContainText(daveName)
  await card.getByRole('button', { name: 'Message' }).click()
  await expect(card).toBeHidden()
  await expect(carol.page.getByRole('heading', { level: 1, name: daveName })).toBeVisible()
  await expect(carol.page).toHaveURL(/\/rooms\/[0-9a-f-]+$/)

  // The conversation is real: Dave gets its first message live, in his Direct messages section.
  await sendMessage(carol.page, 'Found you through search')
  await expect(directLink(dave.page, carolAccount.user.username)).toBeVisible()
  await directLink(dave.page, carolAccount.user.username).click()
  await expect(messageItems(dave.page).filter({ hasText: 'Found you through search' })).toHaveCount(1)

  for (const p of [carol, dave]) await p.context.close()
})

test('(account) sign out every other session keeps this one; a deleted account shows as "Deleted user" and cannot log in', async ({
  browser,
}) => {
  test.setTimeout(60_000)
  const [aliceAccount, bobAccount] = await Promise.all(['alice', 'bob'].map((stem) => registerViaApi(stem)))
  const [laptop, phone, bob] = await Promise.all(
    [aliceAccount, aliceAccount, bobAccount].map((account) => openAs(browser, account)),
  )
  await sendMessage(laptop.page, 'Last words from alice')

  await laptop.page.getByRole('banner').getByRole('button', { name: 'Settings' }).click()
  await laptop.page.getByRole('button', { name: 'Sign out all other sessions' }).click()
  await expect(laptop.page.getByText('Every other session was signed out.')).toBeVisible()
  await expect(phone.page.getByRole('banner').getByRole('button', { name: 'Log in' })).toBeVisible()
  // The laptop is still signed in, and its socket still works.
  await laptop.page.getByRole('button', { name: 'Back to the conversation' }).click()
  await sendMessage(laptop.page, 'Still here on the laptop')
  await expect(messageItems(bob.page).filter({ hasText: 'Still here on the laptop' })).toBeVisible()

  await laptop.page.getByRole('banner').getByRole('button', { name: 'Settings' }).click()
  await expect(laptop.page.getByText('shown as “Deleted user”').first()).toBeVisible()
  await laptop.page.getByLabel('Current password').last().fill(PASSWORD)
  await laptop.page.getByRole('button', { name: 'Delete my account' }).click()
  await laptop.page
    .getByRole('alertdialog', { name: 'Delete your account?' })
    .getByRole('button', { name: 'Delete account' })
    .click()
  await expect(laptop.page.getByRole('banner').getByRole('button', { name: 'Log in' })).toBeVisible()

  await bob.page.reload()
  const orphan = messageItems(bob.page).filter({ hasText: 'Last words from alice' })
  await expect(orphan).toContainText('Deleted user')

  await laptop.page.getByRole('banner').getByRole('button', { name: 'Log in' }).click()
  const login = laptop.page.getByRole('dialog', { name: /Log in/ })
  await login.getByLabel(/Username or email/).fill(aliceAccount.user.username)
  await login.getByLabel('Password').fill(PASSWORD)
  await login.getByRole('button', { name: 'Log in' }).click()
  await expect(login.getByText('Wrong username/email or password.')).toBeVisible()

  for (const p of [laptop, phone, bob]) await p.context.close()
})
