import type { Viewer } from '../contract/events'
import type { MessageDto, MessageKind, SystemNotice } from '../contract/messages'
import type { OwnStateDto, ReactionDto } from '../contract/reactions'
import type { AttachmentDto } from '../contract/uploads'

/**
 * The one definition of a message row, from SQL to DTO: every statement that reads or returns
 * messages (the writer's inserts, history, the change stream, edits, deletions, notices) selects
 * `messageColumns(...)` and maps the rows with `toMessageDto`.
 */
export type MessageRow = {
  id: string
  roomId: string
  seq: number
  rev: number
  kind: MessageKind
  topic: string
  content: string
  notice: SystemNotice | null
  clientMsgId: string
  createdAt: Date
  editedAt: Date | null
  deletedAt: Date | null
  /**
   * The author's id, name and email; null for system notices. Bot messages are authored by the bot
   * user; a command's system message (`/me`) by who ran it.
   */
  authorId: string | null
  authorUsername: string | null
  authorEmail: string | null
  /** The author's display name (issue 19), null when they chose none. */
  authorDisplayName?: string | null
  // Replies, votes and reactions (issue 16).
  threadRootId: string | null
  alsoInRoom: boolean
  replyCount: number
  lastReplyAt: Date | null
  repliers: string[]
  upvotes: number
  downvotes: number
  reactions: ReactionDto[]
  /** Uploads (issue 21): the attachments, and the author's profile picture id. */
  attachments: AttachmentDto[]
  authorAvatarId?: string | null
}

/**
 * The select list giving a MessageRow, for message alias `m` joined to its author as alias `u`:
 * `SELECT ${messageColumns} FROM ${messagesWithAuthor}` or over a CTE of inserted rows.
 */
export const messageColumns = `m."id", m."roomId", m."seq", m."rev", m."kind", m."topic", m."content",
  m."notice", m."clientMsgId", m."createdAt", m."editedAt", m."deletedAt",
  u."id" AS "authorId", u."username" AS "authorUsername", u."email" AS "authorEmail",
  u."displayName" AS "authorDisplayName",
  m."threadRootId", m."alsoInRoom", m."replyCount", m."lastReplyAt", m."repliers", m."upvotes", m."downvotes",
  m."reactions", m."attachments", u."avatarId" AS "authorAvatarId"`

/** `FROM` clause for `messageColumns` over a relation of message rows (a table or a CTE name). */
export const messagesWithAuthor = (relation = '"Message"') =>
  `${relation} m LEFT JOIN "User" u ON u."id" = m."authorId"`

/** Where a profile picture is served (issue 21); null when the person has none. */
export const avatarUrl = (avatarId: string | null): string | null => (avatarId ? `/api/avatars/${avatarId}` : null)

/** `jane@example.com` → `j***@example.com`: guests see who wrote, not how to reach them. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@')
  if (at <= 0) return '***'
  return `${email[0]}***${email.slice(at)}`
}

/** `mine`: the viewer's own vote and reactions, for DTOs fetched by a signed-in viewer (never broadcast). */
export function toMessageDto(row: MessageRow, viewer: Viewer, mine?: OwnStateDto): MessageDto {
  const author =
    row.authorId !== null && row.authorUsername !== null
      ? {
          id: row.authorId,
          username: row.authorUsername,
          displayName: row.authorDisplayName ?? null,
          avatarUrl: avatarUrl(row.authorAvatarId ?? null),
        }
      : null
  const email = row.kind === 'bot' ? '' : (row.authorEmail ?? '') // the bot has no address to show
  return {
    id: row.id,
    roomId: row.roomId,
    seq: row.seq,
    rev: row.rev,
    kind: row.kind,
    author,
    email: viewer.kind === 'user' || email === '' ? email : maskEmail(email),
    topic: row.topic,
    content: row.content,
    createdAt: row.createdAt.toISOString(),
    editedAt: row.editedAt?.toISOString() ?? null,
    deletedAt: row.deletedAt?.toISOString() ?? null,
    notice: row.notice,
    clientMsgId: row.clientMsgId,
    threadRootId: row.threadRootId,
    alsoInRoom: row.alsoInRoom,
    replyCount: row.replyCount,
    lastReplyAt: row.lastReplyAt?.toISOString() ?? null,
    repliers: row.repliers,
    upvotes: row.upvotes,
    downvotes: row.downvotes,
    reactions: row.reactions,
    attachments: row.attachments ?? [],
    ...(mine ? { mine } : {}),
  }
}
