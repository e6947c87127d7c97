import type pg from 'pg'
import type { MessageKind, SystemNotice } from '../contract/messages'
import { messageColumns, type MessageRow, messagesWithAuthor } from '../messages/messages.dto'
import { canReadSql } from '../rooms/rooms.access'

/** A message a command stores: a system message of who ran it (`/me`) or a bot message. */
export type AuthoredMessage = {
  roomId: string
  kind: Exclude<MessageKind, 'user'>
  authorId: string
  /** Who ran the command: the statement stores nothing unless they may read the room right now. */
  actorId: string
  topic: string
  content: string
  notice: SystemNotice | null
  clientMsgId: string
}

/**
 * Serialises the commands of one person with one clientMsgId, across instances, until the end of
 * the transaction: a retry waits for the first attempt and then finds what it stored.
 */
export async function lockCommand(tx: pg.PoolClient, userId: string, clientMsgId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`command:${userId}:${clientMsgId}`])
}

/** The message `authorId` stored under `clientMsgId`, if any. */
export async function findAuthored(
  tx: pg.PoolClient,
  authorId: string,
  clientMsgId: string,
): Promise<MessageRow | null> {
  const { rows } = await tx.query<MessageRow>(
    `SELECT ${messageColumns} FROM ${messagesWithAuthor()} WHERE m."authorId" = $1 AND m."clientMsgId" = $2`,
    [authorId, clientMsgId],
  )
  return rows[0] ?? null
}

/**
 * Stores the message as the room's next (seq and rev bumped in the same statement, like every
 * message), only if the actor may read the room at this moment (`canReadSql`); null otherwise.
 */
export async function insertAuthored(tx: pg.PoolClient, m: AuthoredMessage): Promise<MessageRow | null> {
  const { rows } = await tx.query<MessageRow>(
    `WITH room AS (
       UPDATE "Room" r SET "lastSeq" = r."lastSeq" + 1, "rev" = r."rev" + 1
       WHERE r."id" = $1::uuid AND ${canReadSql('r', '$2::uuid')}
       RETURNING r."id", r."lastSeq", r."rev"),
     inserted AS (
       INSERT INTO "Message" ("roomId", "seq", "rev", "kind", "authorId", "topic", "content", "notice", "clientMsgId")
       SELECT room."id", room."lastSeq", room."rev", $3::"MessageKind", $4::uuid, $5, $6, $7::jsonb, $8 FROM room
       RETURNING *)
     SELECT ${messageColumns} FROM ${messagesWithAuthor('inserted')}`,
    [
      m.roomId,
      m.actorId,
      m.kind,
      m.authorId,
      m.topic,
      m.content,
      m.notice ? JSON.stringify(m.notice) : null,
      m.clientMsgId,
    ],
  )
  return rows[0] ?? null
}
