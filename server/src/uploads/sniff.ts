/**
 * The type of a file from its first bytes, never from its name or the type the client claims. Only the
 * raster images the browser shows are `image`; everything else (SVG and HTML included) is a file that
 * is only ever downloaded.
 */
export type Sniffed = { contentType: string; image: boolean }

const starts = (buf: Buffer, bytes: number[], at = 0) => bytes.every((b, i) => buf[at + i] === b)
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0))

export function sniff(buf: Buffer): Sniffed {
  if (starts(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { contentType: 'image/png', image: true }
  if (starts(buf, [0xff, 0xd8, 0xff])) return { contentType: 'image/jpeg', image: true }
  if (starts(buf, ascii('GIF87a')) || starts(buf, ascii('GIF89a'))) return { contentType: 'image/gif', image: true }
  if (starts(buf, ascii('RIFF')) && starts(buf, ascii('WEBP'), 8)) return { contentType: 'image/webp', image: true }
  if (starts(buf, ascii('%PDF-'))) return { contentType: 'application/pdf', image: false }
  if (starts(buf, [0x50, 0x4b, 0x03, 0x04]) || starts(buf, [0x50, 0x4b, 0x05, 0x06])) {
    return { contentType: 'application/zip', image: false }
  }
  return { contentType: 'application/octet-stream', image: false }
}
