import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Viewer } from '../contract/events'

/** What a link may fetch: the file (inline if an image), the file as a download, or the thumbnail. */
/** Who a link was made for: a user or a guest, by id. */
export type LinkViewer = { kind: 'user' | 'guest'; id: string }

export type Variant = 'file' | 'download' | 'thumb'
export const VARIANTS: readonly Variant[] = ['file', 'download', 'thumb']

/**
 * Signed download links. `<img>` cannot send the bearer token and a token in a URL would leak into
 * logs and history, so a link names one upload, one variant and one viewer, expires in minutes, and is
 * signed with a key derived from the JWT secret (never the token itself). A link proves only who asked:
 * every download checks the room's access rule again for that viewer.
 */
export function createLinks({ secret, ttlSeconds }: { secret: string; ttlSeconds: number }) {
  const key = createHmac('sha256', secret).update('parlor file links v1').digest()
  const mac = (text: string) => createHmac('sha256', key).update(text).digest('base64url')
  const subject = (viewer: Viewer) => `${viewer.kind === 'user' ? 'u' : 'g'}.${viewer.id}`
  const payload = (uploadId: string, variant: Variant, who: string, expires: number) =>
    `${uploadId}\n${variant}\n${who}\n${expires}`

  return {
    ttlSeconds,
    /** `/api/files/<id>/<variant>?v=…&e=…&s=…` for this viewer, and when it stops working. */
    sign(uploadId: string, variant: Variant, viewer: Viewer, now = Date.now()): { url: string; expiresAt: Date } {
      const expires = Math.floor(now / 1000) + ttlSeconds
      const who = subject(viewer)
      const sig = mac(payload(uploadId, variant, who, expires))
      return {
        url: `/api/files/${uploadId}/${variant}?v=${encodeURIComponent(who)}&e=${expires}&s=${sig}`,
        expiresAt: new Date(expires * 1000),
      }
    },
    /** The viewer a link was made for, or null when it is forged, altered or expired. */
    verify(uploadId: string, variant: Variant, query: { v?: unknown; e?: unknown; s?: unknown }): LinkViewer | null {
      const { v, e, s } = query
      if (typeof v !== 'string' || typeof e !== 'string' || typeof s !== 'string') return null
      const expires = Number(e)
      if (!Number.isInteger(expires) || expires * 1000 < Date.now()) return null
      const match = /^([ug])\.([0-9a-f-]{36}|anonymous)$/.exec(v)
      if (!match) return null
      const expected = Buffer.from(mac(payload(uploadId, variant, v, expires)))
      const given = Buffer.from(s)
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
      return match[1] === 'u' ? { kind: 'user', id: match[2] } : { kind: 'guest', id: match[2] }
    },
  }
}

export type Links = ReturnType<typeof createLinks>
