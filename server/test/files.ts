// Files the upload tests send (issue 21), made here rather than committed: real images from sharp, a
// decompression bomb, hostile documents. Shared by the server suites, the e2e specs and the bench.
import { deflateSync } from 'node:zlib'
import sharp from 'sharp'

/** A small PNG, `width` × `height`, one colour. */
export const png = (width = 64, height = 48, background = '#d03030') =>
  sharp({ create: { width, height, channels: 3, background } })
    .png()
    .toBuffer()

/** A larger JPEG with some texture (costs real decoding work): for the bench and the e2e dialog. */
export async function photo(width = 1600, height = 1200): Promise<Buffer> {
  const noise = Buffer.alloc(width * height * 3)
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + (i >> 9) * 104729) & 0xff
  return sharp(noise, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer()
}

/**
 * A landscape JPEG (left half red, right half blue) whose EXIF says "rotate 90° clockwise" and which
 * carries GPS coordinates: shown upright it is portrait, red on top.
 */
export async function rotatedJpegWithGps(): Promise<Buffer> {
  const left = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#ff0000' } })
    .png()
    .toBuffer()
  return sharp({ create: { width: 80, height: 40, channels: 3, background: '#0000ff' } })
    .composite([{ input: left, left: 0, top: 0 }])
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExifMerge({
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '48/1 51/1 2400/100',
        GPSLongitudeRef: 'E',
        GPSLongitude: '2/1 21/1 0/1',
      },
    })
    .toBuffer()
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'ascii')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'ascii'), data])), 0)
  return Buffer.concat([head, data, crc])
}

function crc32(buf: Buffer): number {
  let c = ~0
  for (const byte of buf) {
    c ^= byte
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1
  }
  return ~c >>> 0
}

/**
 * A decompression bomb: a valid 1-bit PNG of `side` × `side` pixels (20 000² = 400 megapixels, about
 * 60 kB on the wire, 400 MB and more once decoded).
 */
export function bombPng(side = 20_000): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(side, 0)
  ihdr.writeUInt32BE(side, 4)
  ihdr[8] = 1 // bit depth
  ihdr[9] = 0 // greyscale
  const rows = Buffer.alloc((Math.ceil(side / 8) + 1) * side) // filter byte 0 and zero pixels, every row
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** An SVG that runs a script when shown inline. */
export const SVG_WITH_SCRIPT = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.domain)</script></svg>',
)
/** An HTML page that runs a script. */
export const HTML_PAGE = Buffer.from('<!doctype html><html><body><script>alert(document.domain)</script></body></html>')

/**
 * A GIF that is also JavaScript: its width bytes open a comment (`GIF89a/*`), its end closes it and
 * runs code after the GIF's trailer. A valid image: decoders ignore what follows the trailer.
 */
export async function gifJsPolyglot(): Promise<Buffer> {
  const gif = await sharp({ create: { width: 0x2a2f, height: 1, channels: 3, background: '#00ff00' } })
    .gif()
    .toBuffer()
  return Buffer.concat([gif, Buffer.from('*/=1;alert(document.domain);//')])
}

/** A minimal valid PDF. */
export const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj ' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
)
