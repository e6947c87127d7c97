import type pg from 'pg'
import type { OwnStateDto, Vote } from '../contract/reactions'
import { REACTIONS_PER_MESSAGE_MAX } from '../contract/reactions'
import { messageColumns, type MessageRow, messagesWithAuthor } from '../messages/messages.dto'
import { canReadSql } from '../rooms/rooms.access'

/** How many usernames each reaction names (hover/focus shows them; the count is always exact). */
export const REACTION_USERS_SHOWN = 25

/**
 * Recomputes a message's vote counts and reactions from the MessageVote and MessageReaction rows as
 * they are now (never incremented: a double click or two instances toggling at once cannot drift),
 * bumps the room's rev and stamps the message with it: a vote or reaction is a change of the room,
 * carried by the change stream like an edit.
 */
const RECOUNT = `
WITH votes AS (
  SELECT count(*) FILTER (WHERE "value" = 1)::int AS "up", count(*) FILTER (WHERE "value" = -1)::int AS "down"
  FROM "MessageVote" WHERE "messageId" = $1
),
reactions AS (
  SELECT coalesce(jsonb_agg(jsonb_build_object('emoji', t."emoji", 'count', t."n", 'users', to_jsonb(t."users"))
    ORDER BY t."first", t."emoji"), '[]'::jsonb) AS "list"
  FROM (
    SELECT r."emoji", count(*)::int AS "n", min(r."createdAt") AS "first",
      (array_agg(u."username" ORDER BY r."createdAt", u."username"))[1:${REACTION_USERS_SHOWN}] AS "users"
    FROM "MessageReaction" r JOIN "User" u ON u."id" = r."userId"
    WHERE r."messageId" = $1 GROUP BY r."emoji"
  ) t
),
room AS (UPDATE "Room" SET "rev" = "rev" + 1 WHERE "id" = $2 RETURNING "rev"),
changed AS (
  UPDATE "Message" m SET "upvotes" = v."up", "downvotes" = v."down", "reactions" = r."list", "rev" = room."rev"
  FROM votes v, reactions r, room WHERE m."id" = $1 RETURNING m.*
)
SELECT ${messageColumns},
  (SELECT "value" FROM "MessageVote" WHERE "messageId" = $1 AND "userId" = $3) AS "myVote",
  coalesce((SELECT array_agg("emoji" ORDER BY "createdAt") FROM "MessageReaction"
            WHERE "messageId" = $1 AND "userId" = $3), ARRAY[]::text[]) AS "myReactions"
FROM ${messagesWithAuthor('changed')}`

/** Why a toggle changed nothing: no such message for this user (or a notice, or deleted), or too many emoji. */
export type ToggleResult = { ok: true; row: MessageRow; mine: OwnStateDto } | { ok: false; reason: 'missing' | 'full' }

export function createReactionsRepo(pool: pg.Pool) {
  /**
   * One toggle in one transaction: locks the message row (after checking, inside the statement, that
   * the user may read its room — `canReadSql`, the access rule's SQL face, so this is the room check
   * and a participant removed a moment ago cannot slip a vote in; a hidden room answers like a missing
   * message, with the same statement), so
   * toggles of one message run one after the other; then changes the user's row, recounts and bumps
   * the rev. Lock order: the message, then the room (the order of edits and deletions).
   */
  async function toggle(
    roomId: string,
    messageId: string,
    userId: string,
    apply: (client: pg.PoolClient) => Promise<'ok' | 'full'>,
  ): Promise<ToggleResult> {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      const { rows } = await client.query(
        `SELECT m."id" FROM "Message" m JOIN "Room" r ON r."id" = m."roomId"
         WHERE m."id" = $1 AND m."roomId" = $2 AND m."deletedAt" IS NULL AND m."kind" <> 'system'
           AND ${canReadSql('r', '$3::uuid')}
         FOR UPDATE OF m`,
        [messageId, roomId, userId],
      )
      if (rows.length === 0) {
        await client.query('ROLLBACK')
        return { ok: false, reason: 'missing' }
      }
      if ((await apply(client)) === 'full') {
        await client.query('ROLLBACK')
        return { ok: false, reason: 'full' }
      }
      // The toggler's own state comes with the recount (one round trip less in the locked section).
      const { rows: changed } = await client.query<MessageRow & { myVote: number | null; myReactions: string[] }>(
        RECOUNT,
        [messageId, roomId, userId],
      )
      await client.query('COMMIT')
      const { myVote, myReactions, ...row } = changed[0]
      return { ok: true, row, mine: { vote: voteOf(myVote), reactions: myReactions } }
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }

  return {
    /** Votes `vote`; the same vote again removes it, the other flips it. */
    toggleVote(roomId: string, messageId: string, userId: string, vote: Vote): Promise<ToggleResult> {
      const value = vote === 'up' ? 1 : -1
      return toggle(roomId, messageId, userId, async (client) => {
        // Under the message's row lock, one statement: the same vote is deleted, else inserted or flipped.
        await client.query(
          `WITH same AS (
             DELETE FROM "MessageVote" WHERE "messageId" = $1 AND "userId" = $2 AND "value" = $3 RETURNING 1)
           INSERT INTO "MessageVote" ("messageId", "userId", "value")
           SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM same)
           ON CONFLICT ("messageId", "userId") DO UPDATE SET "value" = EXCLUDED."value", "createdAt" = now()`,
          [messageId, userId, value],
        )
        return 'ok'
      })
    },

    /** Adds the user's reaction with `emoji`, or removes it if present; refuses a 21st distinct emoji. */
    toggleReaction(roomId: string, messageId: string, userId: string, emoji: string): Promise<ToggleResult> {
      return toggle(roomId, messageId, userId, async (client) => {
        const { rowCount } = await client.query(
          `DELETE FROM "MessageReaction" WHERE "messageId" = $1 AND "userId" = $2 AND "emoji" = $3`,
          [messageId, userId, emoji],
        )
        if (rowCount !== 0) return 'ok'
        const { rows } = await client.query<{ known: boolean; distinct: number }>(
          `SELECT bool_or("emoji" = $2) AS "known", count(DISTINCT "emoji")::int AS "distinct"
           FROM "MessageReaction" WHERE "messageId" = $1`,
          [messageId, emoji],
        )
        if (!rows[0]?.known && (rows[0]?.distinct ?? 0) >= REACTIONS_PER_MESSAGE_MAX) return 'full'
        await client.query(`INSERT INTO "MessageReaction" ("messageId", "userId", "emoji") VALUES ($1, $2, $3)`, [
          messageId,
          userId,
          emoji,
        ])
        return 'ok'
      })
    },

    /**
     * Takes back every vote and reaction of a user (their account is being deleted) and recounts each
     * message they touched, in one transaction, locking the messages in id order (so it cannot
     * deadlock with toggles, which lock one message). Returns the recounted messages, to broadcast.
     */
    async withdrawAll(userId: string): Promise<MessageRow[]> {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const { rows: touched } = await client.query<{ id: string; roomId: string }>(
          `SELECT m."id", m."roomId" FROM "Message" m
           WHERE m."id" IN (SELECT "messageId" FROM "MessageVote" WHERE "userId" = $1
                            UNION SELECT "messageId" FROM "MessageReaction" WHERE "userId" = $1)
           ORDER BY m."id" FOR UPDATE OF m`,
          [userId],
        )
        await client.query(`DELETE FROM "MessageVote" WHERE "userId" = $1`, [userId])
        await client.query(`DELETE FROM "MessageReaction" WHERE "userId" = $1`, [userId])
        const recounted: MessageRow[] = []
        for (const m of touched) {
          const { rows } = await client.query<MessageRow & { myVote: unknown; myReactions: unknown }>(RECOUNT, [
            m.id,
            m.roomId,
            userId,
          ])
          const { myVote: _vote, myReactions: _reactions, ...row } = rows[0]
          recounted.push(row)
        }
        await client.query('COMMIT')
        return recounted
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.release()
      }
    },

    /** The user's own vote and reactions on these messages (only messages with some are in the map). */
    ownStates: (userId: string, messageIds: string[]) => ownStates(pool, userId, messageIds),
  }
}

const voteOf = (value: number | null): Vote | null => (value === 1 ? 'up' : value === -1 ? 'down' : null)

async function ownStates(
  db: pg.Pool | pg.PoolClient,
  userId: string,
  messageIds: string[],
): Promise<Map<string, OwnStateDto>> {
  const { rows } = await db.query<{ id: string; value: number | null; emoji: string[] }>(
    `SELECT m."id",
       (SELECT v."value" FROM "MessageVote" v WHERE v."messageId" = m."id" AND v."userId" = $1) AS "value",
       coalesce((SELECT array_agg(r."emoji" ORDER BY r."createdAt") FROM "MessageReaction" r
                 WHERE r."messageId" = m."id" AND r."userId" = $1), ARRAY[]::text[]) AS "emoji"
     FROM unnest($2::uuid[]) AS m("id")`,
    [userId, messageIds],
  )
  const states = new Map<string, OwnStateDto>()
  for (const r of rows) {
    states.set(r.id, { vote: voteOf(r.value), reactions: r.emoji })
  }
  return states
}

export type ReactionsRepo = ReturnType<typeof createReactionsRepo>
