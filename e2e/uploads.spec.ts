import { readFile } from 'node:fs/promises'
import AxeBuilder from '@axe-core/playwright'
import { expect, type Page, test } from '@playwright/test'
import { PDF, photo, png } from '../server/test/files'
import { composer, createRoomViaApi, openAs, postViaApi, registerViaApi, uniqueName } from './support/app'
import { dropFiles, pasteFiles } from './support/files'

async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`))
}

// Issue 21: Ann attaches two images (one dropped, one pasted) and a PDF (picked), with their
// progress; Ben, in another browser context, sees the thumbnails live, pages through them in the
// image dialog by keyboard, closes it with Escape, and downloads the PDF.

test('drop, paste and pick files; the other reader sees thumbnails, opens the dialog, downloads the PDF', async ({
  browser,
}) => {
  const [ann, ben] = await Promise.all([registerViaApi('ann'), registerViaApi('ben')])
  const room = await createRoomViaApi(ann, { name: uniqueName('files') })
  const path = `/rooms/${room.id}`
  const [a, b] = await Promise.all([openAs(browser, ann, { path }), openAs(browser, ben, { path })])

  const red = await png(300, 200, '#d03030')
  const blue = await png(120, 240, '#3050d0')
  await dropFiles(a.page, '[data-testid="composer"]', [{ name: 'red.png', type: 'image/png', bytes: red }])
  await pasteFiles(a.page, '#composer-message', [{ name: 'blue.png', type: 'image/png', bytes: blue }])
  await a.page.getByTestId('file-input').setInputFiles({ name: 'report.pdf', mimeType: 'application/pdf', buffer: PDF })
  const drafts = a.page.getByTestId('draft')
  await expect(drafts).toHaveCount(3)
  await expect(a.page.locator('[data-testid="draft"][data-status="done"]')).toHaveCount(3)
  await composer(a.page).fill('Slides and the handout')
  await composer(a.page).press('Enter')
  await expect(drafts).toHaveCount(0)

  for (const { page } of [a, b]) {
    const message = page.getByTestId('message').filter({ hasText: 'Slides and the handout' })
    await expect(message.getByTestId('attachment-image')).toHaveCount(2)
    await expect(message.getByTestId('attachment-file')).toContainText('report.pdf')
    await expect(message.getByTestId('attachment-file')).toContainText('PDF')
    // The thumbnails really load (signed links; an <img> sends no token).
    await expect
      .poll(() =>
        message
          .locator('[data-testid="attachment-image"] img')
          .evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth)),
      )
      .toEqual([300, 120].map((w) => Math.min(w, 360)))
  }

  // Ben opens the first image, goes to the next one by keyboard, and closes with Escape.
  const message = b.page.getByTestId('message').filter({ hasText: 'Slides and the handout' })
  await message.getByRole('button', { name: 'Open image red.png' }).click()
  const dialog = b.page.getByRole('dialog', { name: 'Image red.png' })
  await expect(dialog).toBeVisible()
  await expect(dialog.getByTestId('image-position')).toHaveText('1 of 2')
  await expect.poll(() => dialog.locator('img').evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBe(300)
  await b.page.keyboard.press('ArrowRight')
  await expect(b.page.getByRole('dialog', { name: 'Image blue.png' })).toBeVisible()
  await expect(b.page.getByTestId('image-position')).toHaveText('2 of 2')
  expect(await seriousViolations(b.page)).toEqual([])
  await b.page.keyboard.press('Escape')
  await expect(b.page.getByTestId('image-dialog')).toBeHidden()
  await expect(message.getByRole('button', { name: 'Open image red.png' })).toBeFocused()

  // And downloads the PDF: an attachment with its name, the bytes as sent.
  const [download] = await Promise.all([
    b.page.waitForEvent('download'),
    message.getByTestId('attachment-download').click(),
  ])
  expect(download.suggestedFilename()).toBe('report.pdf')
  expect(await readFile((await download.path()) as string)).toEqual(PDF)

  await Promise.all([a.context.close(), b.context.close()])
})

test('a reply in a thread carries files: dropped and picked in the reply box, seen live in the thread by the other reader', async ({
  browser,
}) => {
  const [ann, ben] = await Promise.all([registerViaApi('ann'), registerViaApi('ben')])
  const room = await createRoomViaApi(ann, { name: uniqueName('thread-files') })
  const root = await postViaApi(ann, room.id, 'Who has the handout?')
  const path = `/rooms/${room.id}`
  const [a, b] = await Promise.all([openAs(browser, ann, { path }), openAs(browser, ben, { path })])
  const openThread = async (page: Page) => {
    const item = page.locator(`[data-testid="message"][data-seq="${root.seq}"]`)
    await item.hover()
    await item.getByRole('button', { name: 'Reply in thread' }).click()
    return page.getByRole('complementary', { name: 'Thread' })
  }
  const [annThread, benThread] = [await openThread(a.page), await openThread(b.page)]

  await dropFiles(b.page, '[data-testid="thread-panel"] form', [
    { name: 'page.png', type: 'image/png', bytes: await png(200, 100, '#30a050') },
  ])
  await b.page
    .getByTestId('thread-file-input')
    .setInputFiles({ name: 'handout.pdf', mimeType: 'application/pdf', buffer: PDF })
  await expect(benThread.locator('[data-testid="draft"][data-status="done"]')).toHaveCount(2)
  await benThread.getByRole('textbox', { name: 'Reply' }).fill('Here it is')
  await benThread.getByRole('button', { name: 'Reply', exact: true }).click()
  await expect(benThread.getByTestId('draft')).toHaveCount(0)

  for (const thread of [annThread, benThread]) {
    const reply = thread.getByTestId('thread-replies').getByTestId('message').filter({ hasText: 'Here it is' })
    await expect(reply.getByTestId('attachment-image')).toHaveCount(1)
    await expect(reply.getByTestId('attachment-file')).toContainText('handout.pdf')
  }
  // Not sent to the room: the room's timeline does not show the files.
  await expect(a.page.getByTestId('message-scroller').getByTestId('attachment-file')).toHaveCount(0)
  const [download] = await Promise.all([
    a.page.waitForEvent('download'),
    annThread.getByTestId('attachment-download').click(),
  ])
  expect(download.suggestedFilename()).toBe('handout.pdf')
  await Promise.all([a.context.close(), b.context.close()])
})

test('an oversize file is refused in the composer with a clear error, and can be removed', async ({ browser }) => {
  const ann = await registerViaApi('ann')
  const room = await createRoomViaApi(ann, { name: uniqueName('big') })
  const a = await openAs(browser, ann, { path: `/rooms/${room.id}` })
  await a.page
    .getByTestId('file-input')
    .setInputFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(11 * 1024 * 1024) })
  const draft = a.page.getByTestId('draft')
  await expect(draft).toHaveAttribute('data-status', 'failed')
  await expect(draft.getByRole('alert')).toHaveText('huge.bin is too large: files can be at most 10 MB.')
  await draft.getByTestId('draft-remove').click()
  await expect(draft).toHaveCount(0)
  await a.context.close()
})

test('a profile picture chosen in Settings shows in the header and on messages others read', async ({ browser }) => {
  const [ann, ben] = await Promise.all([registerViaApi('ann'), registerViaApi('ben')])
  const room = await createRoomViaApi(ann, { name: uniqueName('faces') })
  const path = `/rooms/${room.id}`
  const [a, b] = await Promise.all([openAs(browser, ann, { path }), openAs(browser, ben, { path })])
  await a.page.getByRole('banner').getByRole('button', { name: 'Settings' }).click()
  await a.page
    .getByTestId('avatar-input')
    .setInputFiles({ name: 'me.jpg', mimeType: 'image/jpeg', buffer: await photo(300, 200) })
  const header = a.page.getByRole('banner').getByTestId('avatar-image')
  await expect.poll(() => header.evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBe(256)
  await postViaApi(ann, room.id, 'with a face now')
  const item = b.page.getByTestId('message').filter({ hasText: 'with a face now' })
  await expect
    .poll(() => item.getByTestId('avatar-image').evaluate((i) => (i as HTMLImageElement).naturalWidth))
    .toBe(256)
  await Promise.all([a.context.close(), b.context.close()])
})
