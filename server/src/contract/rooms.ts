import { z } from 'zod'
import { ZUsername } from './auth'
import { ROOM_DESCRIPTION_MAX, ROOM_NAME_MAX, ROOM_PARTICIPANTS_MAX } from './limits'
import { userText, ZId } from './text'

export const ZRoomName = userText({ max: ROOM_NAME_MAX })

/** `POST /api/rooms`. The creator is always a participant; `participants` are usernames to add. */
export const ZCreateRoom = z.object({
  name: ZRoomName,
  description: userText({ min: 0, max: ROOM_DESCRIPTION_MAX, multiline: true }).default(''),
  isPrivate: z.boolean().default(false),
  participants: z
    .array(ZUsername)
    .max(ROOM_PARTICIPANTS_MAX, `at most ${ROOM_PARTICIPANTS_MAX} participants at once`)
    .default([]),
})
export type TCreateRoom = z.input<typeof ZCreateRoom>

export const ZRoomParams = z.object({ id: ZId })
export const ZParticipantParams = z.object({ id: ZId, username: ZUsername })
export const ZAddParticipant = z.object({ username: ZUsername })
export type TAddParticipant = z.input<typeof ZAddParticipant>

export type RoomDto = {
  id: string
  /** `dm`: a direct conversation (issue 19; see contract/directs.ts), never in the room directory. */
  kind: 'room' | 'dm'

  name: string
  description: string
  isPrivate: boolean
  /** Username of the creator; null for system rooms such as the lobby. */
  createdBy: string | null
  participantCount: number
  lastSeq: number
  /** The room's latest change number (see MessageDto.rev). */
  rev: number
  createdAt: string
}

/** `typing:set` payload. */
export const ZTyping = z.object({ roomId: ZId, typing: z.boolean() })
export type TTyping = z.input<typeof ZTyping>

/** Who is viewing a room right now. Only sent to people who may read the room. */
export type RoomPresenceDto = { roomId: string; users: string[]; guests: number }
