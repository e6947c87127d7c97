import type pg from 'pg'
import { type NotifyLevel, RECEIPTS_MAX_PARTICIPANTS, UNREAD_CAP, type UnreadDto } from '../contract/unread'
import { canReadSql } from '../rooms/rooms.access'

/**
 * The SQL of issue 18. A person follows a room when they take part in it (private rooms, direct
 * conversations) or hold a read pointer for it (public rooms they opened); every statement checks
 * access with `canReadSql`, so a pointer left behind in a room one was removed from counts for nothing.
 */

/**
 * Badges of the rooms $1 follows (or only room $2). Each count reads at most UNREAD_CAP rows of the
 * room after the pointer, through the (roomId, seq) and (userId, roomId, seq) indexes: bounded per room
 * however far behind the person is. A participant without a pointer (a new room or conversation) has
 * read nothing yet (its rooms start empty; adding someone later gives them a pointer, see `admit`).
 */
const SUMMARY = `
WITH followed AS (
  SELECT "roomId" FROM "ReadPointer" WHERE "userId" = $1
  UNION SELECT "roomId" FROM "RoomParticipant" WHERE "userId" = $1
), rooms AS (
  SELECT r."id", r."lastSeq", COALESCE(rp."lastReadSeq", 0) AS "lastReadSeq", rp."notify"
  FROM followed f
  JOIN "Room" r ON r."id" = f."roomId"
  LEFT JOIN "ReadPointer" rp ON rp."roomId" = r."id" AND rp."userId" = $1
  WHERE ${canReadSql('r', '$1::uuid')} AND ($2::uuid IS NULL OR r."id" = $2::uuid)
)
SELECT r."id" AS "roomId", r."lastReadSeq", r."lastSeq", r."notify",
  (SELECT count(*)::int FROM (
     SELECT 1 FROM "Message" m
     WHERE m."roomId" = r."id" AND m."seq" > r."lastReadSeq" AND m."deletedAt" IS NULL AND m."kind" <> 'system'
       AND m."authorId" IS DISTINCT FROM $1::uuid AND (m."threadRootId" IS NULL OR m."alsoInRoom")
     ORDER BY m."seq" LIMIT ${UNREAD_CAP}) x) AS "unread",
  (SELECT count(*)::int FROM (
     SELECT 1 FROM "Mention" mn JOIN "Message" m ON m."id" = mn."messageId"
     WHERE mn."userId" = $1::uuid AND mn."roomId" = r."id" AND mn."seq" > r."lastReadSeq" AND m."deletedAt" IS NULL
     LIMIT ${UNREAD_CAP}) y) AS "mentions"
FROM rooms r`

/**
 * Moves $2's pointer in room $1 to $3 (NULL: the room's newest seq), never past the newest seq; only
 * forward unless $4 (mark unread). Returns the new value and the old one (NULL: there was none), or no
 * row when nothing changed or $2 may not read the room.
 */
const MOVE = `
WITH prev AS (SELECT "lastReadSeq" FROM "ReadPointer" WHERE "roomId" = $1 AND "userId" = $2)
INSERT INTO "ReadPointer" AS rp ("roomId", "userId", "lastReadSeq")
SELECT r."id", $2, LEAST(COALESCE($3::int, r."lastSeq"), r."lastSeq") FROM "Room" r
WHERE r."id" = $1 AND ${canReadSql('r', '$2::uuid')}
ON CONFLICT ("roomId", "userId") DO UPDATE SET "lastReadSeq" = EXCLUDED."lastReadSeq", "updatedAt" = now()
WHERE EXCLUDED."lastReadSeq" > rp."lastReadSeq" OR ($4::boolean AND EXCLUDED."lastReadSeq" <> rp."lastReadSeq")
RETURNING rp."lastReadSeq", (SELECT "lastReadSeq" FROM prev) AS "previous"`

/**
 * Who follows room $1 and may read it: its participants, and the holders of a pointer (public rooms).
 * $2 is left out (the author).
 */
const AUDIENCE = `
SELECT rp."userId" FROM "ReadPointer" rp JOIN "Room" r ON r."id" = rp."roomId"
WHERE rp."roomId" = $1 AND rp."userId" <> $2::uuid AND ${canReadSql('r', 'rp."userId"')}
UNION
SELECT p."userId" FROM "RoomParticipant" p WHERE p."roomId" = $1 AND p."userId" <> $2::uuid`

/**
 * Stores the mentions of message $1 (room $2, seq $3, author $4): the usernames $5 who can read the
 * room, and with $6 (`@room`, honoured for the room's creator only) every follower. The author is never
 * mentioned by themself. Returns who was newly mentioned.
 */
const MENTION = `
WITH target AS (
  SELECT u."id" FROM "User" u JOIN "Room" r ON r."id" = $2
  WHERE u."username" = ANY($5::text[]) AND ${canReadSql('r', 'u."id"')}
  UNION
  SELECT f."userId" FROM (
    SELECT "userId" FROM "ReadPointer" WHERE "roomId" = $2 UNION SELECT "userId" FROM "RoomParticipant" WHERE "roomId" = $2
  ) f JOIN "Room" r ON r."id" = $2
  WHERE $6::boolean AND r."creatorId" = $4::uuid AND ${canReadSql('r', 'f."userId"')}
)
INSERT INTO "Mention" ("messageId", "userId", "roomId", "seq")
SELECT $1, t."id", $2, $3 FROM target t WHERE t."id" IS DISTINCT FROM $4::uuid
ON CONFLICT DO NOTHING
RETURNING "userId"`

/** Receipts of room $1 for viewer $2: the other participants who share them, if the room is small enough. */
const RECEIPTS = `
SELECT u."username", rp."lastReadSeq" FROM "Room" r
JOIN "RoomParticipant" p ON p."roomId" = r."id"
JOIN "User" u ON u."id" = p."userId"
JOIN "ReadPointer" rp ON rp."roomId" = r."id" AND rp."userId" = p."userId"
WHERE r."id" = $1 AND r."isPrivate" AND p."userId" <> $2 AND u."readReceipts" AND rp."lastReadSeq" > 0
  AND (SELECT count(*) FROM "RoomParticipant" c WHERE c."roomId" = r."id") <= ${RECEIPTS_MAX_PARTICIPANTS}
ORDER BY u."username"`

export function createUnreadRepo(pool: pg.Pool) {
  return {
    async summary(userId: string, roomId: string | null = null): Promise<UnreadDto[]> {
      const { rows } = await pool.query<UnreadDto>(SUMMARY, [userId, roomId])
      return rows
    },

    async move(
      roomId: string,
      userId: string,
      seq: number | null,
      backwards: boolean,
    ): Promise<{ lastReadSeq: number; previous: number | null } | null> {
      const { rows } = await pool.query<{ lastReadSeq: number; previous: number | null }>(MOVE, [
        roomId,
        userId,
        seq,
        backwards,
      ])
      return rows[0] ?? null
    },

    /** A pointer at the room's newest seq unless one exists (someone opens a public room, or is added). */
    async follow(roomId: string, userId: string, atLeastNewest: boolean): Promise<boolean> {
      const { rowCount } = await pool.query(
        `INSERT INTO "ReadPointer" AS rp ("roomId", "userId", "lastReadSeq")
         SELECT r."id", $2, r."lastSeq" FROM "Room" r WHERE r."id" = $1 AND ${canReadSql('r', '$2::uuid')}
         ON CONFLICT ("roomId", "userId") DO UPDATE SET "lastReadSeq" = EXCLUDED."lastReadSeq", "updatedAt" = now()
         WHERE $3::boolean AND EXCLUDED."lastReadSeq" > rp."lastReadSeq"`,
        [roomId, userId, atLeastNewest],
      )
      return (rowCount ?? 0) > 0
    },

    async audience(roomId: string, authorId: string | null): Promise<string[]> {
      const none = '00000000-0000-0000-0000-000000000000'
      const { rows } = await pool.query<{ userId: string }>(AUDIENCE, [roomId, authorId ?? none])
      return rows.map((r) => r.userId)
    },

    async mention(
      m: { id: string; roomId: string; seq: number; authorId: string | null },
      usernames: string[],
      room: boolean,
    ): Promise<string[]> {
      if (usernames.length === 0 && !room) return []
      const { rows } = await pool.query<{ userId: string }>(MENTION, [
        m.id,
        m.roomId,
        m.seq,
        m.authorId,
        usernames,
        room,
      ])
      return rows.map((r) => r.userId)
    },

    /** Forgets the mentions of message `m` its text no longer makes (after an edit); returns who lost one. */
    async unmentionExcept(
      m: { id: string; authorId: string | null },
      usernames: string[],
      room: boolean,
    ): Promise<string[]> {
      const { rows } = await pool.query<{ userId: string }>(
        `DELETE FROM "Mention" mn USING "User" u, "Room" r
         WHERE mn."messageId" = $1 AND u."id" = mn."userId" AND r."id" = mn."roomId"
           AND NOT (u."username" = ANY($2::text[]) OR ($3::boolean AND r."creatorId" IS NOT DISTINCT FROM $4::uuid))
         RETURNING mn."userId"`,
        [m.id, usernames, room, m.authorId],
      )
      return rows.map((r) => r.userId)
    },

    async mentionedBy(messageId: string): Promise<string[]> {
      const { rows } = await pool.query<{ userId: string }>(`SELECT "userId" FROM "Mention" WHERE "messageId" = $1`, [
        messageId,
      ])
      return rows.map((r) => r.userId)
    },

    async setNotify(roomId: string, userId: string, level: NotifyLevel | null): Promise<void> {
      await pool.query(
        `INSERT INTO "ReadPointer" AS rp ("roomId", "userId", "lastReadSeq", "notify")
         SELECT r."id", $2, r."lastSeq", $3::"NotifyLevel" FROM "Room" r WHERE r."id" = $1
         ON CONFLICT ("roomId", "userId") DO UPDATE SET "notify" = EXCLUDED."notify"`,
        [roomId, userId, level],
      )
    },

    async receipts(roomId: string, viewerId: string): Promise<{ username: string; lastReadSeq: number }[]> {
      const { rows } = await pool.query<{ username: string; lastReadSeq: number }>(RECEIPTS, [roomId, viewerId])
      return rows
    },

    /** Whether $2 shares receipts and room $1 shows them (private, small enough). */
    async receiptsShown(roomId: string, userId: string): Promise<{ username: string } | null> {
      const { rows } = await pool.query<{ username: string }>(
        `SELECT u."username" FROM "User" u, "Room" r WHERE u."id" = $2 AND r."id" = $1 AND u."readReceipts"
           AND r."isPrivate" AND (SELECT count(*) FROM "RoomParticipant" c WHERE c."roomId" = r."id") <= ${RECEIPTS_MAX_PARTICIPANTS}`,
        [roomId, userId],
      )
      return rows[0] ?? null
    },
  }
}

export type UnreadRepo = ReturnType<typeof createUnreadRepo>
