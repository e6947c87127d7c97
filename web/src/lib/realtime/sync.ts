import { LOBBY_ID } from '@contract/limits'
import { extractMentions } from '@contract/mentions'
import type { MessageDto } from '@contract/messages'
import type { RoomActivityDto } from '@contract/unread'
// The bridge between the socket and the state classes: every server event lands here, and so does
// every change of who we are (login, logout, session ended) and of which room is open.
import { ApiError, errorMessage } from '../api'
import {
  replaceLocationWithLobby,
  roomIdFromLocation,
  settingsInLocation,
  showRoomInLocation,
  showSettingsInLocation,
} from '../router'
import { asides, commandLists, escalations } from '../state/commands.svelte'
import { connection } from '../state/connection.svelte'
import { filters, watchKey } from '../state/filters.svelte'
import { search } from '../state/search.svelte'
import { directs } from '../state/directs.svelte'
import { trackIdle } from '../state/idle.svelte'
import { presence } from '../state/presence.svelte'
import { rooms } from '../state/rooms.svelte'
import { session } from '../state/session.svelte'
import { threads } from '../state/threads.svelte'
import { timelines } from '../state/timeline.svelte'
import { topViews } from '../state/top.svelte'
import { toasts } from '../state/toasts.svelte'
import { ui } from '../state/ui.svelte'
import { notifier } from '../state/notifier.svelte'
import { receipts } from '../state/receipts.svelte'
import { unread } from '../state/unread.svelte'
import { KEYS } from '../storage'
import { ACK_TIMEOUT_MS, ackFailed, socket, unwrap } from './socket'

const noop = () => {}
/** Rooms this client is leaving on purpose (leave, delete): their `room:removed` needs no notice. */
const expectedRemovals = new Set<string>()
let switching = false
/** The token this socket connected with: a session:ended for it after we rotated it is expected. */
let connectedToken: string | null = null
/** When this socket last heard that its token was revoked (ms); see session:ended. */
let revokedAt = 0
/** How long a revocation may be one of ours (this tab or another rotated the token) before it ends the session. */
const ROTATION_GRACE_MS = 2000

/** Boots the realtime side once: restores the session, wires events, connects. */
export async function start(): Promise<void> {
  session.restore()
  rooms.selectedId = roomIdFromLocation() ?? LOBBY_ID
  ui.settings = settingsInLocation()
  wire()
  session.onChange(() => void identityChanged())
  addEventListener('storage', (e) => {
    if (e.key === KEYS.session || e.key === null) session.followOtherTab()
  })
  addEventListener('popstate', () => {
    ui.settings = settingsInLocation()
    if (!ui.settings) openRoom(roomIdFromLocation() ?? LOBBY_ID, { updateLocation: false })
  })
  // Issue 19: away when idle (only while signed in, and only over a presence you did not choose).
  trackIdle({
    current: () => {
      if (!session.user) return null
      const chosen = directs.profiles[session.user.id]?.presence
      return chosen === 'offline' ? null : chosen
    },
    set: (presence) => directs.updateProfile({ presence }, { chosen: false }),
  })
  notifier.start(() => (ui.settings ? null : rooms.selectedId)) // issue 18: one notifying tab
  await session.ensureGuestToken()
  void session.verify()
  socket.connect() // the connect handler loads the rooms
}

/** Opens a room: leaves the previous one's live channel and joins this one's. */
export function openRoom(roomId: string, { updateLocation = true } = {}): void {
  ui.settings = false
  const previous = rooms.selectedId
  filters.close() // Search (issue 17): a room replaces an open filter or search hit
  search.focus = null
  rooms.selectedId = roomId
  notifier.announce()
  if (previous !== roomId) unread.roomOpened(roomId)
  if (updateLocation) showRoomInLocation(roomId, LOBBY_ID)
  if (previous === roomId) return
  if (threads.current && threads.current.roomId !== roomId) threads.close()
  if (topViews.current && topViews.current.roomId !== roomId) topViews.hide()
  if (socket.connected) socket.emit('room:leave', previous, noop)
  void joinRoom(roomId)
}

/** Shows the account settings page (the open room stays joined behind it). */
export function openSettings(): void {
  ui.settings = true
  ui.sidebarOpen = false
  showSettingsInLocation()
}

/** Opens the direct conversation with these people (creating it if needed) and shows it. */
export async function openDirect(usernames: string[]): Promise<void> {
  const conversation = await directs.open(usernames)
  rooms.upsert(conversation.room)
  openRoom(conversation.room.id)
}

/** The room is going away because of something we did; skip the "you lost access" notice. */
export function expectRemoval(roomId: string): void {
  expectedRemovals.add(roomId)
}

/** Tells the room we are (or stopped) typing. Fire and forget. */
export function sendTyping(roomId: string, typing: boolean): void {
  if (socket.connected && session.isUser) socket.emit('typing:set', { roomId, typing }, noop)
}

function wire(): void {
  // Every (re)connect reloads the room list (rooms may have come and gone meanwhile) and re-joins the
  // open room, which also fetches whatever changed meanwhile (new, edited and deleted messages).
  socket.on('connect', () => {
    connection.online()
    connectedToken = session.token
    const loaded = loadRooms()
    if (session.isUser) void loadDirects()
    // Issue 18: every badge, as the server counts it, before the open room shows its "New" divider.
    const badges = session.isUser ? unread.load().catch(noop) : Promise.resolve()
    void badges.then(() => joinRoom(rooms.selectedId))
    // Search (issue 17): the filters, the rooms they watch, and the open one's history (which also
    // covers whatever arrived while we were away).
    filters.watchedKey = null // a new connection watches nothing until told
    void Promise.all([loaded, loadFilters()]).then(() => {
      watchRooms(filters.watchedRooms, true)
      if (filters.openId) void filters.show(filters.openId)
    })
    threads.current?.load().catch(() => {}) // a thread open across a reconnect is fetched again (issue 16)
    if (session.isUser) escalations.loadMine().catch(noop) // issue 20: the creator's open escalations
  })

  socket.on('disconnect', (reason) => {
    if (switching) connection.status = 'connecting'
    else connection.lost()
    presence.resetRooms()
    // The server cut this socket (it always says why first, with session:ended); come back unless
    // an identity switch is already reconnecting.
    if (reason === 'io server disconnect' && !switching) setTimeout(() => socket.active || socket.connect(), 0)
  })

  socket.on('connect_error', (err) => {
    connection.lost()
    const code = (err as Error & { data?: { code?: string } }).data?.code ?? err.message
    if (code !== 'unauthenticated') return // transport trouble: the manager keeps retrying
    if (session.rotating || Date.now() - revokedAt < ROTATION_GRACE_MS) {
      // Refused with the old token while a new one may be on its way (this tab or another one
      // signed out the other sessions): try again in a moment with whatever token we hold then.
      setTimeout(() => {
        session.followOtherTab()
        if (!socket.active) socket.connect()
      }, 300)
      return
    }
    if (session.isUser) {
      toasts.info('Your session has ended. Please log in again.')
      session.end() // → identityChanged reconnects as a guest
    } else {
      session.dropGuestToken()
      void reconnect()
    }
  })

  socket.on('presence:changed', (counts) => {
    presence.counts = counts
  })
  socket.on('message:created', (message) => timelines.find(message.roomId)?.receive(message))
  socket.on('message:updated', (message) => timelines.find(message.roomId)?.receive(message))
  socket.on('message:deleted', (deleted) => timelines.find(deleted.roomId)?.removed(deleted))
  // Replies, votes and reactions (issue 16): the open thread follows the room's events; our own vote
  // and reactions come from any tab of ours.
  socket.on('message:created', (message) => threads.current?.receive(message))
  socket.on('message:updated', (message) => threads.current?.receive(message))
  socket.on('message:deleted', (deleted) => threads.current?.removed(deleted))
  socket.on('message:updated', (message) => topViews.current?.receive(message))
  socket.on('message:deleted', (deleted) => topViews.current?.removed(deleted.id))
  socket.on('mine:changed', (change) => timelines.find(change.roomId)?.ownChanged(change))
  // Search (issue 17): live filters evaluate every message event; saved filters follow every device.
  socket.on('message:created', (message) => filters.receive(message, { isNew: true }))
  socket.on('message:updated', (message) => filters.receive(message, { isNew: false }))
  socket.on('message:deleted', (deleted) => filters.deleted(deleted))
  socket.on('filter:saved', (filter) => filters.upsert(filter))
  socket.on('filter:removed', ({ id }) => filters.removed(id))
  socket.on('room:presence', (p) => presence.setRoom(p))
  socket.on('typing:changed', ({ roomId, username, typing }) => presence.setTyping(roomId, username, typing))

  socket.on('room:added', (room) => {
    const isNew = !rooms.has(room.id)
    rooms.upsert(room)
    if (isNew && room.isPrivate && room.createdBy !== session.user?.username) {
      toasts.info(`You were added to the private room ${room.name}.`)
    }
  })

  // The participant list of a room we are in changed: the new count reloads an open participants panel.
  socket.on('room:updated', (room) => {
    if (rooms.has(room.id)) rooms.upsert(room)
  })

  socket.on('room:removed', ({ roomId }) => {
    const room = rooms.list.find((r) => r.id === roomId)
    rooms.remove(roomId)
    timelines.delete(roomId)
    delete unread.byRoom[roomId]
    if (threads.current?.roomId === roomId) threads.close()
    const expected = expectedRemovals.delete(roomId)
    if (!expected && room) toasts.info(`You no longer have access to ${room.name}.`)
    if (rooms.selectedId === roomId) {
      openRoom(LOBBY_ID, { updateLocation: false })
      replaceLocationWithLobby()
    }
  })

  // Issue 19: direct conversations and profiles.
  socket.on('direct:opened', (conversation) => {
    directs.upsert(conversation)
    rooms.upsert(conversation.room)
  })
  socket.on('direct:closed', ({ roomId }) => directs.remove(roomId))

  // Issue 18: badges on every device, notifications from one tab, "Seen by".
  socket.on('read:changed', (badge) => unread.apply(badge))
  socket.on('room:activity', onActivity)
  // The open room's own events stand in for its activity (the server skips viewing sockets).
  socket.on('message:created', (message) => {
    if (session.isUser && message.roomId === rooms.selectedId) onActivity(viewedActivity(message))
  })
  socket.on('message:deleted', ({ roomId, seq }) => {
    const badge = unread.badge(roomId)
    if (roomId === rooms.selectedId && badge && seq > badge.lastReadSeq) unread.refreshSoon()
  })
  socket.on('receipt:changed', (receipt) => receipts.set(receipt))
  socket.on('user:updated', (profile) => directs.setProfile(profile))

  // The server's live delivery may have missed something (its Redis link came back): catch up through
  // the room's change stream. Rooms not on screen catch up when they are opened again.
  socket.on('sync:required', () => {
    if (session.isUser) unread.refreshSoon()
    timelines
      .find(rooms.selectedId)
      ?.catchUp()
      .catch(() => {})
    threads.current?.load().catch(() => {})
  })

  // --- Issue 20: ephemeral messages (memory only) and escalations (banner, the creator's list, a toast).
  socket.on('ephemeral:created', (message) => asides.ephemeral(message))
  socket.on('escalation:updated', (escalation) => {
    const room = rooms.list.find((r) => r.id === escalation.roomId)
    const mine = !!session.user && room?.createdBy === session.user.username
    escalations.update(escalation, mine)
    if (mine && escalation.status === 'open') {
      const reason = escalation.reason ? `: ${escalation.reason}` : '.'
      toasts.info(`${escalation.asker} asked for you in ${escalation.roomName}${reason}`)
    }
    if (escalation.roomId === rooms.selectedId && session.isUser) commandLists.load(escalation.roomId).catch(noop)
  })

  socket.on('session:ended', ({ reason }) => {
    if (!session.isUser) return
    if (reason === 'revoked') {
      // If this tab or another one of this browser signed out the *other* sessions, a new token is on
      // its way (its response, or the storage event): the socket comes back with it. Otherwise we
      // were signed out too.
      revokedAt = Date.now()
      const revoked = connectedToken
      setTimeout(() => {
        session.followOtherTab()
        if (!session.isUser || session.rotating || session.token !== revoked) return
        toasts.info('You were logged out.')
        session.end()
      }, ROTATION_GRACE_MS)
      return
    }
    toasts.info(reason === 'expired' ? 'Your session expired. Please log in again.' : 'Your account was deleted.')
    session.end()
  })
}

/** Issue 18: a room's news counted into its badge, and a notification if the room's setting wants one. */
function onActivity(activity: RoomActivityDto): void {
  if (!unread.activity(activity, session.user?.id)) return
  if (activity.kind === 'created' && !rooms.has(activity.roomId) && !directs.has(activity.roomId)) {
    void loadDirects() // a direct conversation we did not list yet
  }
  const room = rooms.list.find((r) => r.id === activity.roomId)
  const direct = directs.find(activity.roomId)
  const name = direct ? directs.title(direct, session.user?.id) : room ? `#${room.name}` : 'Parlor'
  const level = unread.badge(activity.roomId)?.notify ?? (room?.isPrivate || direct ? 'all' : 'mentions')
  const wanted = level === 'all' ? activity.counts || activity.mentioned : level === 'mentions' && activity.mentioned
  notifier.consider(activity, name, wanted, (roomId) => openRoom(roomId))
}

/** The activity a message of the open room stands for (mentions found by the server's parser). */
function viewedActivity(message: MessageDto): RoomActivityDto {
  const me = session.user?.username
  const creator = rooms.list.find((r) => r.id === message.roomId)?.createdBy
  const { usernames, room } = extractMentions(message.content)
  const byCreator = !!creator && message.author?.username === creator
  return {
    roomId: message.roomId,
    kind: 'created',
    seq: message.seq,
    messageId: message.id,
    authorId: message.author?.id ?? null,
    author: message.author?.username ?? null,
    preview: message.content.slice(0, 140),
    counts: message.kind !== 'system' && (message.threadRootId === null || message.alsoInRoom),
    mentioned: message.kind !== 'system' && ((!!me && usernames.includes(me)) || (room && byCreator)),
  }
}

async function loadRooms(): Promise<void> {
  try {
    await rooms.load()
  } catch (err) {
    if (err instanceof ApiError && err.code === 'unauthenticated' && session.isUser) session.end()
    else if (socket.connected) toasts.error(errorMessage(err))
  }
}

// Search (issue 17) ----------------------------------------------------------------------------------

async function loadFilters(): Promise<void> {
  try {
    await filters.load()
  } catch (err) {
    if (socket.connected) toasts.error(errorMessage(err))
  }
}

let watching: string | null = null
/**
 * Tells the server which rooms the filters need live (`rooms:watch`), when that set changes and on
 * every connect (the server forgets on disconnect).
 */
export function watchRooms(roomIds: string[], force = false): void {
  const key = watchKey(roomIds)
  if (!socket.connected || (!force && key === watching)) return
  watching = key
  socket.emit('rooms:watch', { roomIds: roomIds.slice(0, 500) }, (ack) => {
    if (!ack.ok || watching !== key) return
    filters.watchedKey = key
    // Messages sent before the server had the new list reached nobody here: the open filter re-reads.
    if (filters.openId) void filters.refresh()
  })
}

/** Opens a saved filter in place of the room's conversation. */
export function openFilter(id: string): void {
  search.focus = null
  void filters.show(id)
}

/** Opens a search hit: its room, showing the messages around it. */
export function openHit(message: import('@contract/messages').MessageDto, marks: [number, number][]): void {
  filters.close()
  openRoom(message.roomId)
  search.focus = { message, marks }
  // A reply also opens its thread, where it is read in its conversation (as Slack and Zulip do).
  if (message.threadRootId)
    threads
      .open(message.roomId, message.threadRootId)
      .load()
      .catch(() => {})
}

async function loadDirects(): Promise<void> {
  try {
    await directs.load()
    if (session.user) await directs.fetchProfile(session.user.username)
  } catch (err) {
    if (socket.connected && !(err instanceof ApiError && err.code === 'unauthenticated'))
      toasts.error(errorMessage(err))
  }
}

async function joinRoom(roomId: string): Promise<void> {
  if (!socket.connected) return // joined on connect
  let result: Awaited<ReturnType<typeof requestJoin>>
  try {
    result = await requestJoin(roomId)
  } catch (err) {
    if (rooms.selectedId !== roomId) return
    if (err instanceof ApiError && err.code === 'not_found') {
      rooms.remove(roomId)
      toasts.error('That room does not exist, or it is private.')
      if (roomId !== LOBBY_ID) openRoom(LOBBY_ID, { updateLocation: false })
      replaceLocationWithLobby()
    } else if (socket.connected) toasts.error(errorMessage(err))
    return
  }
  if (rooms.selectedId !== roomId) {
    socket.emit('room:leave', roomId, noop) // the user moved on while we waited
    return
  }
  rooms.upsert(result.room)
  escalations.loadRoom(roomId).catch(noop) // issue 20: the room's banner
  if (session.isUser && result.room.isPrivate) receipts.load(roomId).catch(noop) // issue 18: "Seen by"
  if (session.isUser) commandLists.load(roomId).catch(noop) // and the composer's `/` menu
  await timelines
    .get(roomId)
    .joined(result.messages, result.room.rev)
    .catch((err: unknown) => socket.connected && toasts.error(errorMessage(err)))
}

async function requestJoin(roomId: string) {
  const ack = await socket
    .timeout(ACK_TIMEOUT_MS)
    .emitWithAck('room:join', roomId)
    .catch(() => {
      throw ackFailed()
    })
  return unwrap(ack)
}

/** Login, logout or an ended session: drop what the old identity could see and reconnect. */
async function identityChanged(): Promise<void> {
  switching = true
  try {
    if (!session.isUser && rooms.selected?.isPrivate) {
      rooms.selectedId = LOBBY_ID
      replaceLocationWithLobby()
    }
    timelines.clear()
    threads.close()
    asides.clear()
    escalations.clear()
    commandLists.clear()
    presence.resetRooms()
    rooms.reset()
    filters.reset()
    search.reset()
    directs.reset()
    unread.reset()
    receipts.reset()
    await reconnect() // the connect handler reloads the rooms
  } finally {
    switching = false
  }
}

async function reconnect(): Promise<void> {
  await session.ensureGuestToken()
  socket.disconnect()
  socket.connect()
}
