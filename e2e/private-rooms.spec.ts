import { expect, test } from '@playwright/test'
import {
  createRoomViaApi,
  messageItems,
  openAs,
  registerViaApi,
  registerViaUi,
  roomLink,
  screenshot,
  sendMessage,
  uniqueName,
} from './support/app'

test('(b) a private room: created with a participant, chat both ways, invisible to others', async ({ browser }) => {
  const [alice, bob, carol, guest] = await Promise.all([
    openAs(browser, null),
    openAs(browser, null),
    registerViaApi('carol').then((account) => openAs(browser, account)),
    openAs(browser, null),
  ])
  const [aliceName, bobName] = await Promise.all([registerViaUi(alice.page, 'alice'), registerViaUi(bob.page, 'bob')])

  // Alice creates the room and adds Bob, picking him from the suggestions.
  const roomName = uniqueName('plans')
  await alice.page.getByRole('button', { name: 'New room' }).click()
  const dialog = alice.page.getByRole('dialog', { name: 'New room' })
  await dialog.getByLabel('Name').fill(roomName)
  await dialog.getByLabel('Description (optional)').fill('Just the two of us')
  await dialog.getByRole('radio', { name: /Private/ }).check()
  await dialog.getByRole('combobox', { name: 'Add participants' }).fill(bobName.slice(0, 5))
  await dialog.getByRole('option', { name: `@${bobName}` }).click()
  await expect(dialog.getByRole('list', { name: 'Participants to add' })).toContainText(`@${bobName}`)
  await screenshot(alice.page, 'new-room-dialog')
  await dialog.getByRole('button', { name: 'Create room' }).click()
  await expect(dialog).toBeHidden()
  await expect(alice.page.getByRole('heading', { level: 1, name: roomName })).toBeVisible()
  await expect(alice.page).toHaveURL(/\/rooms\/[0-9a-f-]{36}$/)
  const roomUrl = new URL(alice.page.url()).pathname

  // Bob's room list gains it live, marked private.
  const bobsLink = roomLink(bob.page, roomName)
  await expect(bobsLink).toBeVisible()
  await expect(bobsLink.getByRole('img', { name: 'Private room' })).toBeVisible()
  await bobsLink.click()
  await expect(bob.page.getByRole('heading', { level: 1, name: roomName })).toBeVisible()

  await sendMessage(alice.page, 'Hi Bob, only we can read this.')
  await expect(messageItems(bob.page).filter({ hasText: 'Hi Bob, only we can read this.' })).toBeVisible()
  await sendMessage(bob.page, 'Hi Alice, indeed.')
  const reply = messageItems(alice.page).filter({ hasText: 'Hi Alice, indeed.' })
  await expect(reply).toBeVisible()
  await expect(reply).toContainText(`${bobName}@example.test`) // members see full addresses
  const panel = alice.page.getByRole('complementary', { name: 'Participants' })
  await expect(panel.getByRole('listitem')).toHaveCount(2)
  await expect(panel).toContainText(aliceName)
  await screenshot(alice.page, 'private-room')

  // Carol (signed in) and the guest never see it. A public room created now does reach them live,
  // so their lists are current when we check.
  const publicName = uniqueName('open')
  await createRoomViaApi(await registerViaApi('dave'), { name: publicName })
  for (const outsider of [carol, guest]) {
    await expect(roomLink(outsider.page, publicName)).toBeVisible()
    await expect(roomLink(outsider.page, roomName)).toHaveCount(0)
    await expect(outsider.page.getByText('Hi Bob, only we can read this.')).toHaveCount(0)
  }
  // Even with the address, it does not open.
  await carol.page.goto(roomUrl)
  await expect(carol.page.getByTestId('toast')).toContainText('That room does not exist, or it is private.')
  await expect(carol.page.getByRole('heading', { level: 1, name: 'lobby' })).toBeVisible()
  await expect(carol.page.getByText('Hi Bob, only we can read this.')).toHaveCount(0)

  for (const p of [alice, bob, carol, guest]) await p.context.close()
})

test('(c) the creator removes a participant: the room leaves their view live; a participant can leave', async ({
  browser,
}) => {
  const [owner, member, leaver] = await Promise.all([
    registerViaApi('olga'),
    registerViaApi('mike'),
    registerViaApi('lena'),
  ])
  const room = await createRoomViaApi(owner, {
    name: uniqueName('team'),
    isPrivate: true,
    participants: [member.user.username, leaver.user.username],
  })
  const path = `/rooms/${room.id}`
  const [olga, mike, lena] = await Promise.all([owner, member, leaver].map((a) => openAs(browser, a, { path })))
  await expect(mike.page.getByRole('heading', { level: 1, name: room.name })).toBeVisible()
  await expect(lena.page.getByRole('heading', { level: 1, name: room.name })).toBeVisible()

  const panel = olga.page.getByRole('complementary', { name: 'Participants' })
  await expect(panel.getByRole('listitem')).toHaveCount(3)
  await panel.getByRole('button', { name: `Remove ${member.user.username}` }).click()
  await olga.page.getByRole('alertdialog').getByRole('button', { name: 'Remove' }).click() // it asks first

  // Mike's view drops the room at once: gone from the list, back in the lobby, told why.
  await expect(roomLink(mike.page, room.name)).toHaveCount(0)
  await expect(mike.page.getByRole('heading', { level: 1, name: 'lobby' })).toBeVisible()
  const notice = mike.page.getByTestId('toast').filter({ hasText: `You no longer have access to ${room.name}.` })
  await expect(notice).toBeVisible()
  await expect(panel.getByRole('listitem')).toHaveCount(2)

  // Lena leaves by herself.
  await lena.page
    .getByRole('complementary', { name: 'Participants' })
    .getByRole('button', { name: 'Leave room' })
    .click()
  await lena.page.getByRole('alertdialog').getByRole('button', { name: 'Leave room' }).click()
  await expect(roomLink(lena.page, room.name)).toHaveCount(0)
  await expect(lena.page.getByRole('heading', { level: 1, name: 'lobby' })).toBeVisible()

  await expect(notice).toBeHidden({ timeout: 8000 }) // Mike's toast vanished by itself
  for (const p of [olga, mike, lena]) await p.context.close()
})
