import { expect, test } from '@playwright/test'
import { accountName, composer, openAs, PASSWORD, registerViaApi, registerViaUi, screenshot } from './support/app'

test('(d) a reload keeps the session; logging out clears it and continues as a guest', async ({ browser }) => {
  const { page, context } = await openAs(browser, null)
  const username = await registerViaUi(page, 'dora')
  await expect(composer(page)).toBeVisible()

  await page.reload()
  await expect(accountName(page)).toHaveText(`Signed in as ${username}`)
  await expect(composer(page)).toBeVisible()
  await expect(page.getByRole('button', { name: 'New room' })).toBeVisible()

  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('parlor.session') ?? '{}').token)
  await page.getByRole('button', { name: 'Log out' }).click()
  await expect(page.getByRole('banner').getByRole('button', { name: 'Log in' })).toBeVisible()
  await expect(page.getByText('Log in or register to chat')).toBeVisible()
  expect(await page.evaluate(() => localStorage.getItem('parlor.session'))).toBeNull()

  await page.reload()
  await expect(page.getByText('Log in or register to chat')).toBeVisible()
  await expect(accountName(page)).toHaveCount(0)

  // Logging out revoked the token on the server, not just in this browser.
  const me = await context.request.get('/api/auth/me', { headers: { Authorization: `Bearer ${token}` } })
  expect(me.status()).toBe(401)
  await context.close()
})

test('log-in and register forms show the server’s validation messages inline', async ({ browser }) => {
  const taken = await registerViaApi('erin')
  const { page, context } = await openAs(browser, null)

  await page.getByRole('banner').getByRole('button', { name: 'Register' }).click()
  const register = page.getByRole('dialog', { name: 'Create your account' })
  await register.getByLabel('Username').fill('x!')
  await register.getByLabel('Email').fill('not-an-email')
  await register.getByLabel('Password').fill('short')
  await register.getByRole('button', { name: 'Create account' }).click()
  await expect(register.getByText('Username must be 3–32 characters: letters, digits, _ or -.')).toBeVisible()
  await expect(register.getByText('Email must be a valid email.')).toBeVisible()
  await expect(register.getByText('Password must be at least 8 characters.')).toBeVisible()
  await expect(register.getByLabel('Username')).toHaveAttribute('aria-invalid', 'true')
  await screenshot(page, 'register-errors')

  await register.getByLabel('Username').fill(taken.user.username)
  await register.getByLabel('Email').fill(`other-${taken.user.email}`)
  await register.getByLabel('Password').fill(PASSWORD)
  await register.getByRole('button', { name: 'Create account' }).click()
  await expect(register.getByText('Username is already taken.')).toBeVisible()

  await register.getByRole('button', { name: 'Log in' }).click()
  const login = page.getByRole('dialog', { name: 'Log in' })
  await login.getByLabel('Username or email').fill(taken.user.email)
  await login.getByLabel('Password').fill('wrong password')
  await login.getByRole('button', { name: 'Log in' }).click()
  await expect(login.getByRole('alert')).toHaveText('Wrong username/email or password.')

  await login.getByLabel('Password').fill(PASSWORD)
  await login.getByRole('button', { name: 'Log in' }).click()
  await expect(login).toBeHidden()
  await expect(accountName(page)).toHaveText(`Signed in as ${taken.user.username}`)
  await context.close()
})
