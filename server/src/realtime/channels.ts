import type { Viewer } from '../contract/events'

// Socket.IO room names. Built only here so that a typo can never put a socket in the wrong place.
// A chat room has two channels: signed-in viewers get full author emails, guests get them masked.

export const userChannel = (userId: string) => `user:${userId}`
export const roomUserChannel = (roomId: string) => `room:${roomId}:u`
export const roomGuestChannel = (roomId: string) => `room:${roomId}:g`
export const roomChannels = (roomId: string) => [roomUserChannel(roomId), roomGuestChannel(roomId)]
export const roomChannelFor = (roomId: string, viewer: Viewer) =>
  viewer.kind === 'user' ? roomUserChannel(roomId) : roomGuestChannel(roomId)

// Search (issue 17): live filters watch rooms without viewing them. A watcher gets the room's new,
// edited and deleted messages (nothing else: no typing, no room presence), and loses them with access.
export const roomWatchUserChannel = (roomId: string) => `watch:${roomId}:u`
export const roomWatchGuestChannel = (roomId: string) => `watch:${roomId}:g`
export const roomWatchChannels = (roomId: string) => [roomWatchUserChannel(roomId), roomWatchGuestChannel(roomId)]
export const roomWatchChannelFor = (roomId: string, viewer: Viewer) =>
  viewer.kind === 'user' ? roomWatchUserChannel(roomId) : roomWatchGuestChannel(roomId)
/** Whether a channel is a watch channel (`rooms:watch` replaces a socket's set). */
export const isWatchChannel = (channel: string) => channel.startsWith('watch:')

/** The room id of a room channel, or null for any other channel. */
export function roomIdOfChannel(channel: string): string | null {
  const m = /^room:([0-9a-f-]{36}):[ug]$/.exec(channel)
  return m ? m[1] : null
}
