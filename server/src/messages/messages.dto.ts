import type { Viewer } from '../contract/events'
import type { MessageDto } from '../contract/messages'

/** `jane@example.com` → `j***@example.com`: guests see who wrote, not how to reach them. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@')
  if (at <= 0) return '***'
  return `${email[0]}***${email.slice(at)}`
}

export type MessageRow = {
  id: string
  roomId: string
  seq: number
  topic: string
  content: string
  clientMsgId: string
  createdAt: Date
  author: { id: string; username: string; email: string }
}

export function toMessageDto(row: MessageRow, viewer: Viewer): MessageDto {
  return {
    id: row.id,
    roomId: row.roomId,
    seq: row.seq,
    author: { id: row.author.id, username: row.author.username },
    email: viewer.kind === 'user' ? row.author.email : maskEmail(row.author.email),
    topic: row.topic,
    content: row.content,
    createdAt: row.createdAt.toISOString(),
    clientMsgId: row.clientMsgId,
  }
}

/** Prisma `select` giving a MessageRow. */
export const messageRowSelect = {
  id: true,
  roomId: true,
  seq: true,
  topic: true,
  content: true,
  clientMsgId: true,
  createdAt: true,
  author: { select: { id: true, username: true, email: true } },
} as const
