import type { Request, RequestHandler, Response } from 'express'
import { Router } from 'express'
import { z } from 'zod'
import { ZRoomParams } from '../contract/rooms'
import { ZId } from '../contract/text'
import { ZLinksRequest, ZUploadQuery } from '../contract/uploads'
import { AppError } from '../lib/app-error'
import { parseInput } from '../http/validate'
import { VARIANTS } from './links'
import type { Download, Uploads } from './uploads.service'

const ZFileParams = z.object({ uploadId: ZId, variant: z.enum(VARIANTS as ['file', 'download', 'thumb']) })
const ZAvatarParams = z.object({ avatarId: z.string().regex(/^[A-Za-z0-9_-]{22}$/) })

/**
 * Reads a raw request body of at most `max` bytes. A declared length over it is refused before a byte
 * is read, and a body that grows past it is cut there: the answer is sent and the connection closed, so
 * nothing more is read and nothing was stored.
 */
function bodyReader(req: Request, res: Response, max: number, tooLarge: () => AppError): () => Promise<Buffer> {
  return async () => {
    if (req.readableEnded || req.body !== undefined) {
      // Express parsed it as JSON: files are sent as raw bytes.
      throw new AppError('invalid_input', {
        message: 'Send the file itself as the body (Content-Type: application/octet-stream).',
        fields: { body: 'must be the raw file' },
      })
    }
    const cut = () => {
      res.setHeader('Connection', 'close')
      res.once('finish', () => req.destroy())
      return tooLarge()
    }
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > max) throw cut()
    const chunks: Buffer[] = []
    let total = 0
    for await (const chunk of req as AsyncIterable<Buffer>) {
      total += chunk.length
      if (total > max) throw cut()
      chunks.push(chunk)
    }
    return Buffer.concat(chunks, total)
  }
}

function send(res: Response, { data, headers }: Download) {
  res.set(headers)
  res.setHeader('Content-Length', String(data.length))
  res.end(data)
}

/**
 * Uploads and downloads (issue 21): `POST /api/rooms/:id/uploads`, `POST /api/rooms/:id/uploads/links`,
 * `GET /api/uploads/limits`, `GET /api/files/:uploadId/:variant` (signed links), and profile pictures:
 * `PUT`/`DELETE /api/profile/avatar`, `GET /api/avatars/:avatarId`.
 */
export function uploadsRoutes({
  uploads,
  authenticate,
  requireUser,
}: {
  uploads: Uploads
  authenticate: RequestHandler
  requireUser: RequestHandler
}): Router {
  const router = Router()

  router.get('/uploads/limits', requireUser, (_req, res) => {
    res.json({ limits: uploads.limits() })
  })

  router.post('/rooms/:id/uploads', requireUser, async (req, res) => {
    const { id } = parseInput(ZRoomParams, req.params)
    const { name } = parseInput(ZUploadQuery, req.query)
    const read = bodyReader(req, res, uploads.maxBytes, uploads.tooLarge)
    res.status(201).json({ upload: await uploads.upload(req.viewer, id, name, read) })
  })

  router.post('/rooms/:id/uploads/links', authenticate, async (req, res) => {
    const { id } = parseInput(ZRoomParams, req.params)
    const { ids } = parseInput(ZLinksRequest, req.body)
    res.json({ links: await uploads.links(req.viewer, id, ids) })
  })

  // No bearer token here (an <img> cannot send one): the signed link names the viewer, and the room's
  // access rule is checked for that viewer. A malformed path answers like a random id.
  router.get('/files/:uploadId/:variant', async (req, res) => {
    const params = ZFileParams.safeParse(req.params)
    if (!params.success) throw new AppError('not_found')
    send(res, await uploads.download(params.data.uploadId, params.data.variant, req.query))
  })

  router.put('/profile/avatar', requireUser, async (req, res) => {
    const read = bodyReader(req, res, uploads.maxBytes, uploads.tooLarge)
    const avatarId = await uploads.setAvatar(req.viewer, read)
    res.json({ avatarUrl: `/api/avatars/${avatarId}` })
  })

  router.delete('/profile/avatar', requireUser, async (req, res) => {
    await uploads.clearAvatar(req.viewer)
    res.status(204).end()
  })

  router.get('/avatars/:avatarId', async (req, res) => {
    const params = ZAvatarParams.safeParse(req.params)
    if (!params.success) throw new AppError('not_found')
    send(res, await uploads.avatar(params.data.avatarId))
  })

  return router
}
