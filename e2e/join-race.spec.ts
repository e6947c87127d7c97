import { expect, test } from '@playwright/test'
import {
  composer,
  createRoomViaApi,
  messageItems,
  openAs,
  postViaApi,
  registerViaApi,
  shownSeqs,
  uniqueName,
} from './support/app'

// A slow room:join answer (seen on the embedded database under load): live messages, and the ack of
// a message the person sent meanwhile, arrive before the room has loaded. Everything must show once,
// in order, when the answer comes; before the fix the answer replaced what had arrived, so the sent
// message and the others vanished until the next message made the client look again.
test('messages and an own ack that arrive before a slow room:join answer all show, once and in order', async ({
  browser,
}) => {
  const [ann, ben] = await Promise.all([registerViaApi('ann'), registerViaApi('ben')])
  const room = await createRoomViaApi(ann, { name: uniqueName('slow-join') })

  let releaseJoin: () => void = () => {}
  const joinHeld = new Promise<void>((resolve) => (releaseJoin = resolve))
  const a = await openAs(browser, ann, {
    path: `/rooms/${room.id}`,
    beforeLoad: (context) =>
      context.routeWebSocket(/\/socket\.io\//, (ws) => {
        const server = ws.connectToServer()
        server.onMessage((frame) => {
          // Socket.IO ack frames are "43<id>[…]"; hold back the one answering room:join.
          if (typeof frame === 'string' && /^43\d+\[\{"ok":true,"room":/.test(frame)) {
            void joinHeld.then(() => ws.send(frame))
          } else ws.send(frame)
        })
      }),
  })

  // The room was empty when ann's join read it. While the answer is held: two live messages, then
  // ann's own send is stored and acked.
  await postViaApi(ben, room.id, 'while ann waits 1')
  await postViaApi(ben, room.id, 'while ann waits 2')
  await composer(a.page).fill('sent by ann before the room loaded')
  await composer(a.page).press('Enter')
  await expect
    .poll(async () => {
      const res = await a.context.request.get(`/api/rooms/${room.id}/messages`)
      return (await res.json()).messages.length
    })
    .toBe(3)

  releaseJoin()
  const expected = ['while ann waits 1', 'while ann waits 2', 'sent by ann before the room loaded']
  await expect(messageItems(a.page)).toHaveCount(expected.length)
  expect(await messageItems(a.page).locator('.text').allTextContents()).toEqual(expected)
  expect(await shownSeqs(a.page)).toEqual([1, 2, 3])
  await expect(a.page.getByTestId('pending-message')).toHaveCount(0)
  await a.context.close()
})
