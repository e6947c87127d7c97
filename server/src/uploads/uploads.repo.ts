import type pg from 'pg'
import type { AttachmentDto } from '../contract/uploads'

/** Storage keys of one upload's bytes: the file itself and, for images, its thumbnail. */
export const fileKey = (uploadId: string) => `uploads/${uploadId}/file`
export const thumbKey = (uploadId: string) => `uploads/${uploadId}/thumb`
export const keysOf = (uploadIds: string[]) => uploadIds.flatMap((id) => [fileKey(id), thumbKey(id)])

/** An `Upload` row as read here: what every reader sees of it, and where it is and has. */
type UploadRow = AttachmentDto & { roomId: string | null; hasThumb: boolean }

export const toAttachmentDto = (row: UploadRow): AttachmentDto => ({
  id: row.id,
  name: row.name,
  size: row.size,
  contentType: row.contentType,
  kind: row.kind,
  width: row.width,
  height: row.height,
})

const COLUMNS = `u."id", u."roomId", u."name", u."size", u."contentType", u."kind", u."width", u."height", u."hasThumb"`

/**
 * Attaches uploads to a message being stored, inside the transaction that stores it: each id must be
 * the author's, of this room, and not attached yet (locked, so two sends cannot take one upload).
 * Returns the attachments in the order given, or null when any id fails that (nothing is changed).
 */
export async function claimUploads(
  tx: pg.PoolClient,
  { roomId, authorId, messageId, ids }: { roomId: string; authorId: string; messageId: string; ids: string[] },
): Promise<AttachmentDto[] | null> {
  const { rows } = await tx.query<UploadRow>(
    `SELECT ${COLUMNS} FROM "Upload" u
     WHERE u."id" = ANY($1::uuid[]) AND u."roomId" = $2 AND u."uploaderId" = $3 AND u."messageId" IS NULL
       AND u."attachedAt" IS NULL
     FOR UPDATE`,
    [ids, roomId, authorId],
  )
  if (rows.length !== ids.length) return null
  await tx.query(`UPDATE "Upload" SET "messageId" = $1, "attachedAt" = now() WHERE "id" = ANY($2::uuid[])`, [
    messageId,
    ids,
  ])
  const byId = new Map(rows.map((r) => [r.id, r]))
  return ids.map((id) => toAttachmentDto(byId.get(id) as UploadRow))
}

export function createUploadsRepo(pool: pg.Pool) {
  return {
    /** Records an upload before its bytes are stored: unattached, so nobody can read it yet. */
    async insert(row: Omit<UploadRow, 'id'> & { uploaderId: string }): Promise<UploadRow> {
      const { rows } = await pool.query<UploadRow>(
        `INSERT INTO "Upload" AS u ("roomId", "uploaderId", "name", "size", "contentType", "kind", "width", "height", "hasThumb")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
        [
          row.roomId,
          row.uploaderId,
          row.name,
          row.size,
          row.contentType,
          row.kind,
          row.width,
          row.height,
          row.hasThumb,
        ],
      )
      return rows[0]
    },

    async remove(uploadId: string): Promise<void> {
      await pool.query(`DELETE FROM "Upload" WHERE "id" = $1`, [uploadId])
    },

    /** An upload held by a message that is not deleted, with its room; null otherwise. */
    async readable(uploadId: string): Promise<UploadRow | null> {
      const { rows } = await pool.query<UploadRow>(
        `SELECT ${COLUMNS} FROM "Upload" u JOIN "Message" m ON m."id" = u."messageId"
         WHERE u."id" = $1 AND m."deletedAt" IS NULL AND m."roomId" = u."roomId"`,
        [uploadId],
      )
      return rows[0] ?? null
    },

    /** Of these ids, the uploads held by live messages of the room. */
    async inRoom(roomId: string, ids: string[]): Promise<UploadRow[]> {
      const { rows } = await pool.query<UploadRow>(
        `SELECT ${COLUMNS} FROM "Upload" u JOIN "Message" m ON m."id" = u."messageId"
         WHERE u."id" = ANY($1::uuid[]) AND u."roomId" = $2 AND m."roomId" = $2 AND m."deletedAt" IS NULL`,
        [ids, roomId],
      )
      return rows
    },

    /** Deletes the rows of a message's uploads (the message was deleted); returns their ids. */
    async removeOfMessage(messageId: string): Promise<string[]> {
      const { rows } = await pool.query<{ id: string }>(`DELETE FROM "Upload" WHERE "messageId" = $1 RETURNING "id"`, [
        messageId,
      ])
      return rows.map((r) => r.id)
    },

    /**
     * Deletes up to `limit` rows of uploads nobody can read any more: never attached and older than
     * the TTL, or whose message (or room) is gone or deleted. Returns their ids. Safe on every
     * instance at once: each row is deleted by one of them.
     */
    async sweep(ttlSeconds: number, limit: number): Promise<string[]> {
      const { rows } = await pool.query<{ id: string }>(
        `DELETE FROM "Upload" WHERE "id" IN (
           SELECT u."id" FROM "Upload" u LEFT JOIN "Message" m ON m."id" = u."messageId"
           WHERE (u."messageId" IS NULL AND (u."attachedAt" IS NOT NULL OR u."createdAt" < now() - make_interval(secs => $1)))
              OR m."deletedAt" IS NOT NULL
           LIMIT $2)
         RETURNING "id"`,
        [ttlSeconds, limit],
      )
      return rows.map((r) => r.id)
    },
  }
}

export type UploadsRepo = ReturnType<typeof createUploadsRepo>
