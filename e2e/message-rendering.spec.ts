import { expect, test } from '@playwright/test'
import { LOBBY_ID, messageItems, openAs, postViaApi, registerViaApi, sendMessage } from './support/app'

const ATTACK = '<img src=x onerror=alert(1)>'

test('(e) message content is text: markup shows literally, links are the only elements', async ({ browser }) => {
  const author = await registerViaApi('mallory')
  const [mallory, guest] = await Promise.all([openAs(browser, author), openAs(browser, null)])
  const dialogs: string[] = []
  for (const p of [mallory.page, guest.page]) p.on('dialog', (d) => dialogs.push(d.message()))

  await sendMessage(mallory.page, ATTACK)
  await postViaApi(author, LOBBY_ID, '<script>alert(2)</script>\nsecond line https://example.com/docs?a=1&b=2.')

  for (const page of [mallory.page, guest.page]) {
    const attack = messageItems(page).filter({ hasText: ATTACK })
    await expect(attack).toHaveCount(1)
    await expect(attack.locator('.text')).toHaveText(ATTACK)
    await expect(attack.locator('.text *')).toHaveCount(0) // no element at all inside the text

    const multi = messageItems(page).filter({ hasText: '<script>alert(2)</script>' })
    await expect(multi).toHaveCount(1)
    const text = multi.locator('.text')
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text, line break included, is the point
    expect(await text.evaluate((el) => (el as HTMLElement).innerText)).toBe(
      '<script>alert(2)</script>\nsecond line https://example.com/docs?a=1&b=2.',
    )
    // Exactly one element inside: the link (without the sentence's final period).
    await expect(text.locator('*')).toHaveCount(1)
    const link = text.getByRole('link', { name: 'https://example.com/docs?a=1&b=2' })
    await expect(link).toHaveAttribute('href', 'https://example.com/docs?a=1&b=2')
    await expect(link).toHaveAttribute('rel', /noopener/)
    await expect(link).toHaveAttribute('target', '_blank')
  }
  expect(await guest.page.locator('img[src="x"], script:not([src])').count()).toBe(0)
  expect(dialogs).toEqual([])
  await mallory.context.close()
  await guest.context.close()
})
