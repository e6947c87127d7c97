import { expect, type Page, test } from '@playwright/test'
import {
  addParticipantViaApi,
  composer,
  createRoomViaApi,
  deleteViaApi,
  editViaApi,
  historyViaApi,
  messageItems,
  openAs,
  postViaApi,
  registerViaApi,
  sendMessage,
  shownMessages,
  uniqueName,
} from './support/app'

// Issue 14, item 9: edits and deletions applied in place, live and after being offline; the actions
// on one's own messages and the room creator's Delete; system notices in private rooms.

const bySeq = (page: Page, seq: number | string) => page.locator(`[data-testid="message"][data-seq="${seq}"]`)
const editor = (page: Page) => page.getByRole('textbox', { name: 'Edit message' })
const notices = (page: Page) => page.getByTestId('system-notice')

/** Hovers the message, then clicks one of its action buttons. */
async function act(page: Page, seq: number | string, action: 'Edit message' | 'Delete message') {
  const item = bySeq(page, seq)
  await item.hover()
  await item.getByRole('button', { name: action }).click()
}

test('an edit reaches the other reader live with its marker; a deletion asks first and leaves a tombstone without the text', async ({
  browser,
}) => {
  const [ann, ben] = await Promise.all([registerViaApi('ann'), registerViaApi('ben')])
  const room = await createRoomViaApi(ann, { name: uniqueName('edits') })
  const path = `/rooms/${room.id}`
  const [a, b] = await Promise.all([openAs(browser, ann, { path }), openAs(browser, ben, { path })])

  await sendMessage(a.page, 'Is the deadline Friday?')
  const seq = (await messageItems(a.page).filter({ hasText: 'Is the deadline Friday?' }).getAttribute('data-seq'))!
  await expect(bySeq(b.page, seq)).toContainText('Is the deadline Friday?')

  await act(a.page, seq, 'Edit message')
  await expect(editor(a.page)).toBeFocused()
  await expect(editor(a.page)).toHaveValue('Is the deadline Friday?')
  await editor(a.page).fill('Is the deadline Monday?')
  await editor(a.page).press('Enter')
  await expect(editor(a.page)).toHaveCount(0)
  for (const { page } of [a, b]) {
    await expect(bySeq(page, seq).locator('.text')).toContainText('Is the deadline Monday?')
    const marker = bySeq(page, seq).getByTestId('edited-marker')
    await expect(marker).toHaveText('(edited)')
    await expect(marker).toHaveAttribute('title', /^Edited \S/)
  }
  await expect(bySeq(b.page, seq)).not.toContainText('Friday')

  // Ben may neither edit nor delete Ann's message.
  await bySeq(b.page, seq).hover()
  await expect(
    bySeq(b.page, seq)
      .getByTestId('message-actions')
      .getByRole('button', { name: /^(Edit|Delete) message$/ }),
  ).toHaveCount(0)

  // Delete asks first; Cancel keeps the message.
  await act(a.page, seq, 'Delete message')
  const dialog = a.page.getByRole('alertdialog', { name: 'Delete your message?' })
  await expect(dialog).toBeVisible()
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await expect(dialog).toBeHidden()
  await expect(bySeq(a.page, seq).locator('.text')).toContainText('Is the deadline Monday?')

  await act(a.page, seq, 'Delete message')
  await dialog.getByRole('button', { name: 'Delete message' }).click()
  for (const { page } of [a, b]) {
    await expect(bySeq(page, seq)).toContainText('This message was deleted.')
    await expect(bySeq(page, seq)).toHaveAttribute('data-deleted', 'true')
    await expect(bySeq(page, seq).locator('.text')).toHaveCount(0)
    await expect(bySeq(page, seq).getByTestId('message-actions').getByRole('button')).toHaveCount(0) // no actions on a tombstone
    const html = await page.content()
    expect(html).not.toContain('Monday')
    expect(html).not.toContain('Friday')
  }
  for (const p of [a, b]) await p.context.close()
})

test("the room's creator deletes someone else's message; others see Delete only on their own", async ({ browser }) => {
  const [olga, mike] = await Promise.all([registerViaApi('olga'), registerViaApi('mike')])
  const room = await createRoomViaApi(olga, { name: uniqueName('moderated') })
  const path = `/rooms/${room.id}`
  const [o, m] = await Promise.all([openAs(browser, olga, { path }), openAs(browser, mike, { path })])

  await sendMessage(o.page, 'House rules: be kind.')
  await sendMessage(m.page, 'Something rude from mike')
  const [rules, rude] = await Promise.all(
    ['House rules', 'Something rude'].map((t) => messageItems(o.page).filter({ hasText: t }).getAttribute('data-seq')),
  )

  // Mike: Edit and Delete on his own message, nothing on Olga's.
  await bySeq(m.page, rude!).hover()
  await expect(bySeq(m.page, rude!).getByRole('button', { name: 'Edit message' })).toBeVisible()
  await expect(bySeq(m.page, rude!).getByRole('button', { name: 'Delete message' })).toBeVisible()
  await bySeq(m.page, rules!).hover()
  await expect(
    bySeq(m.page, rules!)
      .getByTestId('message-actions')
      .getByRole('button', { name: /^(Edit|Delete) message$/ }),
  ).toHaveCount(0)

  // Olga: Delete (not Edit) on Mike's message.
  await bySeq(o.page, rude!).hover()
  await expect(bySeq(o.page, rude!).getByRole('button', { name: 'Edit message' })).toHaveCount(0)
  await act(o.page, rude!, 'Delete message')
  const dialog = o.page.getByRole('alertdialog', { name: `Delete ${mike.user.username}'s message?` })
  await dialog.getByRole('button', { name: 'Delete message' }).click()
  for (const { page } of [o, m]) {
    await expect(bySeq(page, rude!)).toContainText('This message was deleted.')
    await expect(bySeq(page, rude!)).not.toContainText('rude')
    await expect(bySeq(page, rules!)).toContainText('House rules: be kind.')
  }
  for (const p of [o, m]) await p.context.close()
})

test('Up-arrow in an empty composer edits the last own message; Escape cancels, Shift+Enter adds a line', async ({
  browser,
}) => {
  const ann = await registerViaApi('ann')
  const room = await createRoomViaApi(ann, { name: uniqueName('arrow') })
  const a = await openAs(browser, ann, { path: `/rooms/${room.id}` })
  await sendMessage(a.page, 'first')
  await sendMessage(a.page, 'second')
  const second = (await messageItems(a.page).filter({ hasText: 'second' }).getAttribute('data-seq'))!

  // Keyboard focus shows the actions as hover does: Tab from the history reaches the first one.
  await a.page.mouse.move(0, 0)
  const firstEdit = bySeq(a.page, Number(second) - 1).getByRole('button', { name: 'Edit message' })
  expect(await firstEdit.evaluate((el) => getComputedStyle(el.parentElement!).opacity)).toBe('0')
  await a.page.getByTestId('message-scroller').focus()
  await a.page.keyboard.press('Tab') // the author's name first (it opens the profile card)
  await expect(bySeq(a.page, Number(second) - 1).getByRole('button', { name: ann.user.username })).toBeFocused()
  // Then the message's own controls (issue 16): upvote, downvote, add a reaction, then its actions:
  // Reply, Mark unread from here (issue 18), Edit.
  for (let i = 0; i < 6; i++) await a.page.keyboard.press('Tab')
  await expect(firstEdit).toBeFocused()
  await expect.poll(() => firstEdit.evaluate((el) => getComputedStyle(el.parentElement!).opacity)).toBe('1')

  // Not while the composer holds text.
  await composer(a.page).fill('draft')
  await composer(a.page).press('ArrowUp')
  await expect(editor(a.page)).toHaveCount(0)
  await composer(a.page).fill('')

  await composer(a.page).press('ArrowUp')
  await expect(editor(a.page)).toBeFocused()
  await expect(editor(a.page)).toHaveValue('second')
  await editor(a.page).press('End')
  await editor(a.page).pressSequentially(' changed')
  await editor(a.page).press('Escape')
  await expect(editor(a.page)).toHaveCount(0)
  await expect(composer(a.page)).toBeFocused()
  await expect(bySeq(a.page, second).locator('.text')).toHaveText('second')
  await expect(bySeq(a.page, second).getByTestId('edited-marker')).toHaveCount(0)

  await composer(a.page).press('ArrowUp')
  await editor(a.page).press('End')
  await editor(a.page).press('Shift+Enter')
  await editor(a.page).pressSequentially('and a second line')
  await expect(editor(a.page)).toHaveValue('second\nand a second line')
  await editor(a.page).press('Enter')
  await expect(editor(a.page)).toHaveCount(0)
  await expect(composer(a.page)).toBeFocused()
  expect(await shownMessages(a.page)).toEqual([
    { seq: Number(second) - 1, text: 'first', edited: false, deleted: false },
    { seq: Number(second), text: 'second\nand a second line', edited: true, deleted: false },
  ])
  await a.context.close()
})

test('a reader offline during 3 edits, 2 deletions and 5 new messages catches up exactly, through the change stream', async ({
  browser,
}) => {
  const [ann, ben] = await Promise.all([registerViaApi('ann'), registerViaApi('ben')])
  const room = await createRoomViaApi(ann, { name: uniqueName('offline') })
  const seeded = []
  for (let i = 1; i <= 60; i++) seeded.push(await postViaApi(ann, room.id, `message ${i}`))

  const b = await openAs(browser, ben, { path: `/rooms/${room.id}` })
  await expect(messageItems(b.page)).toHaveCount(50) // seq 11–60
  const before = await shownMessages(b.page)
  const changes: string[] = []
  b.page.on('request', (r) => {
    if (new URL(r.url()).pathname.endsWith('/changes')) changes.push(r.url())
  })

  await b.context.setOffline(true) // closes its WebSocket; HTTP fails too until it is back
  await expect(b.page.getByTestId('connection-banner')).toBeVisible()
  // Seq 12–14 are no longer among the last 50 when Ben re-joins: only the change stream brings them.
  await editViaApi(ann, seeded[11], 'message 12, edited')
  await editViaApi(ann, seeded[12], 'message 13, edited')
  await deleteViaApi(ann, seeded[13])
  await editViaApi(ann, seeded[57], 'message 58, edited')
  await deleteViaApi(ann, seeded[58])
  for (let i = 61; i <= 65; i++) await postViaApi(ann, room.id, `message ${i}`)
  expect(await shownMessages(b.page)).toEqual(before) // nothing reached Ben

  await b.context.setOffline(false)
  await expect(b.page.getByTestId('connection-banner')).toBeHidden({ timeout: 15_000 })
  const expected = (await historyViaApi(ann, room.id, 10)).map((m) => ({
    seq: m.seq,
    text: m.content,
    edited: m.editedAt !== null && m.deletedAt === null,
    deleted: m.deletedAt !== null,
  }))
  expect(expected).toHaveLength(55)
  expect(expected.filter((m) => m.deleted).map((m) => m.seq)).toEqual([14, 59])
  await expect.poll(() => shownMessages(b.page)).toEqual(expected)
  expect(changes.length).toBeGreaterThan(0)
  const html = await b.page.content()
  expect(html).not.toContain('message 14<')
  expect(html).not.toContain('message 59<')
  await b.context.close()
})

test('a live edit that never arrived is fetched as soon as the next change shows the hole', async ({ browser }) => {
  const [ann, ben] = await Promise.all([registerViaApi('ann'), registerViaApi('ben')])
  const room = await createRoomViaApi(ann, { name: uniqueName('rev-gap') })
  let dropped: () => void = () => {}
  const droppedOne = new Promise<void>((resolve) => (dropped = resolve))
  let dropping = true
  const b = await openAs(browser, ben, {
    path: `/rooms/${room.id}`,
    beforeLoad: (context) =>
      context.routeWebSocket(/\/socket\.io\//, (ws) => {
        const server = ws.connectToServer()
        server.onMessage((frame) => {
          // Socket.IO event frames are `42["name",…]`: lose the first message:updated.
          if (dropping && typeof frame === 'string' && frame.startsWith('42["message:updated"')) {
            dropping = false
            dropped()
          } else ws.send(frame)
        })
      }),
  })
  const first = await postViaApi(ann, room.id, 'before the gap')
  await expect(bySeq(b.page, first.seq)).toContainText('before the gap')

  await editViaApi(ann, first, 'edited in the gap')
  await droppedOne
  await expect(bySeq(b.page, first.seq).locator('.text')).toHaveText('before the gap')

  const next = await postViaApi(ann, room.id, 'after the gap') // its rev skips the lost one
  await expect(bySeq(b.page, next.seq)).toContainText('after the gap')
  await expect(bySeq(b.page, first.seq).locator('.text')).toContainText('edited in the gap')
  await expect(bySeq(b.page, first.seq).getByTestId('edited-marker')).toBeVisible()
  await b.context.close()
})

test('system notices in a private room: added, removed and left, seen by everyone in it, with no actions', async ({
  browser,
}) => {
  const [olga, mike, lena] = await Promise.all([registerViaApi('olga'), registerViaApi('mike'), registerViaApi('lena')])
  const room = await createRoomViaApi(olga, {
    name: uniqueName('club'),
    isPrivate: true,
    participants: [mike.user.username],
  })
  const path = `/rooms/${room.id}`
  const [o, m] = await Promise.all([openAs(browser, olga, { path }), openAs(browser, mike, { path })])
  await expect(m.page.getByRole('heading', { level: 1, name: room.name })).toBeVisible()
  await sendMessage(o.page, 'Welcome, everyone.')
  const [olgaName, mikeName, lenaName] = [olga, mike, lena].map((a) => a.user.username)

  await addParticipantViaApi(olga, room.id, lenaName)
  for (const { page } of [o, m]) {
    const added = notices(page).filter({ hasText: `${olgaName} added ${lenaName}` })
    await expect(added).toBeVisible()
    await expect(added.locator('.avatar')).toHaveCount(0)
    await added.hover()
    await expect(added.getByRole('button')).toHaveCount(0) // not even the creator may delete a notice
  }

  // Olga removes Lena through the participants panel (it asks first).
  const panel = o.page.getByRole('complementary', { name: 'Participants' })
  await panel.getByRole('button', { name: `Remove ${lenaName}` }).click()
  await o.page.getByRole('alertdialog').getByRole('button', { name: 'Remove' }).click()
  for (const { page } of [o, m]) {
    await expect(notices(page).filter({ hasText: `${olgaName} removed ${lenaName}` })).toBeVisible()
  }

  // Mike leaves; Olga sees it.
  await m.page.getByRole('complementary', { name: 'Participants' }).getByRole('button', { name: 'Leave room' }).click()
  await m.page.getByRole('alertdialog').getByRole('button', { name: 'Leave room' }).click()
  await expect(notices(o.page).filter({ hasText: `${mikeName} left` })).toBeVisible()
  // Notices are not messages: the one message is still alone in the timeline.
  await expect(messageItems(o.page)).toHaveCount(1)
  for (const p of [o, m]) await p.context.close()
})
