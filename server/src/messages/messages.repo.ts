import type pg from 'pg'
import type { SystemNotice } from '../contract/messages'
import { extractHashtags } from '../contract/search-query'
import { messageColumns, type MessageRow, messagesWithAuthor } from './messages.dto'
import { THREAD_SUMMARY } from './threads.repo'

/**
 * The message statements besides the writer's inserts. All of them return MessageRow (one select
 * list, one mapper). Every change bumps the room's `rev` by one in the same transaction and stamps
 * the changed row with it, so a room's changes are numbered 1, 2, 3… like its messages.
 */
export function createMessagesRepo(pool: pg.Pool) {
  const select = `SELECT ${messageColumns} FROM ${messagesWithAuthor()}`

  return {
    async byClientMsgId(authorId: string, clientMsgId: string): Promise<MessageRow | null> {
      const { rows } = await pool.query<MessageRow>(`${select} WHERE m."authorId" = $1 AND m."clientMsgId" = $2`, [
        authorId,
        clientMsgId,
      ])
      return rows[0] ?? null
    },

    /** Up to `take` messages by seq: after `after` ascending, or before `before` (or the newest) descending. */
    async bySeq(roomId: string, cursor: { after?: number; before?: number }, take: number): Promise<MessageRow[]> {
      if (cursor.after !== undefined) {
        const { rows } = await pool.query<MessageRow>(
          `${select} WHERE m."roomId" = $1 AND m."seq" > $2 ORDER BY m."seq" LIMIT $3`,
          [roomId, cursor.after, take],
        )
        return rows
      }
      const { rows } = await pool.query<MessageRow>(
        `${select} WHERE m."roomId" = $1 AND m."seq" < $2 ORDER BY m."seq" DESC LIMIT $3`,
        [roomId, cursor.before ?? 2_147_483_647, take],
      )
      return rows.reverse()
    },

    /** Up to `take` messages whose last change came after `after`, in rev order. */
    async byRev(roomId: string, after: number, take: number): Promise<MessageRow[]> {
      const { rows } = await pool.query<MessageRow>(
        `${select} WHERE m."roomId" = $1 AND m."rev" > $2 ORDER BY m."rev" LIMIT $3`,
        [roomId, after, take],
      )
      return rows
    },

    /**
     * Changes one message in a transaction: locks its row (then the room's, the order every change
     * takes, so changes cannot deadlock), lets `decide` look at its current state and say what to
     * write (or throw), bumps the room's rev and writes it. `decide` returning null changes nothing
     * (and bumps nothing). Concurrent changes of one message run one after the other, each seeing
     * the state the previous one left. Deleting a reply recomputes its thread's root in the same
     * transaction (`root`, its new state); the root's row is locked before the room's.
     */
    async change(
      roomId: string,
      messageId: string,
      decide: (current: MessageRow | null) => { topic: string; content: string; deleted: boolean } | null,
    ): Promise<{ row: MessageRow; changed: boolean; root?: MessageRow }> {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const { rows } = await client.query<MessageRow>(
          `${select} WHERE m."id" = $1 AND m."roomId" = $2 FOR UPDATE OF m`,
          [messageId, roomId],
        )
        const current = rows[0] ?? null
        const next = decide(current)
        if (!next || !current) {
          await client.query('COMMIT')
          return { row: current as MessageRow, changed: false }
        }
        const rootId = next.deleted && current.threadRootId !== null ? current.threadRootId : null
        if (rootId) await client.query(`SELECT 1 FROM "Message" WHERE "id" = $1 FOR UPDATE`, [rootId])
        const { rows: changed } = await client.query<MessageRow>(
          `WITH room AS (UPDATE "Room" SET "rev" = "rev" + 1 WHERE "id" = $2 RETURNING "rev"),
           changed AS (
             UPDATE "Message" SET "topic" = $3, "content" = $4, "hashtags" = $6::text[], "rev" = (SELECT "rev" FROM room),
               "editedAt" = CASE WHEN $5::boolean THEN "editedAt" ELSE now() END,
               "deletedAt" = CASE WHEN $5::boolean THEN now() ELSE NULL END,
               "notice" = CASE WHEN $5::boolean THEN NULL ELSE "notice" END,
               "attachments" = CASE WHEN $5::boolean THEN '[]'::jsonb ELSE "attachments" END
             WHERE "id" = $1 RETURNING *)
           SELECT ${messageColumns} FROM ${messagesWithAuthor('changed')}`,
          [messageId, roomId, next.topic, next.content, next.deleted, extractHashtags(next.content)],
        )
        const root = rootId ? (await client.query<MessageRow>(THREAD_SUMMARY, [rootId, roomId])).rows[0] : undefined
        await client.query('COMMIT')
        return { row: changed[0], changed: true, root }
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.release()
      }
    },

    /** Stores a system notice as the room's next message (next seq and rev); null if the room is gone. */
    async insertNotice(roomId: string, notice: SystemNotice, clientMsgId: string): Promise<MessageRow | null> {
      const { rows } = await pool.query<MessageRow>(
        `WITH room AS (
           UPDATE "Room" SET "lastSeq" = "lastSeq" + 1, "rev" = "rev" + 1 WHERE "id" = $1
           RETURNING "id", "lastSeq", "rev"),
         inserted AS (
           INSERT INTO "Message" ("roomId", "seq", "rev", "kind", "authorId", "topic", "content", "notice", "clientMsgId")
           SELECT room."id", room."lastSeq", room."rev", 'system', NULL, '', '', $2::jsonb, $3 FROM room
           RETURNING *)
         SELECT ${messageColumns} FROM ${messagesWithAuthor('inserted')}`,
        [roomId, JSON.stringify(notice), clientMsgId],
      )
      return rows[0] ?? null
    },
  }
}

export type MessagesRepo = ReturnType<typeof createMessagesRepo>
