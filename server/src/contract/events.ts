import type { CommandResultDto, EphemeralMessageDto, EscalationDto, TRunCommand, TSendEphemeral } from './commands'
import type { DirectDto } from './directs'
import type { ErrorBody } from './errors'
import type { MessageDeletedDto, MessageDto, TDeleteMessage, TEditMessage, TSendMessage } from './messages'
import type { PresenceCounts } from './presence'
import type { ProfileDto } from './profiles'
import type { OwnStateChangedDto, TReactMessage, TVoteMessage } from './reactions'
import type { RoomDto, RoomPresenceDto, TTyping } from './rooms'
import type { FilterDto, TWatchRooms } from './search'
import type { ReceiptDto, RoomActivityDto, TMarkRead, UnreadDto } from './unread'

/**
 * Every ack has this shape: `{ ok: true, ...result }` or `{ ok: false, error }`.
 *
 * @example socket.emit('room:join', roomId, (res) => { if (res.ok) show(res.messages); else toast(res.error.message) })
 */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: ErrorBody }
export type AckFn<T extends object = object> = (response: Ack<T>) => void

/** Commands a client sends (`noun:verb`). Payloads are validated by the server's zod schemas. */
export type ClientToServerEvents = {
  /** Store a message, then broadcast `message:created`. Acks only after the row is committed. */
  'message:send': (payload: TSendMessage, ack: AckFn<{ message: MessageDto }>) => void
  /** Edit your own message (content and/or topic) within the edit window; broadcasts `message:updated`. */
  'message:edit': (payload: TEditMessage, ack: AckFn<{ message: MessageDto }>) => void
  /** Delete your own message, or any message of a room you created; broadcasts `message:deleted`. */
  'message:delete': (payload: TDeleteMessage, ack: AckFn<{ message: MessageDto }>) => void
  /** Start receiving a room's live events; answers with the room and its last 50 messages. */
  'room:join': (roomId: string, ack: AckFn<{ room: RoomDto; messages: MessageDto[] }>) => void
  /** Stop receiving a room's live events. */
  'room:leave': (roomId: string, ack: AckFn) => void
  /** Tell the room you are (or stopped) typing. */
  'typing:set': (payload: TTyping, ack: AckFn) => void
  // Search (issue 17)
  /**
   * Receive the new, edited and deleted messages of these rooms (live filters) without viewing them;
   * replaces the previous list. Rooms you may not read are left out, exactly like missing ones.
   */
  'rooms:watch': (payload: TWatchRooms, ack: AckFn<{ roomIds: string[] }>) => void
  // Votes and reactions (issue 16): toggles; acked with the message's new state (and your own).
  /** Vote up or down; the same vote again removes it. Broadcasts `message:updated` with the new counts. */
  'message:vote': (payload: TVoteMessage, ack: AckFn<{ message: MessageDto }>) => void
  /** Add or remove your reaction with one emoji. Broadcasts `message:updated` with the new counts. */
  'message:react': (payload: TReactMessage, ack: AckFn<{ message: MessageDto }>) => void
  // --- Ephemeral messages and slash commands (issue 20).
  /** Broadcast a message that is never stored to the room's current viewers (`ephemeral:created`). */
  'ephemeral:send': (payload: TSendEphemeral, ack: AckFn<{ message: EphemeralMessageDto }>) => void
  /** Run a line starting with `/` (parsed by the server); private answers come back in the ack only. */
  'command:run': (payload: TRunCommand, ack: AckFn<{ result: CommandResultDto }>) => void
  // Unread counts (issue 18)
  /** Move your read pointer (forward, or back with `unread`); acked with the room's new badge. */
  'read:mark': (payload: TMarkRead, ack: AckFn<{ unread: UnreadDto }>) => void
}

/** Every client event, at run time: the server registers a handler for each, the authz matrix a row. */
export const CLIENT_EVENTS = [
  'message:send',
  'message:edit',
  'message:delete',
  'room:join',
  'room:leave',
  'typing:set',
  'rooms:watch',
  'message:vote',
  'message:react',
  'ephemeral:send',
  'command:run',
  'read:mark',
] as const satisfies readonly (keyof ClientToServerEvents)[]

/** Fails to compile when ClientToServerEvents gains an event CLIENT_EVENTS does not list. */
export type UnlistedClientEvent = Exclude<keyof ClientToServerEvents, (typeof CLIENT_EVENTS)[number]>
const everyClientEventListed: [UnlistedClientEvent] extends [never] ? true : UnlistedClientEvent = true
void everyClientEventListed

/** Broadcasts the server sends (past tense). */
export type ServerToClientEvents = {
  /** Global online counts; sent on connect and whenever they change (coalesced). */
  'presence:changed': (counts: PresenceCounts) => void
  /** A new message in a room this socket has joined. */
  'message:created': (message: MessageDto) => void
  /** A message of a joined room was edited: its new state. */
  'message:updated': (message: MessageDto) => void
  /** A message of a joined room was deleted: ids only (its row is now a tombstone). */
  'message:deleted': (payload: MessageDeletedDto) => void
  /** You were given access to a room (created it, or were added to a private room). */
  'room:added': (room: RoomDto) => void
  /** A room you can see changed (its participant list, so its participant count). */
  'room:updated': (room: RoomDto) => void
  /** You lost access to a room (removed, left, or it was deleted); you receive nothing more from it. */
  'room:removed': (payload: { roomId: string }) => void
  /** Who is viewing a room you have joined. */
  'room:presence': (presence: RoomPresenceDto) => void
  /** Someone started or stopped typing in a room you have joined. */
  'typing:changed': (payload: { roomId: string; username: string; typing: boolean }) => void
  /**
   * Live delivery may have missed changes (an instance or its Redis link failed): fetch
   * `GET /api/rooms/:id/changes?after=<last rev you hold>` for every room you have open.
   */
  'sync:required': () => void
  // Search (issue 17)
  /** One of your saved filters was created or changed (on any of your devices). */
  'filter:saved': (filter: FilterDto) => void
  /** One of your saved filters was deleted. */
  'filter:removed': (payload: { id: string }) => void
  /** Your own vote or reactions on a message changed (on this tab or another of yours): to your sockets only. */
  'mine:changed': (payload: OwnStateChangedDto) => void
  /** An ephemeral message, to the sockets viewing its room when it was sent; never sent again. */
  'ephemeral:created': (message: EphemeralMessageDto) => void
  /** An escalation opened or resolved: to its room's viewers and to the room's creator's sockets. */
  'escalation:updated': (escalation: EscalationDto) => void
  /** Your session ended (expired or revoked); the server disconnects this socket right after. */
  'session:ended': (payload: { reason: 'expired' | 'revoked' | 'deleted' }) => void
  // Issue 19: direct messages and profiles.
  /**
   * A direct conversation appeared in your list: you opened it (on another tab), or a message arrived
   * in one you had closed or had never opened.
   */
  'direct:opened': (conversation: DirectDto) => void
  /** You closed a direct conversation (on another tab): hide it until its next message. */
  'direct:closed': (payload: { roomId: string }) => void
  /**
   * Someone's profile or presence changed (you included). Sent to the people who share a direct
   * conversation or a private room with them.
   */
  'user:updated': (profile: ProfileDto) => void
  // Unread counts, mentions and receipts (issue 18)
  /** Your read pointer or badge in a room changed (on this device or another): to your sockets only. */
  'read:changed': (unread: UnreadDto) => void
  /** A message was created, deleted, or mentions you, in a room you follow: to your sockets only. */
  'room:activity': (activity: RoomActivityDto) => void
  /** Someone in a small private room you view has read up to here ("Seen by"). */
  'receipt:changed': (receipt: ReceiptDto) => void
}

/** Identity of a connection, set once by the handshake middleware from a verified token. */
export type Viewer = { kind: 'user'; id: string; username: string; email: string } | { kind: 'guest'; id: string }

export type SocketData = {
  viewer: Viewer
  /** Token expiry (epoch seconds); the socket is cut when it passes. */
  tokenExp: number | null
  /** The token's version (users only): the socket is cut when a change revokes older ones. */
  tokenVersion: number | null
}
