// The baselines' minimal equivalent of what the web client asks for when it opens the app or comes
// back after a reconnect (issue 23: class login, reconnect storm, join storm): the same request set,
// answered from memory with no auth and no database, so Parlor ÷ baseline compares like with like.
// A room's history is kept in memory (the newest HISTORY_KEPT messages; seq doubles as rev).
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'

export type BaselineMessage = {
  id: string
  roomId: string
  seq: number
  rev: number
  author: { id: string; username: string }
  topic: string
  content: string
  createdAt: string
}

const HISTORY_KEPT = 500
const PAGE = 50
const rooms = new Map<string, { lastSeq: number; messages: BaselineMessage[] }>()

function roomOf(roomId: string) {
  let r = rooms.get(roomId)
  if (!r) {
    r = { lastSeq: 0, messages: [] }
    rooms.set(roomId, r)
  }
  return r
}

/** Stores a new message in the room's history and returns it (its seq and rev are the room's next). */
export function appendMessage(
  roomId: string,
  author: { id: string; username: string },
  topic: string,
  content: string,
): BaselineMessage {
  const r = roomOf(roomId)
  const seq = ++r.lastSeq
  const message = {
    id: randomUUID(),
    roomId,
    seq,
    rev: seq,
    author,
    topic,
    content,
    createdAt: new Date().toISOString(),
  }
  r.messages.push(message)
  // Trimmed in batches, so keeping history costs the broadcast scenarios next to nothing per message.
  if (r.messages.length > 2 * HISTORY_KEPT) r.messages.splice(0, r.messages.length - HISTORY_KEPT)
  return message
}

/** What `room:join` answers: the room (with its rev) and its newest page of history. */
export function joinAnswer(roomId: string) {
  const r = roomOf(roomId)
  return { ok: true, room: { id: roomId, rev: r.lastSeq }, messages: r.messages.slice(-PAGE) }
}

const json = (res: ServerResponse, body: unknown) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))

/**
 * Answers the app's GET requests (room list, directs, profile, unread, filters, escalations, a room's
 * commands, escalations and change stream) and the bench's `POST /bench/rooms/:id/fill?count=N`
 * (pre-fills a room's history). Returns false for anything else.
 */
export function baselineApp(req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const path = url.pathname
  if (req.method === 'POST') {
    const fill = /^\/bench\/rooms\/([^/]+)\/fill$/.exec(path)
    if (!fill) return false
    const count = Number(url.searchParams.get('count') ?? 0)
    const author = { id: randomUUID(), username: 'bench-filler' }
    for (let i = 0; i < count; i++) appendMessage(fill[1], author, 'bench', `history ${i} ${'x'.repeat(60)}`)
    json(res, { ok: true, lastSeq: roomOf(fill[1]).lastSeq })
    return true
  }
  if (req.method !== 'GET' || !path.startsWith('/api/')) return false
  switch (path) {
    case '/api/rooms':
      json(res, { rooms: [...rooms.keys()].slice(0, 50).map((id) => ({ id, name: id, isPrivate: false })) })
      return true
    case '/api/dms':
      json(res, { conversations: [] })
      return true
    case '/api/unread':
      json(res, { rooms: [] })
      return true
    case '/api/filters':
      json(res, { filters: [] })
      return true
    case '/api/escalations':
      json(res, { escalations: [] })
      return true
    case '/api/auth/me':
      json(res, { user: { id: 'baseline', username: 'baseline' } })
      return true
  }
  const profile = /^\/api\/profiles\/([^/]+)$/.exec(path)
  if (profile) {
    json(res, { profile: { username: decodeURIComponent(profile[1]), presence: 'online' } })
    return true
  }
  const room = /^\/api\/rooms\/([^/]+)\/(escalations|commands|changes|messages)$/.exec(path)
  if (!room) return false
  if (room[2] === 'escalations') json(res, { escalations: [] })
  else if (room[2] === 'commands') json(res, { commands: [] })
  else {
    const r = roomOf(room[1])
    const after = Number(url.searchParams.get('after') ?? 0)
    const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 100))
    const newer = r.messages.filter((m) => m.seq > after)
    const page = newer.slice(0, limit)
    if (room[2] === 'changes') json(res, { changes: page, hasMore: newer.length > limit, rev: r.lastSeq })
    else json(res, { messages: page, hasMore: newer.length > limit })
  }
  return true
}
