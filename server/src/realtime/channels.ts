import type { Viewer } from '../contract/events'

// Socket.IO room names. Built only here so that a typo can never put a socket in the wrong place.
// A chat room has two channels: signed-in viewers get full author emails, guests get them masked.

export const userChannel = (userId: string) => `user:${userId}`
export const roomUserChannel = (roomId: string) => `room:${roomId}:u`
export const roomGuestChannel = (roomId: string) => `room:${roomId}:g`
export const roomChannels = (roomId: string) => [roomUserChannel(roomId), roomGuestChannel(roomId)]
export const roomChannelFor = (roomId: string, viewer: Viewer) =>
  viewer.kind === 'user' ? roomUserChannel(roomId) : roomGuestChannel(roomId)

/** The room id of a room channel, or null for any other channel. */
export function roomIdOfChannel(channel: string): string | null {
  const m = /^room:([0-9a-f-]{36}):[ug]$/.exec(channel)
  return m ? m[1] : null
}
