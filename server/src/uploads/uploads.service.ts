import { randomBytes } from 'node:crypto'
import type { PrismaClient } from '@prisma/client'
import type { Viewer } from '../contract/events'
import type { LinkDto, UploadDto, UploadLimitsDto } from '../contract/uploads'
import { AppError } from '../lib/app-error'
import type { Logger } from '../lib/logger'
import type { Limits } from '../limits/limits'
import { requireRoom } from '../rooms/rooms.access'
import { contentDisposition } from './filename'
import type { Images } from './images'
import type { Links, Variant } from './links'
import { sniff } from './sniff'
import type { Storage } from './storage'
import { createUploadsRepo, fileKey, keysOf, thumbKey, toAttachmentDto } from './uploads.repo'
import type pg from 'pg'

export type Uploads = ReturnType<typeof createUploadsService>

/** What a download sends: the bytes and the headers that make them safe to send. */
export type Download = { data: Buffer; headers: Record<string, string> }

/** Headers of every file Parlor serves: never sniffed, never scripted, never cached by shared caches. */
export const FILE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "sandbox; default-src 'none'",
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const

const avatarKey = (avatarId: string) => `avatars/${avatarId}`
const USER_NONE = { username: '', email: '' }

/**
 * Uploads (issue 21): store a file first (an id, unattached and unreadable), then send the message
 * with `attachments: [id]` (messages.service claims it in the message's own transaction). A file is
 * readable only while a live message holds it, by whoever may read that message's room (checked with
 * `requireRoom` at every link and every download); deleting the message deletes the file.
 */
export function createUploadsService({
  prisma,
  pool,
  storage,
  images,
  links,
  limits,
  log,
  maxBytes,
  maxPerMessage,
  maxPixels,
  unattachedTtlSeconds,
  sweepSeconds,
  avatarChanged,
}: {
  prisma: PrismaClient
  pool: pg.Pool
  storage: Storage
  images: Images
  links: Links
  limits: Limits
  log: Logger
  maxBytes: number
  maxPerMessage: number
  maxPixels: number
  unattachedTtlSeconds: number
  sweepSeconds: number
  /** Records the new picture id (or none) of a user and announces the profile; returns the previous id. */
  avatarChanged: (userId: string, avatarId: string | null) => Promise<string | null>
}) {
  const repo = createUploadsRepo(pool)
  let timer: NodeJS.Timeout | null = null

  const tooLarge = () =>
    new AppError('payload_too_large', { message: `Files can be at most ${formatBytes(maxBytes)}.` })

  async function deleteKeys(keys: string[]) {
    await storage.delete(keys).catch((err: unknown) => log.warn({ err, keys: keys.length }, 'uploads: delete failed'))
  }

  async function sweep(): Promise<number> {
    let total = 0
    for (;;) {
      const ids = await repo.sweep(unattachedTtlSeconds, 100)
      if (ids.length === 0) return total
      await deleteKeys(keysOf(ids))
      total += ids.length
    }
  }

  return {
    limits(): UploadLimitsDto {
      return { maxBytes, maxPerMessage, maxPixels }
    },

    /** Refuses a declared length over the limit before a byte is read (the body's length is checked as it streams too). */
    maxBytes,
    tooLarge,

    /**
     * Stores one file for a message of the room the viewer may post in. `read` gives the body, refusing
     * it past `maxBytes` as it streams in; it is called only after the access and rate checks. Nothing
     * is stored unless the whole file arrived and was processed.
     */
    async upload(viewer: Viewer, roomId: string, name: string, read: () => Promise<Buffer>): Promise<UploadDto> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      await requireRoom(prisma, viewer, roomId, 'post')
      await limits.consume('upload', viewer.id)
      const body = await read()
      if (body.length === 0)
        throw new AppError('invalid_input', { message: 'The file is empty.', fields: { body: 'is empty' } })
      const sniffed = sniff(body)
      const image = sniffed.image ? await images.process(body, sniffed.contentType) : null
      const data = image ? image.image : body
      // A file that claims to be an image but does not decode is kept as an ordinary download.
      const contentType = image ? image.contentType : sniffed.image ? 'application/octet-stream' : sniffed.contentType
      const row = await repo.insert({
        roomId,
        uploaderId: viewer.id,
        name,
        size: data.length,
        contentType,
        kind: image ? 'image' : 'file',
        width: image?.width ?? null,
        height: image?.height ?? null,
        hasThumb: image !== null,
      })
      try {
        await storage.put(fileKey(row.id), data, contentType)
        if (image) await storage.put(thumbKey(row.id), image.thumb, 'image/webp')
      } catch (err) {
        await repo.remove(row.id)
        await deleteKeys(keysOf([row.id]))
        throw err
      }
      return toAttachmentDto(row)
    },

    /** Signed links for the attachments of the room's live messages, for this viewer; other ids are left out. */
    async links(viewer: Viewer, roomId: string, ids: string[]): Promise<LinkDto[]> {
      await requireRoom(prisma, viewer, roomId, 'read')
      const rows = await repo.inRoom(roomId, ids)
      return rows.map((row) => {
        const file = links.sign(row.id, 'file', viewer)
        return {
          id: row.id,
          url: file.url,
          downloadUrl: links.sign(row.id, 'download', viewer).url,
          thumbUrl: row.hasThumb ? links.sign(row.id, 'thumb', viewer).url : null,
          expiresAt: file.expiresAt.toISOString(),
        }
      })
    },

    /**
     * One download through a signed link. A forged or expired link, a file whose message was deleted,
     * and a viewer who cannot read the room (any more) all get the not_found of a random id. Raster
     * images (always Parlor's own re-encoding) are shown inline; everything else is an attachment.
     */
    async download(uploadId: string, variant: Variant, query: Record<string, unknown>): Promise<Download> {
      const who = links.verify(uploadId, variant, query)
      if (!who) throw new AppError('not_found')
      const row = await repo.readable(uploadId)
      if (!row || row.roomId === null) throw new AppError('not_found')
      const viewer: Viewer =
        who.kind === 'user' ? { kind: 'user', id: who.id, ...USER_NONE } : { kind: 'guest', id: who.id }
      await requireRoom(prisma, viewer, row.roomId, 'read')
      if (variant === 'thumb' && !row.hasThumb) throw new AppError('not_found')
      const data = await storage.get(variant === 'thumb' ? thumbKey(row.id) : fileKey(row.id))
      if (!data) throw new AppError('not_found')
      const inline = row.kind === 'image' && variant !== 'download'
      const name = variant === 'thumb' ? `${row.name}.webp` : row.name
      return {
        data,
        headers: {
          ...FILE_HEADERS,
          'Content-Type':
            variant === 'thumb' ? 'image/webp' : row.kind === 'image' ? row.contentType : safeType(row.contentType),
          'Content-Disposition': contentDisposition(inline ? 'inline' : 'attachment', name),
          'Cache-Control': `private, max-age=${links.ttlSeconds}`,
        },
      }
    },

    /** A message was deleted: its files go now (the sweeper catches any this misses). Never throws. */
    async messageDeleted(messageId: string): Promise<void> {
      try {
        const ids = await repo.removeOfMessage(messageId)
        if (ids.length > 0) await deleteKeys(keysOf(ids))
      } catch (err) {
        log.warn({ err, messageId }, 'uploads: files of a deleted message not removed yet')
      }
    },

    sweep,

    /** Starts the periodic sweep of unattached and orphaned uploads. */
    start() {
      const run = () => sweep().catch((err: unknown) => log.warn({ err }, 'uploads: sweep failed'))
      timer = setInterval(run, sweepSeconds * 1000)
      timer.unref()
      void run()
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = null
    },

    /** Your profile picture (issue 21): cropped square, stored under a new random id; the old one is deleted. */
    async setAvatar(viewer: Viewer, read: () => Promise<Buffer>): Promise<string> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      await limits.consume('upload', viewer.id)
      const body = await read()
      if (!sniff(body).image) {
        throw new AppError('invalid_input', {
          message: 'That is not a PNG, JPEG, GIF or WebP image.',
          fields: { body: 'is not an image' },
        })
      }
      const picture = await images.avatar(body)
      const avatarId = randomBytes(16).toString('base64url')
      await storage.put(avatarKey(avatarId), picture, 'image/webp')
      const previous = await avatarChanged(viewer.id, avatarId).catch(async (err: unknown) => {
        await deleteKeys([avatarKey(avatarId)])
        throw err
      })
      if (previous) await deleteKeys([avatarKey(previous)])
      return avatarId
    },

    async clearAvatar(viewer: Viewer): Promise<void> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      const previous = await avatarChanged(viewer.id, null)
      if (previous) await deleteKeys([avatarKey(previous)])
    },

    /**
     * A profile picture by its id: public to whoever knows the id (128 random bits, new at every
     * upload, shown to signed-in users with the profile), like the profile itself.
     */
    async avatar(avatarId: string): Promise<Download> {
      const owner = await prisma.user.findUnique({ where: { avatarId }, select: { id: true } })
      const data = owner ? await storage.get(avatarKey(avatarId)) : null
      if (!data) throw new AppError('not_found')
      return {
        data,
        headers: {
          ...FILE_HEADERS,
          'Content-Type': 'image/webp',
          'Content-Disposition': contentDisposition('inline', 'avatar.webp'),
          // The id changes with the picture, so a cached copy is never stale.
          'Cache-Control': 'private, max-age=31536000, immutable',
        },
      }
    },
  }
}

/** Only types that no browser renders as a document are sent as themselves. */
function safeType(contentType: string): string {
  return contentType === 'application/pdf' || contentType === 'application/zip'
    ? contentType
    : 'application/octet-stream'
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`
  if (n >= 1024) return `${Math.round(n / 1024)} kB`
  return `${n} bytes`
}
