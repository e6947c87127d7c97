// Uploads (issue 21): storing, sniffing, thumbnails, limits, signed downloads and their headers, the
// room's access rule at every download, deletion and the sweep, two instances on one database.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import sharp from 'sharp'
import { clientMsgId, eventually, startServer, type TestServer } from '../../test/helpers'
import { linksFor, postFiles, uploadRaw } from '../../test/uploads'
import { bombPng, gifJsPolyglot, HTML_PAGE, PDF, png, rotatedJpegWithGps, SVG_WITH_SCRIPT } from '../../test/files'

let server: TestServer

async function get(base: string, path: string) {
  const res = await fetch(`${base}${path}`)
  return { status: res.status, headers: res.headers, data: Buffer.from(await res.arrayBuffer()) }
}

const RANDOM_ID = '7d1c3f0e-5b2a-4c9d-8e6f-1a2b3c4d5e6f'

before(async () => {
  server = await startServer()
})
after(() => server.stop())

describe('what is served inline and what is only downloaded', () => {
  test('SVG with a script, HTML, HTML renamed .png: octet-stream attachments, sandboxed, never sniffed', async () => {
    const owner = await server.user()
    const room = await server.room({ by: owner })
    const { uploads, links } = await postFiles(server, owner, room.id, [
      ['drawing.svg', SVG_WITH_SCRIPT],
      ['page.html', HTML_PAGE],
      ['cat.png', HTML_PAGE],
    ])
    assert.deepEqual(
      uploads.map((u) => [u.kind, u.contentType]),
      [
        ['file', 'application/octet-stream'],
        ['file', 'application/octet-stream'],
        ['file', 'application/octet-stream'],
      ],
    )
    for (const link of links) {
      assert.equal(link.thumbUrl, null)
      for (const url of [link.url, link.downloadUrl]) {
        const res = await get(server.url, url)
        assert.equal(res.status, 200)
        assert.equal(res.headers.get('content-type'), 'application/octet-stream')
        assert.match(res.headers.get('content-disposition') ?? '', /^attachment;/)
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
        assert.equal(res.headers.get('content-security-policy'), "sandbox; default-src 'none'")
        assert.match(res.headers.get('cache-control') ?? '', /^private/)
      }
    }
  })

  test('a GIF that is also a script is shown only as Parlor re-encoded it; its download is an attachment', async () => {
    const owner = await server.user()
    const room = await server.room({ by: owner })
    const polyglot = await gifJsPolyglot()
    const { uploads, links } = await postFiles(server, owner, room.id, [['funny.gif', polyglot]])
    assert.equal(uploads[0].kind, 'image')
    const shown = await get(server.url, links[0].url)
    assert.equal(shown.headers.get('content-type'), 'image/gif')
    assert.match(shown.headers.get('content-disposition') ?? '', /^inline;/)
    assert.equal(shown.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(shown.data.includes('alert('), false, 'the script bytes are not what is served')
    assert.equal(shown.data.subarray(0, 6).toString('latin1'), 'GIF89a')
    const downloaded = await get(server.url, links[0].downloadUrl)
    assert.match(downloaded.headers.get('content-disposition') ?? '', /^attachment;/)
    assert.equal(downloaded.data.includes('alert('), false)
  })

  test('PDF and ZIP keep their type, as attachments; a PNG is shown inline with a thumbnail', async () => {
    const owner = await server.user()
    const room = await server.room({ by: owner })
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(18)])
    const { uploads, links } = await postFiles(server, owner, room.id, [
      ['report.pdf', PDF],
      ['bundle.zip', zip],
      ['red.png', await png(64, 48)],
    ])
    assert.deepEqual(
      uploads.map((u) => [u.kind, u.contentType, u.width, u.height]),
      [
        ['file', 'application/pdf', null, null],
        ['file', 'application/zip', null, null],
        ['image', 'image/png', 64, 48],
      ],
    )
    const pdf = await get(server.url, links[0].url)
    assert.equal(pdf.headers.get('content-type'), 'application/pdf')
    assert.match(pdf.headers.get('content-disposition') ?? '', /^attachment; filename="report.pdf"/)
    assert.deepEqual(pdf.data, PDF)
    const image = await get(server.url, links[2].url)
    assert.equal(image.headers.get('content-type'), 'image/png')
    assert.match(image.headers.get('content-disposition') ?? '', /^inline;/)
    const thumb = await get(server.url, links[2].thumbUrl as string)
    assert.equal(thumb.headers.get('content-type'), 'image/webp')
    assert.equal((await sharp(thumb.data).metadata()).format, 'webp')
  })
})

describe('images', () => {
  test('an EXIF-rotated JPEG gives an upright thumbnail and image, without GPS or any EXIF', async () => {
    const owner = await server.user()
    const room = await server.room({ by: owner })
    const original = await rotatedJpegWithGps()
    assert.equal((await sharp(original).metadata()).orientation, 6)
    const { uploads, links } = await postFiles(server, owner, room.id, [['holiday.jpg', original]])
    assert.deepEqual([uploads[0].width, uploads[0].height], [40, 80], 'portrait once upright')
    for (const url of [links[0].url, links[0].thumbUrl as string, links[0].downloadUrl]) {
      const { data } = await get(server.url, url)
      const meta = await sharp(data).metadata()
      assert.deepEqual([meta.width, meta.height], [40, 80])
      assert.equal(meta.exif, undefined, 'no EXIF (so no GPS) left')
      assert.ok(meta.orientation === undefined || meta.orientation === 1)
      const { data: px } = await sharp(data).raw().toBuffer({ resolveWithObject: true })
      const at = (x: number, y: number) => [...px.subarray((y * 40 + x) * 3, (y * 40 + x) * 3 + 3)]
      const [r1, , b1] = at(20, 10)
      const [r2, , b2] = at(20, 70)
      assert.ok(r1 > 200 && b1 < 60, `top is red (${at(20, 10)})`)
      assert.ok(b2 > 200 && r2 < 60, `bottom is blue (${at(20, 70)})`)
    }
  })

  test('a 20 000 × 20 000 PNG is refused from its header: nothing stored, memory bounded', async () => {
    const owner = await server.user()
    const room = await server.room({ by: owner })
    const bomb = bombPng()
    assert.ok(bomb.length < 100_000)
    const rssBefore = process.memoryUsage().rss
    const res = await uploadRaw(server.url, owner.token, room.id, 'bomb.png', bomb)
    assert.equal(res.status, 413)
    assert.equal(res.body.error.code, 'payload_too_large')
    assert.match(res.body.error.message, /megapixels/)
    // Decoding it would take 400 MB at one byte a pixel; refusing it from the header takes next to nothing.
    assert.ok(process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024, 'the image was never decoded')
    assert.equal(await server.prisma.upload.count({ where: { uploaderId: owner.user.id } }), 0)
  })
})

describe('limits', () => {
  let small: TestServer
  before(async () => {
    small = await startServer({ UPLOAD_MAX_BYTES: '4096', UPLOAD_MAX_PER_MESSAGE: '2' })
  })
  after(() => small.stop())

  test('a file over the limit is refused with a clear error, declared or streamed, and nothing is left', async () => {
    const owner = await small.user()
    const room = await small.room({ by: owner })
    const declared = await uploadRaw(small.url, owner.token, room.id, 'big.bin', Buffer.alloc(5000, 1))
    assert.equal(declared.status, 413)
    assert.equal(declared.body.error.message, 'Files can be at most 4 kB.')
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new Uint8Array(1000))
        c.close()
      },
    })
    const streamed = await uploadRaw(small.url, owner.token, room.id, 'big.bin', stream as never)
    assert.equal(streamed.status, 413)
    assert.equal(await small.prisma.upload.count({ where: { uploaderId: owner.user.id } }), 0)
    const limits = await small.api('GET', '/api/uploads/limits', { token: owner.token })
    assert.deepEqual(limits.body.limits, { maxBytes: 4096, maxPerMessage: 2, maxPixels: 40_000_000 })
  })

  test('more attachments than allowed, someone else’s upload, one sent twice: refused', async () => {
    const [owner, other] = [await small.user(), await small.user()]
    const room = await small.room({ by: owner })
    const ids: string[] = []
    for (let i = 0; i < 3; i++)
      ids.push((await uploadRaw(small.url, owner.token, room.id, `f${i}.txt`, Buffer.from('x'))).body.upload.id)
    const send = (token: string, attachments: string[]) =>
      small.api('POST', `/api/rooms/${room.id}/messages`, {
        token,
        body: { content: 'x', clientMsgId: clientMsgId(), attachments },
      })
    assert.equal((await send(owner.token, ids)).body.error.fields.attachments, 'must be at most 2')
    assert.equal((await send(other.token, [ids[0]])).status, 400, 'not your upload')
    assert.equal((await send(owner.token, [ids[0]])).status, 201)
    assert.equal((await send(owner.token, [ids[0]])).status, 400, 'already sent')
    const elsewhere = await small.room({ by: owner })
    const res = await small.api('POST', `/api/rooms/${elsewhere.id}/messages`, {
      token: owner.token,
      body: { content: 'x', clientMsgId: clientMsgId(), attachments: [ids[1]] },
    })
    assert.equal(res.status, 400, 'an upload of another room')
  })
})

describe('replies carry files too', () => {
  test('a reply in a thread with files: stored, in the thread and readable; a refused one stores no reply', async () => {
    const [owner, other] = [await server.user(), await server.user()]
    const room = await server.room({ by: owner, private: true, with: [other] })
    const root = await server.api('POST', `/api/rooms/${room.id}/messages`, {
      token: owner.token,
      body: { content: 'the slides?', clientMsgId: clientMsgId() },
    })
    const pdf = (await uploadRaw(server.url, other.token, room.id, 'slides.pdf', PDF)).body.upload
    const reply = await server.api('POST', `/api/rooms/${room.id}/messages`, {
      token: other.token,
      body: { content: 'here', clientMsgId: clientMsgId(), replyTo: root.body.message.id, attachments: [pdf.id] },
    })
    assert.equal(reply.status, 201, JSON.stringify(reply.body))
    assert.deepEqual(reply.body.message.attachments, [pdf])
    assert.equal(reply.body.message.threadRootId, root.body.message.id)
    const thread = await server.api('GET', `/api/rooms/${room.id}/messages/${root.body.message.id}/thread`, {
      token: owner.token,
    })
    assert.deepEqual(
      thread.body.replies.map((r: { attachments: unknown }) => r.attachments),
      [[pdf]],
    )
    assert.equal(thread.body.root.replyCount, 1)
    const [link] = await linksFor(server, owner.token, room.id, [pdf.id])
    assert.equal((await get(server.url, link.downloadUrl)).status, 200)

    // Someone else's upload on a reply: refused, and neither the reply nor the root's count changed.
    const mine = (await uploadRaw(server.url, owner.token, room.id, 'mine.txt', Buffer.from('x'))).body.upload
    const refused = await server.api('POST', `/api/rooms/${room.id}/messages`, {
      token: other.token,
      body: { content: 'not mine', clientMsgId: clientMsgId(), replyTo: root.body.message.id, attachments: [mine.id] },
    })
    assert.equal(refused.status, 400)
    assert.equal(refused.body.error.fields.attachments, 'must be your own unsent uploads to this room')
    assert.equal(await server.prisma.message.count({ where: { roomId: room.id, content: 'not mine' } }), 0)
    const after = await server.api('GET', `/api/rooms/${room.id}/messages/${root.body.message.id}/thread`, {
      token: owner.token,
    })
    assert.equal(after.body.root.replyCount, 1)
  })
})

describe('a message with files reads like any sent message', () => {
  test('its author is moved past it and everything before (issue 18), the others count it', async () => {
    const [alice, bob] = [await server.user(), await server.user()]
    const room = await server.room({ by: alice, private: true, with: [bob] })
    for (const content of ['one', 'two'])
      await server.api('POST', `/api/rooms/${room.id}/messages`, {
        token: bob.token,
        body: { content, clientMsgId: clientMsgId() },
      })
    const badge = async (who: typeof alice) =>
      ((await server.api('GET', '/api/unread', { token: who.token })).body.rooms as any[]).find(
        (r) => r.roomId === room.id,
      )
    assert.equal((await badge(alice))?.unread, 2)
    const { messageId } = await postFiles(server, alice, room.id, [['notes.pdf', PDF]])
    const sent = await server.prisma.message.findUniqueOrThrow({ where: { id: messageId } })
    await eventually(async () => (await badge(alice))?.lastReadSeq === sent.seq)
    assert.equal((await badge(alice))?.unread, 0)
    await eventually(async () => (await badge(bob))?.unread === 1)
  })
})

describe('hostile file names', () => {
  test('quotes, ../ and non-Latin letters give a safe Content-Disposition; CR LF is refused', async () => {
    const owner = await server.user()
    const room = await server.room({ by: owner })
    const names = ['say "hi".txt', '../../etc/passwd', '..\\..\\boot.ini', 'отчёт 報告 ✓.txt']
    const { links } = await postFiles(
      server,
      owner,
      room.id,
      names.map((n): [string, Buffer] => [n, Buffer.from('data')]),
    )
    const dispositions = await Promise.all(
      links.map(async (l) => (await get(server.url, l.url)).headers.get('content-disposition') as string),
    )
    for (const d of dispositions) {
      const fallback = /filename="([^"]*)"/.exec(d)?.[1] ?? ''
      assert.ok(!/[/\\"\r\n]/.test(fallback), d)
      assert.match(d, /^attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9%._~!$&+,;=@`^{}|#-]+$/)
    }
    const star = (d: string) => decodeURIComponent(d.split("filename*=UTF-8''")[1])
    assert.deepEqual(dispositions.map(star), ['say _hi_.txt', 'passwd', 'boot.ini', 'отчёт 報告 ✓.txt'])
    const crlf = await uploadRaw(server.url, owner.token, room.id, 'evil\r\nSet-Cookie: a=b.txt', Buffer.from('x'))
    assert.equal(crlf.status, 400)
    assert.equal(crlf.body.error.code, 'invalid_input')
  })
})

describe('access at every download', () => {
  test('a removed participant, an outsider and everyone after deletion get the not-found of a random id', async () => {
    const [owner, member, outsider] = [await server.user(), await server.user(), await server.user()]
    const room = await server.room({ by: owner, private: true, with: [member] })
    const { messageId, uploads, links: ownerLinks } = await postFiles(server, owner, room.id, [['p.png', await png()]])
    const memberLinks = await linksFor(server, member.token, room.id, [uploads[0].id])
    assert.equal((await get(server.url, memberLinks[0].url)).status, 200)
    const random = await get(server.url, `/api/files/${RANDOM_ID}/file?v=u.${member.user.id}&e=9999999999&s=x`)
    assert.equal(random.status, 404)

    const outsiderAsk = await server.api('POST', `/api/rooms/${room.id}/uploads/links`, {
      token: outsider.token,
      body: { ids: [uploads[0].id] },
    })
    assert.equal(outsiderAsk.status, 404)
    // A member's link, handed to an outsider, proves only who asked: still the member's access.
    const forgedFor = memberLinks[0].url.replace(member.user.id, outsider.user.id)
    assert.deepEqual((await get(server.url, forgedFor)).data, random.data)

    const removed = await server.api('DELETE', `/api/rooms/${room.id}/participants/${member.user.username}`, {
      token: owner.token,
    })
    assert.equal(removed.status, 204)
    for (const url of [memberLinks[0].url, memberLinks[0].thumbUrl as string]) {
      const res = await get(server.url, url)
      assert.equal(res.status, 404)
      assert.deepEqual(res.data, random.data, 'exactly the answer to a random id')
    }
    assert.equal((await get(server.url, ownerLinks[0].url)).status, 200)

    const del = await server.api('DELETE', `/api/rooms/${room.id}/messages/${messageId}`, { token: owner.token })
    assert.equal(del.status, 200)
    assert.deepEqual(del.body.message.attachments, [])
    const gone = await get(server.url, ownerLinks[0].url)
    assert.equal(gone.status, 404)
    assert.deepEqual(gone.data, random.data)
    await eventually(async () => (await server.prisma.upload.count({ where: { id: uploads[0].id } })) === 0)
    await eventually(
      async () =>
        (await server.prisma.storedObject.count({ where: { key: { startsWith: `uploads/${uploads[0].id}/` } } })) === 0,
    )
  })

  test('an unattached upload is readable by nobody, and is swept after its time', async () => {
    const swept = await startServer({ UPLOAD_UNATTACHED_TTL_SECONDS: '1', UPLOAD_SWEEP_SECONDS: '1' })
    try {
      const owner = await swept.user()
      const room = await swept.room({ by: owner })
      const up = await uploadRaw(swept.url, owner.token, room.id, 'draft.txt', Buffer.from('draft'))
      assert.equal(up.status, 201)
      assert.deepEqual(await linksFor(swept, owner.token, room.id, [up.body.upload.id]), [])
      await eventually(
        async () => (await swept.prisma.upload.count({ where: { id: up.body.upload.id } })) === 0,
        10_000,
      )
      assert.equal(
        await swept.prisma.storedObject.count({ where: { key: { startsWith: `uploads/${up.body.upload.id}/` } } }),
        0,
      )
    } finally {
      await swept.stop()
    }
  })

  test('a tampered or expired link is a random id', async () => {
    const owner = await server.user()
    const room = await server.room({ by: owner })
    const { links } = await postFiles(server, owner, room.id, [['a.txt', Buffer.from('a')]])
    const random = await get(server.url, `/api/files/${RANDOM_ID}/file`)
    const url = new URL(links[0].url, server.url)
    for (const change of [
      (u: URL) => u.searchParams.set('e', String(Number(u.searchParams.get('e')) + 60)),
      (u: URL) => u.searchParams.set('e', '1000'),
      (u: URL) => u.searchParams.set('s', `${u.searchParams.get('s')}x`),
      (u: URL) => (u.pathname = u.pathname.replace(/\/file$/, '/thumb')),
      (u: URL) => u.searchParams.delete('s'),
    ]) {
      const copy = new URL(url)
      change(copy)
      const res = await get(server.url, copy.pathname + copy.search)
      assert.equal(res.status, 404, copy.toString())
      assert.deepEqual(res.data, random.data)
    }
  })
})

describe('two instances share the files', () => {
  test('uploaded through one instance, downloaded through another (database storage)', async () => {
    const other = await startServer()
    try {
      const owner = await server.user()
      const room = await server.room({ by: owner })
      const data = await png(30, 20, '#123456')
      const { uploads } = await postFiles(server, owner, room.id, [['shared.png', data]])
      const links = await linksFor(other, owner.token, room.id, [uploads[0].id])
      const res = await get(other.url, links[0].url)
      assert.equal(res.status, 200)
      assert.deepEqual([(await sharp(res.data).metadata()).width, (await sharp(res.data).metadata()).height], [30, 20])
    } finally {
      await other.stop()
    }
  })
})
