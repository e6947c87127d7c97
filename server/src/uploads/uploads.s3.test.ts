// Uploads in an S3-compatible object store (issue 21): a real s3rver started here, two Parlor
// instances on it; and profile pictures (cropped square, public-but-unguessable, replaced cleanly).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import S3rver from 's3rver'
import sharp from 'sharp'
import { eventually, startServer, type TestServer } from '../../test/helpers'
import { photo, png } from '../../test/files'
import { createS3Storage } from './storage'
import { linksFor, postFiles } from '../../test/uploads'

const BUCKET = 'parlor-test'
let s3: S3rver
let dir: string
let endpoint: string

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parlor-s3-'))
  s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: BUCKET }] })
  const { port } = await s3.run()
  endpoint = `http://127.0.0.1:${port}`
})
after(async () => {
  await s3.close()
  rmSync(dir, { recursive: true, force: true })
})

const s3Env = () => ({
  STORAGE: 's3',
  S3_ENDPOINT: endpoint,
  S3_BUCKET: BUCKET,
  S3_ACCESS_KEY_ID: 'S3RVER',
  S3_SECRET_ACCESS_KEY: 'S3RVER',
})

describe('S3-compatible storage', () => {
  test('upload through one instance, download through another; deleting the message deletes the objects', async () => {
    const [a, b] = [await startServer(s3Env()), await startServer(s3Env())]
    try {
      const store = createS3Storage({
        endpoint,
        bucket: BUCKET,
        region: 'us-east-1',
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
      })
      const owner = await a.user()
      const room = await a.room({ by: owner })
      const { messageId, uploads } = await postFiles(a, owner, room.id, [['s3.png', await png(50, 10)]])
      const id = uploads[0].id
      assert.ok(await store.get(`uploads/${id}/file`), 'the file is in the bucket')
      assert.ok(await store.get(`uploads/${id}/thumb`), 'and its thumbnail')
      assert.equal(await a.prisma.storedObject.count({ where: { key: { startsWith: `uploads/${id}/` } } }), 0)
      const links = await linksFor(b, owner.token, room.id, [id])
      const res = await fetch(`${b.url}${links[0].url}`)
      assert.equal(res.status, 200)
      assert.equal((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).width, 50)

      const del = await b.api('DELETE', `/api/rooms/${room.id}/messages/${messageId}`, { token: owner.token })
      assert.equal(del.status, 200)
      await eventually(async () => (await store.get(`uploads/${id}/file`)) === null, 5000, 'object deleted')
      assert.equal(await store.get(`uploads/${id}/thumb`), null)
      assert.equal((await fetch(`${a.url}${links[0].url}`)).status, 404)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })
})

describe('profile pictures', () => {
  let server: TestServer
  before(async () => {
    server = await startServer()
  })
  after(() => server.stop())

  const putAvatar = (token: string, data: Buffer) =>
    fetch(`${server.url}/api/profile/avatar`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(data),
    })

  test('cropped to a square, shown with the profile and on messages, replaced and removed cleanly', async () => {
    const me = await server.user()
    const viewer = await server.user()
    const res = await putAvatar(me.token, await photo(300, 200))
    assert.equal(res.status, 200)
    const { avatarUrl } = (await res.json()) as { avatarUrl: string }
    assert.match(avatarUrl, /^\/api\/avatars\/[A-Za-z0-9_-]{22}$/)
    const image = await fetch(`${server.url}${avatarUrl}`)
    assert.equal(image.headers.get('content-type'), 'image/webp')
    assert.equal(image.headers.get('x-content-type-options'), 'nosniff')
    const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata()
    assert.deepEqual([meta.width, meta.height, meta.exif], [256, 256, undefined])

    const profile = await server.api('GET', `/api/profiles/${me.user.username}`, { token: viewer.token })
    assert.equal(profile.body.profile.avatarUrl, avatarUrl)
    const room = await server.room({ by: me })
    const sent = await server.api('POST', `/api/rooms/${room.id}/messages`, {
      token: me.token,
      body: { content: 'hi', clientMsgId: 'avatar-1' },
    })
    assert.equal(sent.body.message.author.avatarUrl, avatarUrl)

    const second = (await (await putAvatar(me.token, await png(10, 10))).json()) as { avatarUrl: string }
    assert.notEqual(second.avatarUrl, avatarUrl)
    assert.equal((await fetch(`${server.url}${avatarUrl}`)).status, 404, 'the old picture is gone')
    const removed = await server.api('DELETE', '/api/profile/avatar', { token: me.token })
    assert.equal(removed.status, 204)
    assert.equal((await fetch(`${server.url}${second.avatarUrl}`)).status, 404)
    assert.equal(
      (await server.api('GET', `/api/profiles/${me.user.username}`, { token: viewer.token })).body.profile.avatarUrl,
      null,
    )
  })

  test('not an image, or a bomb: refused', async () => {
    const me = await server.user()
    const notImage = await putAvatar(me.token, Buffer.from('<svg onload=alert(1)>'))
    assert.equal(notImage.status, 400)
    const { bombPng } = await import('../../test/files')
    const bomb = await putAvatar(me.token, bombPng())
    assert.equal(bomb.status, 413)
    assert.equal((await server.prisma.user.findUniqueOrThrow({ where: { id: me.user.id } })).avatarId, null)
  })
})
