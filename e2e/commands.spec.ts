import { expect, type Page, test } from '@playwright/test'
import {
  composer,
  createRoomViaApi,
  messageItems,
  openAs,
  registerViaApi,
  sendMessage,
  uniqueName,
} from './support/app'

// Issue 20: ephemeral messages, slash commands, the bot and /escalate, across browser contexts.

const ephemerals = (page: Page) => page.getByTestId('ephemeral-message')
const replies = (page: Page) => page.getByTestId('command-reply')

/** Types a line into the composer and sends it with Enter. */
async function type(page: Page, text: string) {
  await composer(page).fill(text)
  await composer(page).press('Enter')
}

test('ephemeral messages: Alice sends, Bob sees history and sends an ephemeral one, Eve sees only Alice’s', async ({
  browser,
}) => {
  const [aliceAccount, bobAccount, eveAccount] = await Promise.all(
    ['alice', 'bob', 'eve'].map((stem) => registerViaApi(stem)),
  )
  const room = await createRoomViaApi(aliceAccount, { name: uniqueName('course') })
  const path = `/rooms/${room.id}`

  // Alice sends a normal message.
  const alice = await openAs(browser, aliceAccount, { path })
  await sendMessage(alice.page, 'Hello, this one is saved.')

  // Bob connects and sees it in history; he sends an ephemeral message and Alice receives it.
  const bob = await openAs(browser, bobAccount, { path })
  await expect(messageItems(bob.page).filter({ hasText: 'Hello, this one is saved.' })).toBeVisible()
  await bob.page.getByTestId('ephemeral-toggle').check()
  await type(bob.page, 'Psst, this one is not saved.')
  await expect(ephemerals(alice.page)).toContainText('Psst, this one is not saved.')
  await expect(ephemerals(alice.page)).toContainText('Ephemeral · not saved')
  await expect(ephemerals(bob.page)).toHaveCount(1)
  await expect(messageItems(alice.page).filter({ hasText: 'Psst' })).toHaveCount(0)

  // Eve connects and sees only Alice's message.
  const eve = await openAs(browser, eveAccount, { path })
  await expect(messageItems(eve.page).filter({ hasText: 'Hello, this one is saved.' })).toBeVisible()
  await expect(messageItems(eve.page)).toHaveCount(1)
  await expect(ephemerals(eve.page)).toHaveCount(0)
  await expect(eve.page.getByText('Psst, this one is not saved.')).toHaveCount(0)

  // Gone from a viewer's screen on reload.
  await alice.page.reload()
  await expect(messageItems(alice.page).filter({ hasText: 'Hello, this one is saved.' })).toBeVisible()
  await expect(alice.page.getByText('Psst, this one is not saved.')).toHaveCount(0)

  for (const p of [alice, bob, eve]) await p.context.close()
})

test('slash commands, the bot and /escalate: the owner is told live and resolves it', async ({ browser }) => {
  const [ownerAccount, askerAccount, otherAccount] = await Promise.all(
    ['olga', 'ivan', 'eve'].map((stem) => registerViaApi(stem)),
  )
  const roomName = uniqueName('help')
  const room = await createRoomViaApi(ownerAccount, { name: roomName })
  const path = `/rooms/${room.id}`
  const owner = await openAs(browser, ownerAccount) // in the lobby: told through a toast and the list
  const asker = await openAs(browser, askerAccount, { path })
  const other = await openAs(browser, otherAccount, { path })

  // Typing / lists the commands with their usage, only those you may run.
  await composer(asker.page).fill('/')
  const menu = asker.page.getByTestId('command-menu')
  await expect(menu).toContainText('/me <action>')
  await expect(menu).toContainText('/escalate [reason]')
  await expect(menu).not.toContainText('/resolve')
  await composer(asker.page).fill('/sh')
  await expect(menu.getByRole('button')).toHaveCount(1)
  await composer(asker.page).press('Tab')
  await expect(composer(asker.page)).toHaveValue('/shrug ')

  // An unknown command is answered privately, its input shown as text.
  await type(asker.page, '/<img src=x onerror=alert(1)>')
  await expect(replies(asker.page)).toContainText('No such command: /<img src=x onerror=alert(1)>')
  await expect(asker.page.locator('img[src="x"]')).toHaveCount(0)
  await expect(replies(other.page)).toHaveCount(0)

  // /me posts a system message; //text posts /text literally.
  await type(asker.page, '/me waves')
  await expect(other.page.getByTestId('system-notice')).toContainText(`* ${askerAccount.user.username} waves`)
  await type(asker.page, '//shrug is a command')
  await expect(messageItems(other.page).filter({ hasText: '/shrug is a command' })).toBeVisible()

  // /escalate: the bot mentions the owner, who gets a toast and a list entry; a banner shows in the room.
  await type(asker.page, '/escalate the projector is broken')
  const botMessage = messageItems(other.page).filter({ hasText: 'asked for a person in charge' })
  await expect(botMessage).toContainText(`@${ownerAccount.user.username}`)
  await expect(botMessage.getByTestId('bot-label')).toHaveText('Bot')
  await expect(replies(asker.page).last()).toContainText('Escalated')
  for (const page of [asker.page, other.page]) {
    await expect(page.getByTestId('escalation-banner')).toContainText("Escalated — waiting for the room's owner")
  }
  await expect(owner.page.getByTestId('toast')).toContainText(
    `${askerAccount.user.username} asked for you in ${roomName}`,
  )
  const list = owner.page.getByTestId('escalation-list')
  await expect(list).toContainText('the projector is broken')
  await list.getByRole('link').click()
  await expect(owner.page.getByRole('heading', { level: 1, name: roomName })).toBeVisible()
  await expect(owner.page.getByTestId('escalation-banner')).toBeVisible()

  // The owner resolves it: the banner goes for everyone, and so does the list entry.
  await type(owner.page, '/resolve')
  for (const page of [asker.page, other.page, owner.page])
    await expect(page.getByTestId('escalation-banner')).toHaveCount(0)
  await expect(list).toHaveCount(0)
  await expect(messageItems(asker.page).filter({ hasText: 'resolved the escalation' })).toBeVisible()

  for (const p of [owner, asker, other]) await p.context.close()
})
