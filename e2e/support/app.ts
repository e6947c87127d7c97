/// <reference lib="dom" />
// Helpers shared by the specs: accounts made through the REST API (fast) or the UI (when the test is
// about the UI), browser contexts signed in as someone, and a few readers of what is on screen.
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { type Browser, type BrowserContext, expect, type Page } from '@playwright/test'
import type { SessionDto } from '../../server/src/contract/auth'
import type { MessageDto } from '../../server/src/contract/messages'
import type { RoomDto } from '../../server/src/contract/rooms'
import { createRoom, HARNESS_PASSWORD, register } from '../../server/test/harness'
import { ARTIFACTS } from './server'

export { LOBBY_ID } from '../../server/src/contract/limits'
export const BASE_URL = `http://127.0.0.1:${process.env.E2E_PORT ?? 4391}`
export const PASSWORD = HARNESS_PASSWORD

/** A fresh valid username: 3–32 of a–z, 0–9, _ and -. */
export const uniqueName = (stem: string) => `${stem}_${randomBytes(3).toString('hex')}`

export type Account = SessionDto & { password: string }

async function api<T>(base: string, path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      'Content-Type': 'application/json',
      ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} → ${res.status} ${await res.text()}`)
  return (res.status === 204 ? undefined : await res.json()) as T
}

/** A new account through the API (the harness's register; e2e addresses end in @example.test). */
export async function registerViaApi(stem: string, base = BASE_URL): Promise<Account> {
  const username = uniqueName(stem)
  const session = await register(base, username, { email: `${username}@example.test` })
  return { ...session, password: PASSWORD }
}

export async function createRoomViaApi(
  owner: Account,
  input: { name: string; isPrivate?: boolean; participants?: string[]; description?: string },
  base = BASE_URL,
): Promise<RoomDto> {
  const { owner: _owner, ...room } = await createRoom(base, {
    by: owner,
    name: input.name,
    private: input.isPrivate,
    with: input.participants,
    description: input.description,
  })
  return room
}

export async function postViaApi(
  author: Account,
  roomId: string,
  content: string,
  base = BASE_URL,
  topic = 'general',
): Promise<MessageDto> {
  const { message } = await api<{ message: MessageDto }>(base, `/api/rooms/${roomId}/messages`, {
    method: 'POST',
    token: author.token,
    body: { topic, content, clientMsgId: randomBytes(8).toString('hex') },
  })
  return message
}

/** A reply in the thread of `rootId` (issue 16), through the REST API. */
export async function replyViaApi(
  author: Account,
  roomId: string,
  rootId: string,
  content: string,
): Promise<MessageDto> {
  const { message } = await api<{ message: MessageDto }>(BASE_URL, `/api/rooms/${roomId}/messages`, {
    method: 'POST',
    token: author.token,
    body: { topic: 'general', content, clientMsgId: randomBytes(8).toString('hex'), replyTo: rootId },
  })
  return message
}

export type Person = { context: BrowserContext; page: Page }

/**
 * A new browser context (its own storage: its own guest id or session), already showing `path`.
 * With an account, the session is in localStorage as the app keeps it after logging in.
 */
export async function openAs(
  browser: Browser,
  account: Account | null,
  {
    path = '/',
    base = BASE_URL,
    viewport = { width: 1280, height: 800 },
    beforeLoad,
  }: {
    path?: string
    base?: string
    viewport?: { width: number; height: number }
    /** Runs on the new context before the page loads (e.g. to route its WebSocket). */
    beforeLoad?: (context: BrowserContext) => Promise<void>
  } = {},
): Promise<Person> {
  const localStorage = account
    ? [{ name: 'parlor.session', value: JSON.stringify({ token: account.token, user: account.user }) }]
    : []
  const context = await browser.newContext({
    baseURL: base,
    viewport,
    storageState: { cookies: [], origins: [{ origin: base, localStorage }] },
  })
  await beforeLoad?.(context)
  const page = await context.newPage()
  await page.goto(path)
  await expect(page.getByTestId('online-counts')).toContainText('online')
  return { context, page }
}

/** Registers through the account dialog. */
export async function registerViaUi(page: Page, stem: string): Promise<string> {
  const username = uniqueName(stem)
  await page.getByRole('banner').getByRole('button', { name: 'Register' }).click()
  const dialog = page.getByRole('dialog', { name: 'Create your account' })
  await dialog.getByLabel('Username').fill(username)
  await dialog.getByLabel('Email').fill(`${username}@example.test`)
  await dialog.getByLabel('Password').fill(PASSWORD)
  await dialog.getByRole('button', { name: 'Create account' }).click()
  await expect(dialog).toBeHidden()
  await expect(accountName(page)).toHaveText(`Signed in as ${username}`)
  return username
}

export const accountName = (page: Page) => page.getByRole('banner').locator('.who .name')

export const composer = (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true })

/** Types into the composer and presses Enter, then waits until the server has stored it. */
export async function sendMessage(page: Page, text: string): Promise<void> {
  await composer(page).fill(text)
  await composer(page).press('Enter')
  await expect(messageItems(page).filter({ hasText: text.split('\n')[0] })).toHaveCount(1)
  await expect(page.getByTestId('pending-message')).toHaveCount(0)
}

export const messageItems = (page: Page) => page.getByTestId('message')

export const roomLink = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Rooms' }).getByRole('link', { name })

/** The live counts in the header, e.g. "3 guests · 5 members online" → { guests: 3, users: 5 }. */
export async function onlineCounts(page: Page): Promise<{ guests: number; users: number }> {
  const text = (await page.getByTestId('online-counts').textContent()) ?? ''
  const m = /(\d+) guests? · (\d+) members? online/.exec(text)
  if (!m) return { guests: -1, users: -1 }
  return { guests: Number(m[1]), users: Number(m[2]) }
}

/** The seq of every stored message on screen, in order. */
export async function shownSeqs(page: Page): Promise<number[]> {
  return messageItems(page).evaluateAll((items) => items.map((el) => Number((el as HTMLElement).dataset.seq)))
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: resolve(ARTIFACTS, `${name}.png`), animations: 'disabled' })
}

export async function editViaApi(author: Account, message: MessageDto, content: string, base = BASE_URL) {
  const path = `/api/rooms/${message.roomId}/messages/${message.id}`
  return (await api<{ message: MessageDto }>(base, path, { method: 'PATCH', token: author.token, body: { content } }))
    .message
}

export async function deleteViaApi(by: Account, message: MessageDto, base = BASE_URL) {
  const path = `/api/rooms/${message.roomId}/messages/${message.id}`
  return (await api<{ message: MessageDto }>(base, path, { method: 'DELETE', token: by.token })).message
}

/** The creator adds someone to a private room. */
export async function addParticipantViaApi(owner: Account, roomId: string, username: string, base = BASE_URL) {
  await api(base, `/api/rooms/${roomId}/participants`, { method: 'POST', token: owner.token, body: { username } })
}

/** Every stored message of a room (up to 100 after `after`), as the server holds it now. */
export async function historyViaApi(reader: Account, roomId: string, after = 0, base = BASE_URL) {
  const path = `/api/rooms/${roomId}/messages?after=${after}&limit=100`
  return (await api<{ messages: MessageDto[] }>(base, path, { token: reader.token })).messages
}

/** What the timeline shows for each stored message: seq, text (without the edited marker), markers. */
export async function shownMessages(page: Page) {
  return messageItems(page).evaluateAll((items) =>
    items.map((el) => {
      const item = el as HTMLElement
      const text = item.querySelector('.text')
      const own = text ? Array.from(text.childNodes).filter((n) => !(n instanceof Element && n.matches('.edited'))) : []
      return {
        seq: Number(item.dataset.seq),
        text: own.map((n) => n.textContent).join(''),
        edited: !!item.querySelector('[data-testid="edited-marker"]'),
        deleted: item.dataset.deleted === 'true',
      }
    }),
  )
}
