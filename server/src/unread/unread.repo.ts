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
 * What a moved pointer tells without another query: the room's newest seq (a pointer at it has nothing
 * unread), the notification choice, and the mover's username when their receipt is shown in this room
 * (a private room of at most RECEIPTS_MAX_PARTICIPANTS, a person who shares receipts).
 */
const MOVED = (rp: string, roomId: string, userId: string) => `
  (SELECT r2."lastSeq" FROM "Room" r2 WHERE r2."id" = ${roomId}) AS "lastSeq", ${rp}."notify",
  (SELECT u."username" FROM "User" u, "Room" r3 WHERE u."id" = ${userId} AND r3."id" = ${roomId} AND u."readReceipts"
     AND r3."isPrivate" AND (SELECT count(*) FROM "RoomParticipant" c WHERE c."roomId" = r3."id") <= ${RECEIPTS_MAX_PARTICIPANTS}
  ) AS "receiptAs"`

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
RETURNING rp."lastReadSeq", (SELECT "lastReadSeq" FROM prev) AS "previous", ${MOVED('rp', '$1::uuid', '$2::uuid')}`

/**
 * Who follows each of the rooms $1 and may read it: participants, and holders of a pointer (public
 * rooms). One statement for every room with news since the previous one (see unread.service.ts).
 */
const AUDIENCES = `
SELECT rp."roomId", rp."userId" FROM "ReadPointer" rp JOIN "Room" r ON r."id" = rp."roomId"
WHERE rp."roomId" = ANY($1::uuid[]) AND ${canReadSql('r', 'rp."userId"')}
UNION
SELECT p."roomId", p."userId" FROM "RoomParticipant" p WHERE p."roomId" = ANY($1::uuid[])`

/**
 * Authors' pointers past their new messages, many at once: ($1[i], $2[i]) to seq $3[i], forward only,
 * for people who may read the room. Returns the moved pointers with their previous value (NULL: none).
 */
const MOVE_MANY = `
WITH wanted AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[]) AS w("roomId", "userId", "seq")
), prev AS (
  SELECT rp."roomId", rp."userId", rp."lastReadSeq" FROM "ReadPointer" rp
  JOIN wanted w ON w."roomId" = rp."roomId" AND w."userId" = rp."userId"
)
INSERT INTO "ReadPointer" AS rp ("roomId", "userId", "lastReadSeq")
SELECT r."id", w."userId", LEAST(w."seq", r."lastSeq") FROM wanted w JOIN "Room" r ON r."id" = w."roomId"
WHERE ${canReadSql('r', 'w."userId"')}
ON CONFLICT ("roomId", "userId") DO UPDATE SET "lastReadSeq" = EXCLUDED."lastReadSeq", "updatedAt" = now()
WHERE EXCLUDED."lastReadSeq" > rp."lastReadSeq"
RETURNING rp."roomId", rp."userId", rp."lastReadSeq",
  (SELECT p."lastReadSeq" FROM prev p WHERE p."roomId" = rp."roomId" AND p."userId" = rp."userId") AS "previous",
  ${MOVED('rp', 'rp."roomId"', 'rp."userId"')}`

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

/** A pointer that moved: where to, from where (NULL: it was created), and what MOVED adds. */
export type Moved = {
  lastReadSeq: number
  previous: number | null
  lastSeq: number
  notify: NotifyLevel | null
  receiptAs: string | null
}

export function createUnreadRepo(pool: pg.Pool) {
  return {
    async summary(userId: string, roomId: string | null = null): Promise<UnreadDto[]> {
      const { rows } = await pool.query<UnreadDto>(SUMMARY, [userId, roomId])
      return rows
    },

    async move(roomId: string, userId: string, seq: number | null, backwards: boolean): Promise<Moved | null> {
      const { rows } = await pool.query<Moved>(MOVE, [roomId, userId, seq, backwards])
      return rows[0] ?? null
    },

    /**
     * A pointer at the room's newest seq unless one exists: someone opens a room they do not take part
     * in (a public room), or `admitted` someone to a private room (then also moved up to the newest).
     * A participant who opens their room keeps reading from where they are (no pointer: from the start).
     */
    async follow(roomId: string, userId: string, atLeastNewest: boolean): Promise<boolean> {
      const { rowCount } = await pool.query(
        `INSERT INTO "ReadPointer" AS rp ("roomId", "userId", "lastReadSeq")
         SELECT r."id", $2, r."lastSeq" FROM "Room" r WHERE r."id" = $1 AND ${canReadSql('r', '$2::uuid')}
           AND ($3::boolean OR NOT EXISTS (
             SELECT 1 FROM "RoomParticipant" p WHERE p."roomId" = r."id" AND p."userId" = $2::uuid))
         ON CONFLICT ("roomId", "userId") DO UPDATE SET "lastReadSeq" = EXCLUDED."lastReadSeq", "updatedAt" = now()
         WHERE $3::boolean AND EXCLUDED."lastReadSeq" > rp."lastReadSeq"`,
        [roomId, userId, atLeastNewest],
      )
      return (rowCount ?? 0) > 0
    },

    /** Each room's followers who may read it. */
    async audiences(roomIds: string[]): Promise<Map<string, string[]>> {
      const { rows } = await pool.query<{ roomId: string; userId: string }>(AUDIENCES, [roomIds])
      const out = new Map<string, string[]>(roomIds.map((id) => [id, []]))
      for (const r of rows) out.get(r.roomId)?.push(r.userId)
      return out
    },

    /** Moves many pointers forward at once (one per room and person: the highest seq wins). */
    async moveMany(
      moves: { roomId: string; userId: string; seq: number }[],
    ): Promise<(Moved & { roomId: string; userId: string })[]> {
      const best = new Map<string, { roomId: string; userId: string; seq: number }>()
      for (const m of moves) {
        const key = `${m.roomId}/${m.userId}`
        if ((best.get(key)?.seq ?? -1) < m.seq) best.set(key, m)
      }
      const list = [...best.values()]
      const { rows } = await pool.query<Moved & { roomId: string; userId: string }>(MOVE_MANY, [
        list.map((m) => m.roomId),
        list.map((m) => m.userId),
        list.map((m) => m.seq),
      ])
      return rows
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
  }
}

export type UnreadRepo = ReturnType<typeof createUnreadRepo>
