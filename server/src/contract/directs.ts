import { z } from 'zod'
import { ZUsername } from './auth'
import { DIRECT_MEMBERS_MAX } from './limits'
import type { ProfileDto } from './profiles'
import type { RoomDto } from './rooms'

/**
 * `POST /api/dms`: the other people of a direct conversation (you are always in it). The same set,
 * in any order, always opens the same conversation; 2–DIRECT_MEMBERS_MAX people including you.
 *
 * @example { usernames: ['jonas', 'maya'] }
 */
export const ZOpenDirect = z.object({
  usernames: z
    .array(ZUsername)
    .min(1, 'name at least one person')
    .max(DIRECT_MEMBERS_MAX - 1, `at most ${DIRECT_MEMBERS_MAX - 1} other people`),
})
export type TOpenDirect = z.input<typeof ZOpenDirect>

/**
 * A direct conversation: its room (kind `dm`, private, no creator, name empty) and its members,
 * you included, by username. Members are fixed: a different set of people is another conversation.
 */
export type DirectDto = { room: RoomDto; members: ProfileDto[] }
