// The image pipeline without services (issue 21): the decode gate, the header check, what is not an image.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import sharp from 'sharp'
import { bombPng, png } from '../../test/files'
import { AppError } from '../lib/app-error'
import { createImages } from './images'
import { contentDisposition, safeFileName } from './filename'
import { sniff } from './sniff'

test('at most `concurrency` images are decoded at once; the rest wait in line', async () => {
  const images = createImages({ maxPixels: 10_000_000, concurrency: 1, cpuShare: 0.5 })
  const data = await png(400, 300)
  const seen: number[] = []
  const jobs = [1, 2, 3].map(() => images.process(data, 'image/png'))
  assert.deepEqual(images.load, { running: 1, waiting: 2 })
  const timer = setInterval(() => seen.push(images.load.running), 1)
  const results = await Promise.all(jobs)
  clearInterval(timer)
  assert.ok(
    seen.every((n) => n <= 1),
    'never two at once',
  )
  for (const r of results) assert.deepEqual([r?.width, r?.height, r?.contentType], [400, 300, 'image/png'])
  assert.equal((await sharp(results[0]?.thumb).metadata()).width, 360)
})

test('an image over the pixel limit is refused from its header; bytes that do not decode are no image', async () => {
  const images = createImages({ maxPixels: 40_000_000, concurrency: 1 })
  await assert.rejects(
    images.process(bombPng(), 'image/png'),
    (err) => err instanceof AppError && err.code === 'payload_too_large',
  )
  const truncated = (await png(50, 50)).subarray(0, 40)
  assert.equal(await images.process(truncated, 'image/png'), null)
  await assert.rejects(
    images.avatar(Buffer.from('<svg/>')),
    (err) => err instanceof AppError && err.code === 'invalid_input',
  )
})

test('types come from the bytes only', async () => {
  assert.deepEqual(sniff(await png()), { contentType: 'image/png', image: true })
  assert.deepEqual(sniff(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), {
    contentType: 'application/octet-stream',
    image: false,
  })
  assert.equal(sniff(Buffer.from('%PDF-1.7')).contentType, 'application/pdf')
  assert.equal(sniff(Buffer.from('GIF89a')).contentType, 'image/gif')
  assert.equal(sniff(Buffer.from('RIFF\0\0\0\0WEBPVP8 ')).contentType, 'image/webp')
})

test('file names in headers: no path, no quotes, no controls; the real name in filename*', () => {
  assert.equal(safeFileName('../../etc/passwd'), 'passwd')
  assert.equal(safeFileName('C:\\Users\\x\\a.txt'), 'a.txt')
  assert.equal(safeFileName('..'), 'file')
  assert.equal(safeFileName('.htaccess'), 'htaccess')
  assert.equal(
    contentDisposition('attachment', 'a "b"\r\n.txt'),
    `attachment; filename="a _b___.txt"; filename*=UTF-8''a%20_b___.txt`,
  )
  assert.equal(
    contentDisposition('inline', 'café 報告.png'),
    `inline; filename="cafe_ __.png"; filename*=UTF-8''caf%C3%A9%20%E5%A0%B1%E5%91%8A.png`,
  )
})
