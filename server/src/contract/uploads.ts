import { z } from 'zod'
import { ATTACHMENTS_CEILING, FILE_NAME_MAX } from './limits'
import { userText, ZId } from './text'

export { ATTACHMENTS_CEILING, FILE_NAME_MAX }

/**
 * `POST /api/rooms/:id/uploads?name=…`: the file's bytes are the raw request body (any
 * Content-Type but JSON; the type is sniffed from the bytes). The name is shown and offered back as
 * the download's name, made safe; it never decides how the file is served.
 *
 * @example POST /api/rooms/…/uploads?name=report.pdf  (body: the PDF)
 */
export const ZUploadQuery = z.object({ name: userText({ max: FILE_NAME_MAX }) })
export type TUploadQuery = z.input<typeof ZUploadQuery>

/** `POST /api/rooms/:id/uploads/links`: download links for attachments of the room's messages. */
export const ZLinksRequest = z.object({ ids: z.array(ZId).min(1).max(100) })
export type TLinksRequest = z.input<typeof ZLinksRequest>

/** What an attachment is: an image (PNG, JPEG, GIF or WebP by its bytes, shown re-encoded) or any other file. */
export type AttachmentKind = 'image' | 'file'

/**
 * One attachment of a message, as every reader of the message sees it (in MessageDto.attachments).
 * The bytes are fetched through a signed link (`LinkDto`), never from this.
 */
export type AttachmentDto = {
  id: string
  name: string
  /** Bytes of what a download gives (for an image: the re-encoded image). */
  size: number
  /** Sniffed from the bytes; `application/octet-stream` when not recognised. */
  contentType: string
  kind: AttachmentKind
  /** Upright dimensions, images only. */
  width: number | null
  height: number | null
}

/** What an upload answers: the id to send with the message (`attachments: [id]`). */
export type UploadDto = AttachmentDto

/**
 * Short-lived links to one attachment, bound to the viewer who asked: `url` (inline for images,
 * a download for anything else), `downloadUrl` (always a download) and `thumbUrl` (images).
 */
export type LinkDto = { id: string; url: string; downloadUrl: string; thumbUrl: string | null; expiresAt: string }

/** `GET /api/uploads/limits`: the limits in force. */
export type UploadLimitsDto = { maxBytes: number; maxPerMessage: number; maxPixels: number }
