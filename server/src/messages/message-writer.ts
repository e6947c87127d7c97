import type pg from 'pg'
import { extractHashtags } from '../contract/search-query'
import { canReadSql } from '../rooms/rooms.access'
import { messageColumns, type MessageRow, messagesWithAuthor } from './messages.dto'

/** One message to store; the author's right to post in the room is checked by the insert itself. */
export type NewMessage = { roomId: string; authorId: string; topic: string; content: string; clientMsgId: string }

/**
 * What became of one message: `stored` (its id, seq and time), or `skipped` — nothing was inserted
 * because the room is gone, the author may not post there, or the author already used this clientMsgId.
 * The caller tells those apart (they are rare) with ordinary queries.
 */
export type WriteResult = { stored: true; row: MessageRow; authorPointer: AuthorPointer } | { stored: false }

/**
 * Issue 18: the statement that stores a message also moves its author's read pointer past it (no
 * commit of its own); this is the pointer as it was before, NULL when there was none.
 */
export type AuthorPointer = { before: number | null; notify: 'all' | 'mentions' | 'nothing' | null }

/** The author's pointer before the statement (its snapshot), for a message alias `m`. */
const POINTER_BEFORE = `
  (SELECT rp."lastReadSeq" FROM "ReadPointer" rp WHERE rp."roomId" = m."roomId" AND rp."userId" = m."authorId") AS "pointerBefore",
  (SELECT rp."notify" FROM "ReadPointer" rp WHERE rp."roomId" = m."roomId" AND rp."userId" = m."authorId") AS "pointerNotify"`

/** Moves the authors' pointers of relation `rel` ("roomId", "userId", "seq") forward, in key order. */
const MOVE_POINTERS = (rel: string) => `
  INSERT INTO "ReadPointer" AS rp ("roomId", "userId", "lastReadSeq")
  SELECT "roomId", "userId", "seq" FROM ${rel} ORDER BY "roomId", "userId"
  ON CONFLICT ("roomId", "userId") DO UPDATE SET "lastReadSeq" = EXCLUDED."lastReadSeq", "updatedAt" = now()
  WHERE EXCLUDED."lastReadSeq" > rp."lastReadSeq"`

export type MessageWriter = {
  /** Resolves after the statement that stores the message has committed (never before). */
  write(message: NewMessage): Promise<WriteResult>
}

/**
 * Stores many messages, of many rooms, in one statement: room rows are locked in id order (so two
 * instances' batches cannot deadlock), each room's `lastSeq` is bumped by its count, and the rows are
 * numbered in arrival order, so per-room seqs stay 1, 2, 3… with no gaps and commit in order.
 * Private rooms are re-checked inside the statement: a participant removed a moment ago cannot slip a
 * message in. A clientMsgId the author already used is skipped here (and resolved by the caller).
 */
const INSERT_BATCH = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[])
    WITH ORDINALITY AS t("roomId", "authorId", "topic", "content", "clientMsgId", "tags", "ord")
),
locked AS MATERIALIZED (
  SELECT r."id", r."isPrivate" FROM "Room" r
  WHERE r."id" IN (SELECT "roomId" FROM input)
  ORDER BY r."id"
  FOR UPDATE
),
allowed AS (
  SELECT i.*, row_number() OVER (PARTITION BY i."roomId" ORDER BY i."ord") AS "n"
  FROM input i JOIN locked r ON r."id" = i."roomId"
  WHERE ${canReadSql('r', 'i."authorId"')}
    AND NOT EXISTS (
      SELECT 1 FROM "Message" m WHERE m."authorId" = i."authorId" AND m."clientMsgId" = i."clientMsgId")
),
bumped AS (
  UPDATE "Room" r SET "lastSeq" = r."lastSeq" + c."count", "rev" = r."rev" + c."count"
  FROM (SELECT "roomId", count(*)::int AS "count" FROM allowed GROUP BY "roomId") c
  WHERE r."id" = c."roomId"
  RETURNING r."id", r."lastSeq" - c."count" AS "base", r."rev" - c."count" AS "revBase"
),
inserted AS (
  INSERT INTO "Message" ("roomId", "seq", "rev", "authorId", "topic", "content", "clientMsgId", "hashtags")
  SELECT a."roomId", b."base" + a."n", b."revBase" + a."n", a."authorId", a."topic", a."content", a."clientMsgId",
    string_to_array(a."tags", ' ')
  FROM allowed a JOIN bumped b ON b."id" = a."roomId"
  RETURNING *
),
authors AS (
  SELECT "roomId", "authorId" AS "userId", max("seq") AS "seq" FROM inserted GROUP BY "roomId", "authorId"
),
pointers AS (${MOVE_POINTERS('authors')})
SELECT ${messageColumns}, ${POINTER_BEFORE} FROM ${messagesWithAuthor('inserted')}`

/**
 * The same for one message: under light load most batches hold one, and PostgreSQL runs this simpler
 * statement in about a third of the time. A clientMsgId the author already used fails it with a unique
 * violation (rolling back the seq bump), which the writer reports as skipped.
 */
export const INSERT_ONE = `
WITH room AS (
  UPDATE "Room" r SET "lastSeq" = r."lastSeq" + 1, "rev" = r."rev" + 1
  WHERE r."id" = $1::uuid AND ${canReadSql('r', '$2::uuid')}
  RETURNING r."id", r."lastSeq", r."rev"
),
inserted AS (
  INSERT INTO "Message" ("roomId", "seq", "rev", "authorId", "topic", "content", "clientMsgId", "hashtags")
  SELECT room."id", room."lastSeq", room."rev", $2::uuid, $3, $4, $5, $6::text[] FROM room
  RETURNING *
),
author AS (SELECT "roomId", "authorId" AS "userId", "seq" FROM inserted),
pointer AS (${MOVE_POINTERS('author')})
SELECT ${messageColumns}, ${POINTER_BEFORE} FROM ${messagesWithAuthor('inserted')}`

/** A stored row and the author's pointer before the statement (the writer's statements return both). */
export type StoredRow = MessageRow & { pointerBefore: number | null; pointerNotify: AuthorPointer['notify'] }

/** Upper bound on messages per statement (bounded parameter size and lock time). */
const MAX_BATCH = 256

type Waiter = { resolve: (r: WriteResult) => void; reject: (e: unknown) => void }
/** `repeats`: later writes of the same author + clientMsgId while this one waits (a client retrying). */
type Pending = { message: NewMessage; waiter: Waiter; repeats: Waiter[] }

/**
 * Group commit for messages. One statement is in flight per instance; messages that arrive meanwhile
 * wait and go out together in the next one. Under light load each message goes alone as soon as it
 * arrives (no added delay); under heavy load one round trip stores many, which is what lets one
 * PostgreSQL keep up with thousands of messages a second. Every caller is answered only after the
 * statement holding its message committed, or with the error that stopped it.
 *
 * Uses the pg pool under Prisma directly: this one statement runs for every message sent, and
 * Prisma's per-query overhead was the largest single item in the send path's CPU profile.
 */
export function createMessageWriter(pool: pg.Pool): MessageWriter {
  const queue = new Map<string, Pending>()
  let running: Promise<void> | null = null

  const keyOf = (m: { authorId: string | null; clientMsgId: string }) => `${m.authorId}\u0000${m.clientMsgId}`

  async function insert(batch: Pending[]): Promise<Map<string, WriteResult>> {
    if (batch.length === 1) return insertOne(batch[0].message)
    const cols: string[][] = [[], [], [], [], [], []]
    for (const { message: m } of batch) {
      cols[0].push(m.roomId)
      cols[1].push(m.authorId)
      cols[2].push(m.topic)
      cols[3].push(m.content)
      cols[4].push(m.clientMsgId)
      // The hashtags (search), space-separated: a tag never holds a space, and unnest cannot take an array per row.
      cols[5].push(extractHashtags(m.content).join(' '))
    }
    const { rows } = await pool.query<StoredRow>({ name: 'parlor_insert_messages', text: INSERT_BATCH, values: cols })
    return byKey(rows)
  }

  async function insertOne(m: NewMessage): Promise<Map<string, WriteResult>> {
    try {
      const { rows } = await pool.query<StoredRow>({
        name: 'parlor_insert_message',
        text: INSERT_ONE,
        values: [m.roomId, m.authorId, m.topic, m.content, m.clientMsgId, extractHashtags(m.content)],
      })
      return byKey(rows)
    } catch (err) {
      if (isUniqueViolation(err)) return new Map() // the clientMsgId was used before: skipped
      throw err
    }
  }

  function byKey(rows: StoredRow[]): Map<string, WriteResult> {
    const results = new Map<string, WriteResult>()
    for (const { pointerBefore, pointerNotify, ...row } of rows) {
      results.set(keyOf(row), { stored: true, row, authorPointer: { before: pointerBefore, notify: pointerNotify } })
    }
    return results
  }

  function settle(batch: Pending[], results: Map<string, WriteResult>) {
    for (const p of batch) {
      p.waiter.resolve(results.get(keyOf(p.message)) ?? { stored: false })
      // A repeat stored nothing itself; after this commit the caller finds the first one's row.
      for (const w of p.repeats) w.resolve({ stored: false })
    }
  }

  function fail(batch: Pending[], err: unknown) {
    for (const p of batch) for (const w of [p.waiter, ...p.repeats]) w.reject(err)
  }

  async function flush(batch: Pending[]) {
    try {
      settle(batch, await insert(batch))
    } catch (err) {
      if (batch.length > 1 && isUniqueViolation(err)) {
        // Another instance stored one of these clientMsgIds between our check and our insert: the
        // whole statement was rolled back. Store them one by one, so only that one is skipped.
        for (const p of batch) await flush([p])
        return
      }
      fail(batch, err)
    }
  }

  async function run() {
    while (queue.size > 0) {
      const batch: Pending[] = []
      for (const [key, p] of queue) {
        if (batch.length === MAX_BATCH) break
        batch.push(p)
        queue.delete(key) // the oldest first: a Map iterates in insertion order
      }
      await flush(batch)
    }
    running = null
  }

  return {
    write(message) {
      return new Promise<WriteResult>((resolve, reject) => {
        const key = keyOf(message)
        const same = queue.get(key)
        if (same) same.repeats.push({ resolve, reject })
        else queue.set(key, { message, waiter: { resolve, reject }, repeats: [] })
        // Started a microtask later, so messages parsed from the same network read go out together.
        running ??= Promise.resolve().then(run)
      })
    },
  }
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown })?.code === '23505'
}
