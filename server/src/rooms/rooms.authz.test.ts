// Authorization matrix: every room-scoped route and socket event, run as every kind of caller
// against a public and a private room. The expected outcome of each cell is data; a route the server
// serves, or a client event of the contract (CLIENT_EVENTS), without a row here fails the coverage test.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import jwt from 'jsonwebtoken'
import {
  ack,
  api,
  clientMsgId,
  connect,
  listRoutes,
  register,
  startServer,
  type TestServer,
  uniqueName,
} from '../../test/helpers'
import type { SessionDto } from '../contract/auth'
import { CLIENT_EVENTS } from '../contract/events'
import { png } from '../../test/files'

const ROLES = ['creator', 'participant', 'removed', 'outsider', 'guest', 'anonymous', 'expired', 'forged'] as const
type Role = (typeof ROLES)[number]
/** `direct`: a direct conversation of creator (who opened it), participant and other (issue 19). */
type Kind = 'public' | 'private' | 'direct'
/** An HTTP status, an ack outcome ('ok' or an error code), 'refused' (handshake), or 'listed'/'hidden'. */
type Outcome = number | string
type Expect = Record<Role, Outcome>

type Ctx = {
  roomId: string
  token: string | undefined
  /** A participant of the private room other than the caller (the target of "remove someone"). */
  other: string
  /** A registered user who is in no room (the target of "add someone"). */
  newcomer: string
  self: string | null
}

/** `signal`: what a caller's sockets receive (server-sent events of issue 18), not a command. */
type Row = {
  name: string
  kind: 'rest' | 'socket' | 'signal'
  run: (ctx: Ctx) => Promise<Outcome>
  expect: Record<Kind, Expect>
}

/** Same expectation for the four bad/guest token kinds: [guest, anonymous, expired, forged]. */
const users = (c: Outcome, p: Outcome, r: Outcome, o: Outcome) => ({
  creator: c,
  participant: p,
  removed: r,
  outsider: o,
})
const rest401 = { guest: 401, anonymous: 401, expired: 401, forged: 401 }
const restRead = (pub: boolean) => ({ guest: pub ? 200 : 404, anonymous: pub ? 200 : 404, expired: 401, forged: 401 })
const sock = (guest: Outcome) => ({ guest, anonymous: guest, expired: 'refused', forged: 'refused' })

let server: TestServer
let sessions: Record<'creator' | 'participant' | 'other' | 'removed' | 'outsider' | 'newcomer', SessionDto>
let tokens: Record<Role, string | undefined>

const rest =
  <C extends Ctx>(method: string, path: (c: C) => string, body?: (c: C) => unknown) =>
  async (ctx: C) =>
    (await api(server.url, method, path(ctx), { token: ctx.token, body: body?.(ctx) })).status

const socket =
  <C extends Ctx>(event: string, payload: (c: C) => unknown) =>
  async (ctx: C) => {
    let s: Awaited<ReturnType<typeof connect>>
    try {
      s = await connect(server.url, ctx.token)
    } catch {
      return 'refused'
    }
    try {
      const res = await ack(s, event, payload(ctx))
      return res.ok ? 'ok' : res.error.code
    } finally {
      s.close()
    }
  }

/**
 * Runs `run` on a message the participant (not the creator) just posted in the room: the target of the
 * edit and delete rows. Its author may edit and delete it, the room's creator may only delete it.
 */
const onParticipantMessage =
  (run: (ctx: Ctx & { messageId: string }) => Promise<Outcome>) =>
  async (ctx: Ctx): Promise<Outcome> => {
    const res = await api(server.url, 'POST', `/api/rooms/${ctx.roomId}/messages`, {
      token: sessions.participant.token,
      body: { content: 'matrix target', clientMsgId: clientMsgId() },
    })
    assert.equal(res.status, 201)
    return run({ ...ctx, messageId: res.body.message.id })
  }

const MATRIX: Row[] = [
  {
    name: 'GET /api/rooms',
    kind: 'rest',
    run: async (ctx) => {
      const res = await api(server.url, 'GET', '/api/rooms', { token: ctx.token })
      if (res.status !== 200) return res.status
      return res.body.rooms.some((r: { id: string }) => r.id === ctx.roomId) ? 'listed' : 'hidden'
    },
    expect: {
      public: {
        ...users('listed', 'listed', 'listed', 'listed'),
        guest: 'listed',
        anonymous: 'listed',
        expired: 401,
        forged: 401,
      },
      private: {
        ...users('listed', 'listed', 'hidden', 'hidden'),
        guest: 'hidden',
        anonymous: 'hidden',
        expired: 401,
        forged: 401,
      },
      direct: {
        ...users('hidden', 'hidden', 'hidden', 'hidden'),
        guest: 'hidden',
        anonymous: 'hidden',
        expired: 401,
        forged: 401,
      },
    },
  },
  {
    name: 'GET /api/rooms/:id',
    kind: 'rest',
    run: rest('GET', (c) => `/api/rooms/${c.roomId}`),
    expect: {
      public: { ...users(200, 200, 200, 200), ...restRead(true) },
      private: { ...users(200, 200, 404, 404), ...restRead(false) },
      direct: { ...users(200, 200, 404, 404), ...restRead(false) },
    },
  },
  {
    name: 'DELETE /api/rooms/:id',
    kind: 'rest',
    run: rest('DELETE', (c) => `/api/rooms/${c.roomId}`),
    expect: {
      public: { ...users(204, 403, 403, 403), ...rest401 },
      private: { ...users(204, 403, 404, 404), ...rest401 },
      direct: { ...users(403, 403, 404, 404), ...rest401 },
    },
  },
  {
    name: 'GET /api/rooms/:id/participants',
    kind: 'rest',
    run: rest('GET', (c) => `/api/rooms/${c.roomId}/participants`),
    expect: {
      public: { ...users(200, 200, 200, 200), ...restRead(true) },
      private: { ...users(200, 200, 404, 404), ...restRead(false) },
      direct: { ...users(200, 200, 404, 404), ...restRead(false) },
    },
  },
  {
    name: 'POST /api/rooms/:id/participants',
    kind: 'rest',
    run: rest(
      'POST',
      (c) => `/api/rooms/${c.roomId}/participants`,
      (c) => ({ username: c.newcomer }),
    ),
    expect: {
      public: { ...users(400, 403, 403, 403), ...rest401 },
      private: { ...users(201, 403, 404, 404), ...rest401 },
      direct: { ...users(403, 403, 404, 404), ...rest401 },
    },
  },
  {
    name: 'DELETE /api/rooms/:id/participants/:username (someone else)',
    kind: 'rest',
    run: rest('DELETE', (c) => `/api/rooms/${c.roomId}/participants/${c.other}`),
    expect: {
      public: { ...users(400, 403, 403, 403), ...rest401 },
      private: { ...users(204, 403, 404, 404), ...rest401 },
      direct: { ...users(403, 403, 404, 404), ...rest401 },
    },
  },
  {
    name: 'DELETE /api/rooms/:id/participants/:username (themself: leave)',
    kind: 'rest',
    run: rest('DELETE', (c) => `/api/rooms/${c.roomId}/participants/${c.self ?? 'nobody'}`),
    expect: {
      public: { ...users(400, 400, 400, 400), ...rest401 },
      private: { ...users(403, 204, 404, 404), ...rest401 },
      direct: { ...users(403, 403, 404, 404), ...rest401 },
    },
  },
  {
    name: 'GET /api/rooms/:id/messages',
    kind: 'rest',
    run: rest('GET', (c) => `/api/rooms/${c.roomId}/messages`),
    expect: {
      public: { ...users(200, 200, 200, 200), ...restRead(true) },
      private: { ...users(200, 200, 404, 404), ...restRead(false) },
      direct: { ...users(200, 200, 404, 404), ...restRead(false) },
    },
  },
  {
    name: 'POST /api/rooms/:id/messages',
    kind: 'rest',
    run: rest(
      'POST',
      (c) => `/api/rooms/${c.roomId}/messages`,
      () => ({ content: 'matrix', clientMsgId: clientMsgId() }),
    ),
    expect: {
      public: { ...users(201, 201, 201, 201), ...rest401 },
      private: { ...users(201, 201, 404, 404), ...rest401 },
      direct: { ...users(201, 201, 404, 404), ...rest401 },
    },
  },
  {
    name: 'PATCH /api/rooms/:id/messages/:messageId',
    kind: 'rest',
    run: onParticipantMessage(
      rest(
        'PATCH',
        (c) => `/api/rooms/${c.roomId}/messages/${c.messageId}`,
        () => ({ content: 'matrix edit' }),
      ),
    ),
    expect: {
      public: { ...users(403, 200, 403, 403), ...rest401 },
      private: { ...users(403, 200, 404, 404), ...rest401 },
      direct: { ...users(403, 200, 404, 404), ...rest401 },
    },
  },
  {
    name: 'DELETE /api/rooms/:id/messages/:messageId',
    kind: 'rest',
    run: onParticipantMessage(rest('DELETE', (c) => `/api/rooms/${c.roomId}/messages/${c.messageId}`)),
    expect: {
      public: { ...users(200, 200, 403, 403), ...rest401 },
      private: { ...users(200, 200, 404, 404), ...rest401 },
      direct: { ...users(403, 200, 404, 404), ...rest401 },
    },
  },
  {
    name: 'GET /api/rooms/:id/changes',
    kind: 'rest',
    run: rest('GET', (c) => `/api/rooms/${c.roomId}/changes?after=0`),
    expect: {
      public: { ...users(200, 200, 200, 200), ...restRead(true) },
      private: { ...users(200, 200, 404, 404), ...restRead(false) },
      direct: { ...users(200, 200, 404, 404), ...restRead(false) },
    },
  },
  // --- Replies, votes and reactions (issue 16): readers read threads and counts, posters act.
  {
    name: 'POST /api/rooms/:id/messages (a reply)',
    kind: 'rest',
    run: onParticipantMessage(
      rest(
        'POST',
        (c) => `/api/rooms/${c.roomId}/messages`,
        (c) => ({ content: 'matrix reply', clientMsgId: clientMsgId(), replyTo: c.messageId }),
      ),
    ),
    expect: {
      public: { ...users(201, 201, 201, 201), ...rest401 },
      private: { ...users(201, 201, 404, 404), ...rest401 },
      direct: { ...users(201, 201, 404, 404), ...rest401 },
    },
  },
  {
    name: 'GET /api/rooms/:id/messages (top)',
    kind: 'rest',
    run: rest('GET', (c) => `/api/rooms/${c.roomId}/messages?order=top`),
    expect: {
      public: { ...users(200, 200, 200, 200), ...restRead(true) },
      private: { ...users(200, 200, 404, 404), ...restRead(false) },
      direct: { ...users(200, 200, 404, 404), ...restRead(false) },
    },
  },
  {
    name: 'GET /api/rooms/:id/messages/:messageId/thread',
    kind: 'rest',
    run: onParticipantMessage(rest('GET', (c) => `/api/rooms/${c.roomId}/messages/${c.messageId}/thread`)),
    expect: {
      public: { ...users(200, 200, 200, 200), ...restRead(true) },
      private: { ...users(200, 200, 404, 404), ...restRead(false) },
      direct: { ...users(200, 200, 404, 404), ...restRead(false) },
    },
  },
  {
    name: 'POST /api/rooms/:id/messages/:messageId/vote',
    kind: 'rest',
    run: onParticipantMessage(
      rest(
        'POST',
        (c) => `/api/rooms/${c.roomId}/messages/${c.messageId}/vote`,
        () => ({ vote: 'up' }),
      ),
    ),
    expect: {
      public: { ...users(200, 200, 200, 200), ...rest401 },
      private: { ...users(200, 200, 404, 404), ...rest401 },
      direct: { ...users(200, 200, 404, 404), ...rest401 },
    },
  },
  {
    name: 'POST /api/rooms/:id/messages/:messageId/reactions',
    kind: 'rest',
    run: onParticipantMessage(
      rest(
        'POST',
        (c) => `/api/rooms/${c.roomId}/messages/${c.messageId}/reactions`,
        () => ({ emoji: '👍' }),
      ),
    ),
    expect: {
      public: { ...users(200, 200, 200, 200), ...rest401 },
      private: { ...users(200, 200, 404, 404), ...rest401 },
      direct: { ...users(200, 200, 404, 404), ...rest401 },
    },
  },
  {
    name: 'message:vote',
    kind: 'socket',
    run: onParticipantMessage(
      socket('message:vote', (c) => ({ roomId: c.roomId, messageId: c.messageId, vote: 'down' })),
    ),
    expect: {
      public: { ...users('ok', 'ok', 'ok', 'ok'), ...sock('unauthenticated') },
      private: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
      direct: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
    },
  },
  {
    name: 'message:react',
    kind: 'socket',
    run: onParticipantMessage(
      socket('message:react', (c) => ({ roomId: c.roomId, messageId: c.messageId, emoji: '🎉' })),
    ),
    expect: {
      public: { ...users('ok', 'ok', 'ok', 'ok'), ...sock('unauthenticated') },
      private: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
      direct: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
    },
  },
  {
    name: 'room:join',
    kind: 'socket',
    run: socket('room:join', (c) => c.roomId),
    expect: {
      public: { ...users('ok', 'ok', 'ok', 'ok'), ...sock('ok') },
      private: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('not_found') },
      direct: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('not_found') },
    },
  },
  {
    name: 'room:leave',
    kind: 'socket',
    run: socket('room:leave', (c) => c.roomId),
    expect: {
      public: { ...users('ok', 'ok', 'ok', 'ok'), ...sock('ok') },
      private: { ...users('ok', 'ok', 'ok', 'ok'), ...sock('ok') },
      direct: { ...users('ok', 'ok', 'ok', 'ok'), ...sock('ok') },
    },
  },
  {
    name: 'message:send',
    kind: 'socket',
    run: socket('message:send', (c) => ({ roomId: c.roomId, content: 'matrix', clientMsgId: clientMsgId() })),
    expect: {
      public: { ...users('ok', 'ok', 'ok', 'ok'), ...sock('unauthenticated') },
      private: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
      direct: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
    },
  },
  {
    name: 'message:edit',
    kind: 'socket',
    run: onParticipantMessage(
      socket('message:edit', (c) => ({ roomId: c.roomId, messageId: c.messageId, content: 'matrix edit' })),
    ),
    expect: {
      public: { ...users('forbidden', 'ok', 'forbidden', 'forbidden'), ...sock('unauthenticated') },
      private: { ...users('forbidden', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
      direct: { ...users('forbidden', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
    },
  },
  {
    name: 'message:delete',
    kind: 'socket',
    run: onParticipantMessage(socket('message:delete', (c) => ({ roomId: c.roomId, messageId: c.messageId }))),
    expect: {
      public: { ...users('ok', 'ok', 'forbidden', 'forbidden'), ...sock('unauthenticated') },
      private: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
      direct: { ...users('forbidden', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
    },
  },
  {
    name: 'typing:set',
    kind: 'socket',
    run: socket('typing:set', (c) => ({ roomId: c.roomId, typing: true })),
    expect: {
      public: { ...users('ok', 'ok', 'ok', 'ok'), ...sock('unauthenticated') },
      private: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
      direct: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
    },
  },
  // Issue 19: closing a direct conversation (any other room is not one: not_found).
  {
    name: 'POST /api/dms/:id/close',
    kind: 'rest',
    run: rest('POST', (c) => `/api/dms/${c.roomId}/close`),
    expect: {
      public: { ...users(404, 404, 404, 404), ...rest401 },
      private: { ...users(404, 404, 404, 404), ...rest401 },
      direct: { ...users(204, 204, 404, 404), ...rest401 },
    },
  },
  // --- Ephemeral messages, slash commands, escalations (issue 20).
  {
    name: 'ephemeral:send',
    kind: 'socket',
    run: socket('ephemeral:send', (c) => ({ roomId: c.roomId, content: 'matrix', clientMsgId: clientMsgId() })),
    expect: {
      public: { ...users('ok', 'ok', 'ok', 'ok'), ...sock('unauthenticated') },
      private: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
      direct: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
    },
  },
  {
    name: 'command:run',
    kind: 'socket',
    run: socket('command:run', (c) => ({ roomId: c.roomId, text: '/who', clientMsgId: clientMsgId() })),
    expect: {
      public: { ...users('ok', 'ok', 'ok', 'ok'), ...sock('unauthenticated') },
      private: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
      direct: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
    },
  },
  {
    name: 'GET /api/rooms/:id/commands',
    kind: 'rest',
    run: rest('GET', (c) => `/api/rooms/${c.roomId}/commands`),
    expect: {
      public: { ...users(200, 200, 200, 200), ...rest401 },
      private: { ...users(200, 200, 404, 404), ...rest401 },
      direct: { ...users(200, 200, 404, 404), ...rest401 },
    },
  },
  {
    name: 'GET /api/rooms/:id/escalations',
    kind: 'rest',
    run: rest('GET', (c) => `/api/rooms/${c.roomId}/escalations`),
    expect: {
      public: { ...users(200, 200, 200, 200), ...restRead(true) },
      private: { ...users(200, 200, 404, 404), ...restRead(false) },
      direct: { ...users(200, 200, 404, 404), ...restRead(false) },
    },
  },
  // Search (issue 17)
  {
    name: 'GET /api/search (roomId)',
    kind: 'rest',
    run: rest('GET', (c) => `/api/search?q=matrix&roomId=${c.roomId}`),
    expect: {
      public: { ...users(200, 200, 200, 200), ...restRead(true) },
      private: { ...users(200, 200, 404, 404), ...restRead(false) },
      direct: { ...users(200, 200, 404, 404), ...restRead(false) },
    },
  },
  {
    name: 'GET /api/search (a word only in this room)',
    kind: 'rest',
    run: async (ctx) => {
      const word = `w${clientMsgId()}`
      const sent = await api(server.url, 'POST', `/api/rooms/${ctx.roomId}/messages`, {
        token: sessions.creator.token,
        body: { content: `matrix ${word}`, clientMsgId: clientMsgId() },
      })
      assert.equal(sent.status, 201)
      const res = await api(server.url, 'GET', `/api/search?q=${word}`, { token: ctx.token })
      if (res.status !== 200) return res.status
      return res.body.results.length > 0 ? 'found' : 'none'
    },
    expect: {
      public: {
        ...users('found', 'found', 'found', 'found'),
        guest: 'found',
        anonymous: 'found',
        expired: 401,
        forged: 401,
      },
      private: {
        ...users('found', 'found', 'none', 'none'),
        guest: 'none',
        anonymous: 'none',
        expired: 401,
        forged: 401,
      },
      direct: {
        ...users('found', 'found', 'none', 'none'),
        guest: 'none',
        anonymous: 'none',
        expired: 401,
        forged: 401,
      },
    },
  },
  {
    name: 'POST /api/filters (roomId)',
    kind: 'rest',
    run: rest(
      'POST',
      () => '/api/filters',
      (c) => ({ name: 'matrix', query: 'matrix', roomId: c.roomId }),
    ),
    expect: {
      public: { ...users(201, 201, 201, 201), ...rest401 },
      private: { ...users(201, 201, 404, 404), ...rest401 },
      direct: { ...users(201, 201, 404, 404), ...rest401 },
    },
  },
  {
    name: 'rooms:watch',
    kind: 'socket',
    run: async (ctx) => {
      let s: Awaited<ReturnType<typeof connect>>
      try {
        s = await connect(server.url, ctx.token)
      } catch {
        return 'refused'
      }
      try {
        const res = await ack(s, 'rooms:watch', { roomIds: [ctx.roomId] })
        if (!res.ok) return res.error.code
        return (res as unknown as { roomIds: string[] }).roomIds.includes(ctx.roomId) ? 'watching' : 'left out'
      } finally {
        s.close()
      }
    },
    expect: {
      public: { ...users('watching', 'watching', 'watching', 'watching'), ...sock('watching') },
      private: { ...users('watching', 'watching', 'left out', 'left out'), ...sock('left out') },
      direct: { ...users('watching', 'watching', 'left out', 'left out'), ...sock('left out') },
    },
  },
  // Unread counts, mentions and receipts (issue 18)
  {
    name: 'POST /api/rooms/:id/read',
    kind: 'rest',
    run: rest(
      'POST',
      (c) => `/api/rooms/${c.roomId}/read`,
      () => ({}),
    ),
    expect: {
      public: { ...users(200, 200, 200, 200), ...rest401 },
      private: { ...users(200, 200, 404, 404), ...rest401 },
      direct: { ...users(200, 200, 404, 404), ...rest401 },
    },
  },
  {
    name: 'PATCH /api/rooms/:id/notify',
    kind: 'rest',
    run: rest(
      'PATCH',
      (c) => `/api/rooms/${c.roomId}/notify`,
      () => ({ level: 'all' }),
    ),
    expect: {
      public: { ...users(200, 200, 200, 200), ...rest401 },
      private: { ...users(200, 200, 404, 404), ...rest401 },
      direct: { ...users(200, 200, 404, 404), ...rest401 },
    },
  },
  {
    name: 'GET /api/rooms/:id/receipts',
    kind: 'rest',
    run: rest('GET', (c) => `/api/rooms/${c.roomId}/receipts`),
    expect: {
      public: { ...users(200, 200, 200, 200), ...rest401 },
      private: { ...users(200, 200, 404, 404), ...rest401 },
      direct: { ...users(200, 200, 404, 404), ...rest401 },
    },
  },
  {
    name: 'read:mark',
    kind: 'socket',
    run: socket('read:mark', (c) => ({ roomId: c.roomId })),
    expect: {
      public: { ...users('ok', 'ok', 'ok', 'ok'), ...sock('unauthenticated') },
      private: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
      direct: { ...users('ok', 'ok', 'not_found', 'not_found'), ...sock('unauthenticated') },
    },
  },
  {
    // Not a client event: what the caller's sockets hear of the room (room:activity, read:changed,
    // receipt:changed) after trying to open it and reading it, when another member mentions them.
    name: 'room:activity and read:changed (a mention while away)',
    kind: 'signal',
    run: async (ctx) => {
      let s: Awaited<ReturnType<typeof connect>>
      try {
        s = await connect(server.url, ctx.token)
      } catch {
        return 'refused'
      }
      try {
        const heard: string[] = []
        s.onAny((event: string, payload: { roomId?: string }) => {
          if (payload?.roomId === ctx.roomId && event !== 'room:presence') heard.push(event)
        })
        await ack(s, 'room:join', ctx.roomId)
        await ack(s, 'read:mark', { roomId: ctx.roomId })
        await ack(s, 'room:leave', ctx.roomId)
        heard.length = 0
        const sent = await api(server.url, 'POST', `/api/rooms/${ctx.roomId}/messages`, {
          token: sessions.other.token,
          body: { content: `matrix @${ctx.self ?? 'nobody'} @room`, clientMsgId: clientMsgId() },
        })
        assert.equal(sent.status, 201)
        const until = Date.now() + 400
        while (Date.now() < until && !heard.includes('room:activity')) await new Promise((r) => setTimeout(r, 20))
        return heard.includes('room:activity') ? 'heard' : heard.length > 0 ? heard.join(',') : 'silent'
      } finally {
        s.close()
      }
    },
    expect: {
      public: { ...users('heard', 'heard', 'heard', 'heard'), ...sock('silent') },
      private: { ...users('heard', 'heard', 'silent', 'silent'), ...sock('silent') },
      direct: { ...users('heard', 'heard', 'silent', 'silent'), ...sock('silent') },
    },
  },
  // --- Uploads (issue 21): posters upload and attach; readers get signed links and download.
  {
    name: 'POST /api/rooms/:id/uploads',
    kind: 'rest',
    run: async (ctx) => (await uploadAs(ctx.token, ctx.roomId)).status,
    expect: {
      public: { ...users(201, 201, 201, 201), ...rest401 },
      private: { ...users(201, 201, 404, 404), ...rest401 },
      direct: { ...users(201, 201, 404, 404), ...rest401 },
    },
  },
  {
    name: 'POST /api/rooms/:id/messages (with an attachment)',
    kind: 'rest',
    run: async (ctx) => {
      const up = await uploadAs(ctx.token, ctx.roomId)
      if (up.status !== 201) return up.status
      return rest(
        'POST',
        (c) => `/api/rooms/${c.roomId}/messages`,
        () => ({ content: '', clientMsgId: clientMsgId(), attachments: [up.body.upload.id] }),
      )(ctx)
    },
    expect: {
      public: { ...users(201, 201, 201, 201), ...rest401 },
      private: { ...users(201, 201, 404, 404), ...rest401 },
      direct: { ...users(201, 201, 404, 404), ...rest401 },
    },
  },
  {
    name: 'POST /api/rooms/:id/uploads/links',
    kind: 'rest',
    run: async (ctx) => {
      const uploadId = await participantFile(ctx.roomId)
      const res = await api(server.url, 'POST', `/api/rooms/${ctx.roomId}/uploads/links`, {
        token: ctx.token,
        body: { ids: [uploadId] },
      })
      return res.status === 200 ? (res.body.links.length === 1 ? 'linked' : 'none') : res.status
    },
    expect: {
      public: {
        ...users('linked', 'linked', 'linked', 'linked'),
        guest: 'linked',
        anonymous: 'linked',
        expired: 401,
        forged: 401,
      },
      private: { ...users('linked', 'linked', 404, 404), ...restRead(false) },
      direct: { ...users('linked', 'linked', 404, 404), ...restRead(false) },
    },
  },
  {
    // The caller's own link when it may have one; otherwise the participant's link re-addressed to
    // the caller (a link names its viewer, and the room is checked for that viewer at every download).
    name: 'GET /api/files/:uploadId/:variant',
    kind: 'rest',
    run: async (ctx) => {
      const uploadId = await participantFile(ctx.roomId)
      const own = await api(server.url, 'POST', `/api/rooms/${ctx.roomId}/uploads/links`, {
        token: ctx.token,
        body: { ids: [uploadId] },
      })
      if (own.status === 401) return 401
      let url: string = own.body.links?.[0]?.url
      if (!url) {
        const theirs = await api(server.url, 'POST', `/api/rooms/${ctx.roomId}/uploads/links`, {
          token: sessions.participant.token,
          body: { ids: [uploadId] },
        })
        const me = ctx.token ? (jwt.decode(ctx.token) as { sub: string; kind: string }) : null
        const who = me ? `${me.kind === 'user' ? 'u' : 'g'}.${me.sub}` : 'g.00000000-0000-0000-0000-000000000000'
        url = theirs.body.links[0].url.replace(/v=[^&]+/, `v=${encodeURIComponent(who)}`)
      }
      return (await fetch(`${server.url}${url}`)).status
    },
    expect: {
      public: { ...users(200, 200, 200, 200), guest: 200, anonymous: 200, expired: 401, forged: 401 },
      private: { ...users(200, 200, 404, 404), guest: 404, anonymous: 404, expired: 401, forged: 401 },
      direct: { ...users(200, 200, 404, 404), guest: 404, anonymous: 404, expired: 401, forged: 401 },
    },
  },
]

/** Uploads a small PNG to the room as the token's holder (issue 21). */
async function uploadAs(token: string | undefined, roomId: string) {
  const res = await fetch(`${server.url}/api/rooms/${roomId}/uploads?name=matrix.png`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: new Uint8Array(await png(8, 8)),
  })
  return { status: res.status, body: await res.json() }
}

/** A file the participant just posted in the room: the target of the link and download rows. */
async function participantFile(roomId: string): Promise<string> {
  const up = await uploadAs(sessions.participant.token, roomId)
  assert.equal(up.status, 201)
  const sent = await api(server.url, 'POST', `/api/rooms/${roomId}/messages`, {
    token: sessions.participant.token,
    body: { content: 'file', clientMsgId: clientMsgId(), attachments: [up.body.upload.id] },
  })
  assert.equal(sent.status, 201)
  return up.body.upload.id
}

/** Routes that are not about one room, each tested by role here too (expected status per role). */
const GLOBAL_ROUTES: { name: string; run: (token: string | undefined) => Promise<number>; expect: Expect }[] = [
  {
    name: 'POST /api/rooms',
    run: async (token) =>
      (await api(server.url, 'POST', '/api/rooms', { token, body: { name: uniqueName('r') } })).status,
    expect: { ...users(201, 201, 201, 201), ...rest401 },
  },
  {
    name: 'GET /api/users',
    run: async (token) => (await api(server.url, 'GET', '/api/users?query=a', { token })).status,
    expect: { ...users(200, 200, 200, 200), ...rest401 },
  },
  // Issue 19: direct conversations, profiles, account settings.
  {
    name: 'GET /api/dms',
    run: async (token) => (await api(server.url, 'GET', '/api/dms', { token })).status,
    expect: { ...users(200, 200, 200, 200), ...rest401 },
  },
  {
    name: 'POST /api/dms',
    run: async (token) =>
      (await api(server.url, 'POST', '/api/dms', { token, body: { usernames: [sessions.newcomer.user.username] } }))
        .status,
    expect: { ...users(201, 201, 201, 201), ...rest401 },
  },
  {
    name: 'GET /api/profiles/:username',
    run: async (token) =>
      (await api(server.url, 'GET', `/api/profiles/${sessions.newcomer.user.username}`, { token })).status,
    expect: { ...users(200, 200, 200, 200), ...rest401 },
  },
  {
    name: 'PATCH /api/profile',
    run: async (token) =>
      (await api(server.url, 'PATCH', '/api/profile', { token, body: { statusText: 'in the matrix' } })).status,
    expect: { ...users(200, 200, 200, 200), ...rest401 },
  },
  {
    name: 'POST /api/auth/email',
    run: async (token) =>
      (
        await api(server.url, 'POST', '/api/auth/email', {
          token,
          body: { email: `${uniqueName('mail')}@example.com`, currentPassword: 'correct horse battery' },
        })
      ).status,
    expect: { ...users(200, 200, 200, 200), ...rest401 },
  },
  {
    // With a wrong password (a right one would delete the caller): the check runs for users only.
    name: 'DELETE /api/auth/account',
    run: async (token) =>
      (await api(server.url, 'DELETE', '/api/auth/account', { token, body: { currentPassword: 'not it at all' } })).body
        .error.code,
    expect: {
      ...users('invalid_credentials', 'invalid_credentials', 'invalid_credentials', 'invalid_credentials'),
      guest: 'unauthenticated',
      anonymous: 'unauthenticated',
      expired: 'unauthenticated',
      forged: 'unauthenticated',
    },
  },
  {
    name: 'GET /api/escalations',
    run: async (token) => (await api(server.url, 'GET', '/api/escalations', { token })).status,
    expect: { ...users(200, 200, 200, 200), ...rest401 },
  },
  {
    name: 'GET /api/auth/me',
    run: async (token) => (await api(server.url, 'GET', '/api/auth/me', { token })).status,
    expect: { ...users(200, 200, 200, 200), ...rest401 },
  },
  // Search (issue 17): saved filters belong to the creator's account; anyone else's answer is 404.
  {
    name: 'GET /api/filters',
    run: async (token) => (await api(server.url, 'GET', '/api/filters', { token })).status,
    expect: { ...users(200, 200, 200, 200), ...rest401 },
  },
  {
    name: 'PATCH /api/filters/:filterId',
    run: async (token) =>
      (await api(server.url, 'PATCH', `/api/filters/${await creatorsFilter()}`, { token, body: { name: 'renamed' } }))
        .status,
    expect: { ...users(200, 404, 404, 404), ...rest401 },
  },
  {
    name: 'DELETE /api/filters/:filterId',
    run: async (token) => (await api(server.url, 'DELETE', `/api/filters/${await creatorsFilter()}`, { token })).status,
    expect: { ...users(204, 404, 404, 404), ...rest401 },
  },
  // Issue 18: the caller's own unread badges and receipt setting.
  {
    name: 'GET /api/unread',
    run: async (token) => (await api(server.url, 'GET', '/api/unread', { token })).status,
    expect: { ...users(200, 200, 200, 200), ...rest401 },
  },
  {
    name: 'GET /api/read-settings',
    run: async (token) => (await api(server.url, 'GET', '/api/read-settings', { token })).status,
    expect: { ...users(200, 200, 200, 200), ...rest401 },
  },
  {
    name: 'PATCH /api/read-settings',
    run: async (token) =>
      (await api(server.url, 'PATCH', '/api/read-settings', { token, body: { readReceipts: true } })).status,
    expect: { ...users(200, 200, 200, 200), ...rest401 },
  },
  // Uploads (issue 21): the limits in force, and your own profile picture.
  {
    name: 'GET /api/uploads/limits',
    run: async (token) => (await api(server.url, 'GET', '/api/uploads/limits', { token })).status,
    expect: { ...users(200, 200, 200, 200), ...rest401 },
  },
  {
    name: 'PUT /api/profile/avatar',
    run: async (token) =>
      (
        await fetch(`${server.url}/api/profile/avatar`, {
          method: 'PUT',
          headers: {
            'content-type': 'application/octet-stream',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: new Uint8Array(await png(20, 20)),
        })
      ).status,
    expect: { ...users(200, 200, 200, 200), ...rest401 },
  },
  {
    name: 'DELETE /api/profile/avatar',
    run: async (token) => (await api(server.url, 'DELETE', '/api/profile/avatar', { token })).status,
    expect: { ...users(204, 204, 204, 204), ...rest401 },
  },
]

/** A new saved filter of the creator's (the target of the filter rows). */
async function creatorsFilter(): Promise<string> {
  const res = await api(server.url, 'POST', '/api/filters', {
    token: sessions.creator.token,
    body: { name: 'matrix', query: 'matrix' },
  })
  assert.equal(res.status, 201)
  return res.body.filter.id
}

/** Routes open to anyone by design (tested in their own suites). */
const OPEN_ROUTES = [
  'GET /healthz',
  'GET /readyz',
  'POST /api/auth/register',
  'POST /api/auth/login',
  'POST /api/auth/guest',
  'POST /api/auth/logout', // needs a user token; revokes it, so it is tested in auth.test.ts
  'POST /api/auth/password', // same: revokes the caller's tokens (auth.test.ts)
  'POST /api/auth/logout-others', // same: revokes the caller's other tokens (auth/account.test.ts)
  'GET /metrics', // counts only, for the cluster's scraper (http.test.ts)
  'GET regexp:^\\/(?!api\\/|socket\\.io\\/).*', // the web UI's index.html (served when web/dist is built)
  'GET /api/presence',
  // Issue 21: a profile picture by its random id, shown with profiles (uploads.s3.test.ts).
  'GET /api/avatars/:avatarId',
]

async function freshRoom(kind: Kind): Promise<string> {
  const c = sessions.creator
  if (kind === 'direct') {
    // One conversation per set: every call returns the same one (its members are fixed, nobody can
    // delete it, so no row changes what the next one finds). "removed" is simply not a member.
    const res = await api(server.url, 'POST', '/api/dms', {
      token: c.token,
      body: { usernames: [sessions.participant.user.username, sessions.other.user.username] },
    })
    assert.ok(res.status === 200 || res.status === 201)
    return res.body.conversation.room.id
  }
  const body =
    kind === 'private'
      ? {
          name: uniqueName('priv'),
          isPrivate: true,
          participants: [
            sessions.participant.user.username,
            sessions.other.user.username,
            sessions.removed.user.username,
          ],
        }
      : { name: uniqueName('pub') }
  const res = await api(server.url, 'POST', '/api/rooms', { token: c.token, body })
  assert.equal(res.status, 201)
  const roomId = res.body.room.id
  if (kind === 'private') {
    const removed = await api(
      server.url,
      'DELETE',
      `/api/rooms/${roomId}/participants/${sessions.removed.user.username}`,
      {
        token: c.token,
      },
    )
    assert.equal(removed.status, 204)
  }
  return roomId
}

before(async () => {
  server = await startServer()
  const [creator, participant, other, removed, outsider, newcomer] = await Promise.all(
    [1, 2, 3, 4, 5, 6].map(() => register(server.url)),
  )
  sessions = { creator, participant, other, removed, outsider, newcomer }
  const secret = server.config.JWT_SECRET
  const claims = { kind: 'user', tv: 0 }
  const opts = { subject: creator.user.id, issuer: 'parlor', audience: 'parlor' }
  tokens = {
    creator: creator.token,
    participant: participant.token,
    removed: removed.token,
    outsider: outsider.token,
    guest: (await api(server.url, 'POST', '/api/auth/guest')).body.token,
    anonymous: undefined,
    expired: jwt.sign(claims, secret, { ...opts, expiresIn: -60 }),
    forged: jwt.sign(claims, 'not-the-server-secret-but-long-enough!!', { ...opts, expiresIn: 600 }),
  }
})
after(() => server.stop())

describe('authorization matrix', () => {
  for (const row of MATRIX) {
    for (const kind of ['public', 'private', 'direct'] as const) {
      test(`${row.name} on a ${kind} room`, async () => {
        const actual: Partial<Expect> = {}
        for (const role of ROLES) {
          const roomId = await freshRoom(kind)
          const self =
            role === 'creator' || role === 'participant' || role === 'removed' || role === 'outsider'
              ? sessions[role].user.username
              : null
          actual[role] = await row.run({
            roomId,
            token: tokens[role],
            other: sessions.other.user.username,
            newcomer: sessions.newcomer.user.username,
            self,
          })
        }
        assert.deepEqual(actual, row.expect[kind])
      })
    }
  }

  for (const route of GLOBAL_ROUTES) {
    test(`${route.name} by role`, async () => {
      const actual: Partial<Expect> = {}
      for (const role of ROLES) actual[role] = await route.run(tokens[role])
      assert.deepEqual(actual, route.expect)
    })
  }

  test('every route and socket event the server serves has a row', async () => {
    const covered = new Set([
      ...MATRIX.filter((r) => r.kind === 'rest').map((r) => r.name.replace(/ \(.*\)$/, '')),
      ...GLOBAL_ROUTES.map((r) => r.name),
      ...OPEN_ROUTES,
    ])
    const served = listRoutes(server.app.express as never)
    assert.deepEqual(
      served.filter((r) => !covered.has(r)),
      [],
      'routes without a matrix row',
    )
    // Socket events all go through one onAny router (no per-event listener to list), so the contract's
    // runtime list is the source: createApp refuses to start unless each of them is routed.
    const socketRows = MATRIX.filter((r) => r.kind === 'socket').map((r) => r.name)
    assert.deepEqual(
      CLIENT_EVENTS.filter((e) => !socketRows.includes(e)),
      [],
      'socket events without a matrix row',
    )
    assert.deepEqual(
      socketRows.filter((name) => !(CLIENT_EVENTS as readonly string[]).includes(name)),
      [],
      'socket rows naming no contract event',
    )
  })
})

describe('a private room you may not read looks exactly like no room', () => {
  test('same status and body over REST and socket as a random id', async () => {
    const roomId = await freshRoom('private')
    const missing = '5f0c6a36-2f0e-4a55-9d59-1d3b1a1b0c7e'
    for (const path of ['', '/participants', '/messages', '/messages?order=top']) {
      const hidden = await api(server.url, 'GET', `/api/rooms/${roomId}${path}`, { token: tokens.outsider })
      const absent = await api(server.url, 'GET', `/api/rooms/${missing}${path}`, { token: tokens.outsider })
      assert.equal(hidden.status, 404)
      assert.deepEqual(hidden.body, absent.body)
    }
    const s = await connect(server.url, tokens.outsider)
    assert.deepEqual(await ack(s, 'room:join', roomId), await ack(s, 'room:join', missing))
    s.close()
  })

  test('same timing class: both answer with the same number of queries', async () => {
    // Both paths run the one access query of requireRoom; compare medians over repeated calls.
    const roomId = await freshRoom('private')
    const missing = '6f0c6a36-2f0e-4a55-9d59-1d3b1a1b0c7e'
    const time = async (id: string) => {
      const t = process.hrtime.bigint()
      await api(server.url, 'GET', `/api/rooms/${id}`, { token: tokens.outsider })
      return Number(process.hrtime.bigint() - t)
    }
    const hidden: number[] = []
    const absent: number[] = []
    for (let i = 0; i < 30; i++) {
      hidden.push(await time(roomId))
      absent.push(await time(missing))
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]
    const ratio = median(hidden) / median(absent)
    // Not a speed threshold: a ratio between the two paths measured in the same run. A path doing an
    // extra round trip (a membership query only for existing rooms) would show up as ≳ 1.5–2×.
    assert.ok(ratio > 0.5 && ratio < 2, `hidden/absent median ratio ${ratio.toFixed(2)}`)
  })
})
