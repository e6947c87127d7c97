import type pg from 'pg'
import { extractHashtags } from '../contract/search-query'
import { canReadSql } from '../rooms/rooms.access'
import { messageColumns, type MessageRow, messagesWithAuthor } from './messages.dto'

/** How many of a thread's latest repliers its root names. */
export const REPLIERS_SHOWN = 5

/**
 * Recomputes a thread's summary on its root ($1, in room $2) from the replies as they are now (those
 * not deleted): count, newest reply time, latest repliers. Never incremented, so a deleted reply, a
 * retried insert or two concurrent replies cannot leave it wrong. The root's new state is a change of
 * the room (rev bumped), so the change stream carries it to clients that were away. The caller holds
 * the root's row lock (taken before the room's, the order every change takes).
 */
export const THREAD_SUMMARY = `
WITH live AS (
  SELECT m."createdAt", u."username" FROM "Message" m LEFT JOIN "User" u ON u."id" = m."authorId"
  WHERE m."threadRootId" = $1 AND m."deletedAt" IS NULL
),
summary AS (SELECT count(*)::int AS "n", max("createdAt") AS "last" FROM live),
who AS (
  SELECT coalesce(array_agg("username" ORDER BY "last" DESC), ARRAY[]::text[]) AS "names" FROM (
    SELECT "username", max("createdAt") AS "last" FROM live WHERE "username" IS NOT NULL
    GROUP BY "username" ORDER BY "last" DESC LIMIT ${REPLIERS_SHOWN}
  ) t
),
room AS (UPDATE "Room" SET "rev" = "rev" + 1 WHERE "id" = $2 RETURNING "rev"),
changed AS (
  UPDATE "Message" m SET "replyCount" = s."n", "lastReplyAt" = s."last", "repliers" = w."names", "rev" = room."rev"
  FROM summary s, who w, room WHERE m."id" = $1 RETURNING m.*
)
SELECT ${messageColumns} FROM ${messagesWithAuthor('changed')}`

/** A reply stored as the room's next message, like the writer's INSERT_ONE, access checked inside. */
const INSERT_REPLY = `
WITH room AS (
  UPDATE "Room" r SET "lastSeq" = r."lastSeq" + 1, "rev" = r."rev" + 1
  WHERE r."id" = $1::uuid AND ${canReadSql('r', '$2::uuid')}
  RETURNING r."id", r."lastSeq", r."rev"
),
inserted AS (
  INSERT INTO "Message" ("roomId", "seq", "rev", "authorId", "topic", "content", "clientMsgId", "threadRootId", "alsoInRoom", "hashtags")
  SELECT room."id", room."lastSeq", room."rev", $2::uuid, $3, $4, $5, $6::uuid, $7, $8::text[] FROM room
  RETURNING *
)
SELECT ${messageColumns} FROM ${messagesWithAuthor('inserted')}`

export type NewReply = {
  roomId: string
  authorId: string
  topic: string
  content: string
  clientMsgId: string
  /** The message replied to: a thread's root, or one of its replies (the reply then joins that root). */
  replyTo: string
  alsoInRoom: boolean
  /**
   * Runs in the reply's transaction once it is stored (issue 21: claims its uploads) and returns the
   * row as it is then; throwing rolls the reply back.
   */
  attach?: (tx: pg.PoolClient, reply: MessageRow) => Promise<MessageRow>
}

/**
 * What became of a reply: stored (the reply and its root's new state), `missing` (no such message in
 * the room, or a deleted one with no thread, or a notice), or `skipped` (the room refused the author,
 * or the clientMsgId was used before: the caller tells them apart, as for messages).
 */
export type ReplyResult =
  { stored: true; reply: MessageRow; root: MessageRow } | { stored: false; reason: 'missing' | 'skipped' }

export function createThreadsRepo(pool: pg.Pool) {
  const select = `SELECT ${messageColumns} FROM ${messagesWithAuthor()}`

  return {
    /**
     * Stores a reply and recomputes its root in one transaction: the root's row is locked first (so
     * two replies to one thread, or a reply and the deletion of another, run one after the other),
     * then the room's, by the insert.
     */
    async insertReply(r: NewReply): Promise<ReplyResult> {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const { rows: targets } = await client.query<{ rootId: string }>(
          `SELECT coalesce(m."threadRootId", m."id") AS "rootId" FROM "Message" m WHERE m."id" = $1 AND m."roomId" = $2`,
          [r.replyTo, r.roomId],
        )
        const rootId = targets[0]?.rootId
        const { rows: roots } = rootId
          ? await client.query<MessageRow>(`${select} WHERE m."id" = $1 FOR UPDATE OF m`, [rootId])
          : { rows: [] as MessageRow[] }
        const root = roots[0]
        // A notice takes no replies; a deleted message only keeps the thread it already has.
        if (!root || root.kind === 'system' || (root.deletedAt && root.replyCount === 0)) {
          await client.query('ROLLBACK')
          return { stored: false, reason: 'missing' }
        }
        let reply: MessageRow | undefined
        try {
          const { rows } = await client.query<MessageRow>(INSERT_REPLY, [
            r.roomId,
            r.authorId,
            r.topic,
            r.content,
            r.clientMsgId,
            root.id,
            r.alsoInRoom,
            extractHashtags(r.content),
          ])
          reply = rows[0]
        } catch (err) {
          if ((err as { code?: unknown })?.code !== '23505') throw err
        }
        if (!reply) {
          await client.query('ROLLBACK')
          return { stored: false, reason: 'skipped' }
        }
        if (r.attach) reply = await r.attach(client, reply)
        const { rows: summary } = await client.query<MessageRow>(THREAD_SUMMARY, [root.id, r.roomId])
        await client.query('COMMIT')
        return { stored: true, reply, root: summary[0] }
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.release()
      }
    },

    /** A message of the room by id (any kind, deleted or not); null if it is not in the room. */
    async byId(roomId: string, messageId: string): Promise<MessageRow | null> {
      const { rows } = await pool.query<MessageRow>(`${select} WHERE m."id" = $1 AND m."roomId" = $2`, [
        messageId,
        roomId,
      ])
      return rows[0] ?? null
    },

    /** Up to `take` replies of a thread after seq `after`, ascending (deleted ones as tombstones). */
    async replies(rootId: string, after: number, take: number): Promise<MessageRow[]> {
      const { rows } = await pool.query<MessageRow>(
        `${select} WHERE m."threadRootId" = $1 AND m."seq" > $2 ORDER BY m."seq" LIMIT $3`,
        [rootId, after, take],
      )
      return rows
    },

    /**
     * The top view: messages of the room's timeline (not deleted, no notices, replies only if also
     * sent to the room) by score, then newest first.
     */
    async top(roomId: string, offset: number, take: number): Promise<MessageRow[]> {
      const { rows } = await pool.query<MessageRow>(
        `${select} WHERE m."roomId" = $1 AND m."deletedAt" IS NULL AND m."kind" <> 'system'
           AND (m."threadRootId" IS NULL OR m."alsoInRoom")
         ORDER BY (m."upvotes" - m."downvotes") DESC, m."createdAt" DESC, m."seq" DESC OFFSET $2 LIMIT $3`,
        [roomId, offset, take],
      )
      return rows
    },
  }
}

export type ThreadsRepo = ReturnType<typeof createThreadsRepo>
