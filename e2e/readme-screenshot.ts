/// <reference lib="dom" />
// Regenerates docs/screenshot.png (the README picture): a scratch database and server with a small,
// realistic conversation, photographed from a participant's browser. Not a test.
//   npm run build:web && npx tsx e2e/readme-screenshot.ts
import { resolve } from 'node:path'
import { chromium } from '@playwright/test'
import type { SessionDto } from '../server/src/contract/auth'
import type { RoomDto } from '../server/src/contract/rooms'
import { CHROMIUM_LAUNCH } from './support/chromium'
import { createDatabase, deleteRedisKeys, dropDatabase } from './support/database'
import { ROOT, startServer } from './support/server'

const dbName = `parlor_e2e_shot_${process.pid}`
const prefix = `parlor-e2e-shot-${process.pid}`
const server = await startServer({
  port: 4397,
  databaseUrl: await createDatabase(dbName),
  redisPrefix: prefix,
  name: 'readme-screenshot',
})

async function post<T>(path: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

const storage = (session: SessionDto) => ({
  cookies: [],
  origins: [{ origin: server.url, localStorage: [{ name: 'parlor.session', value: JSON.stringify(session) }] }],
})

try {
  const people: Record<string, SessionDto> = {}
  for (const name of ['maya', 'jonas', 'priya', 'sam']) {
    people[name] = await post('/api/auth/register', {
      username: name,
      email: `${name}@studio.example`,
      password: 'correct horse battery',
    })
  }
  await post('/api/rooms', { name: 'general', description: 'Announcements and small talk' }, people.sam.token)
  await post('/api/rooms', { name: 'help-desk', description: 'Questions about the course' }, people.jonas.token)
  const { room } = await post<{ room: RoomDto }>(
    '/api/rooms',
    {
      name: 'design-review',
      description: 'Friday critique, invite only',
      isPrivate: true,
      participants: ['jonas', 'priya'],
    },
    people.maya.token,
  )
  await post('/api/rooms', { name: 'grading', isPrivate: true, participants: ['priya'] }, people.maya.token)
  let n = 0
  const say = (who: string, topic: string, content: string) =>
    post(`/api/rooms/${room.id}/messages`, { topic, content, clientMsgId: `shot-${(n += 1)}` }, people[who].token)
  await say('maya', 'agenda', 'Morning! Three mockups to review today.\nPlease leave notes before 2 pm.')
  await say('jonas', 'mockups', 'The new onboarding flow is up: https://figma.example/file/onboarding-v3')
  await say('priya', 'mockups', 'Love the empty states. The contrast on the secondary buttons looks low to me, though.')
  await say('jonas', 'mockups', 'Good catch, I will bump it to the accent colour.')
  await say('maya', 'agenda', 'Next up: the settings page. Who wants to present?')

  const browser = await chromium.launch(CHROMIUM_LAUNCH)
  const maya = await (
    await browser.newContext({ viewport: { width: 1200, height: 680 }, storageState: storage(people.maya) })
  ).newPage()
  const priya = await (await browser.newContext({ storageState: storage(people.priya) })).newPage()
  const guest = await (await browser.newContext()).newPage()
  await maya.goto(`${server.url}/rooms/${room.id}`)
  await priya.goto(`${server.url}/rooms/${room.id}`)
  await guest.goto(server.url)
  await maya.getByText('Next up: the settings page').waitFor()
  await maya.getByText('1 guest · 2 members online').waitFor()
  await priya.getByRole('textbox', { name: 'Message', exact: true }).fill('I can')
  await maya.getByText('priya is typing…').waitFor()
  await maya.getByRole('textbox', { name: 'Message', exact: true }).fill('Thanks, everyone')
  await maya.screenshot({ path: resolve(ROOT, 'docs/screenshot.png') })
  await browser.close()
} finally {
  await server.stop()
  await dropDatabase(dbName)
  await deleteRedisKeys(prefix)
}
