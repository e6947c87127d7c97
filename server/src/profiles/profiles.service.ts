import type { PrismaClient, User } from '@prisma/client'
import type pg from 'pg'
import type { z } from 'zod'
import type { Viewer } from '../contract/events'
import type { ProfileDto, ZUpdateProfile } from '../contract/profiles'
import { AppError } from '../lib/app-error'
import type { Logger } from '../lib/logger'
import type { Push } from '../realtime/push'
import { avatarUrl } from '../messages/messages.dto'

export type Profiles = ReturnType<typeof createProfiles>

/** The User columns a profile is made of. */
export const profileSelect = {
  id: true,
  username: true,
  displayName: true,
  statusText: true,
  statusEmoji: true,
  presence: true,
  avatarId: true, // issue 21
} as const
type ProfileRow = Pick<User, keyof typeof profileSelect>

/** What others see: the chosen presence while connected, `offline` otherwise. */
export function toProfileDto(row: ProfileRow, online: boolean): ProfileDto {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    statusText: row.statusText,
    statusEmoji: row.statusEmoji,
    presence: online ? row.presence : 'offline',
    avatarUrl: avatarUrl(row.avatarId),
  }
}

// Who hears `user:updated` about someone: the people who share a direct conversation or a private room
// with them, and they themselves. Those are the screens that show a person persistently (the
// direct-message list with its online dots, participant lists). Not everyone online: a broadcast to
// every socket per change costs O(online) frames, and each connect or disconnect is a change, so a
// crowd arriving would cost O(n²). People seen only in a public room's timeline get the fresh profile
// when their card is opened.
const AUDIENCE = `
SELECT DISTINCT a."userId"::text AS "subject", b."userId"::text AS "watcher"
FROM "RoomParticipant" a
JOIN "Room" r ON r."id" = a."roomId" AND r."isPrivate"
JOIN "RoomParticipant" b ON b."roomId" = a."roomId"
WHERE a."userId" = ANY($1::uuid[])`

/**
 * Profiles (display name, status, chosen presence) and their live announcement. `online` is the
 * presence service's view of who has a socket anywhere.
 */
export function createProfiles({
  prisma,
  pool,
  push,
  online,
  changed = async () => {},
  log,
}: {
  prisma: PrismaClient
  pool: pg.Pool
  push: Push
  online: (userIds: readonly string[]) => Promise<Set<string>>
  /** After a change to what messages show of a user (display name, picture) is committed: every instance's caches hear of it. */
  changed?: (userId: string) => Promise<void>
  log: Logger
}) {
  async function byIds(userIds: readonly string[]): Promise<ProfileDto[]> {
    if (userIds.length === 0) return []
    const [rows, connected] = await Promise.all([
      prisma.user.findMany({ where: { id: { in: [...userIds] } }, select: profileSelect }),
      online(userIds),
    ])
    return rows.map((row) => toProfileDto(row, connected.has(row.id)))
  }

  /** Tells each user's audience their current profile. */
  async function announce(userIds: readonly string[]): Promise<void> {
    const profiles = await byIds(userIds)
    if (profiles.length === 0) return
    const { rows } = await pool.query<{ subject: string; watcher: string }>(AUDIENCE, [profiles.map((p) => p.id)])
    const audience = new Map(profiles.map((p) => [p.id, new Set([p.id])]))
    for (const { subject, watcher } of rows) audience.get(subject)?.add(watcher)
    for (const profile of profiles) push.userUpdated(profile, [...(audience.get(profile.id) ?? [])])
  }

  return {
    byIds,

    /**
     * Any signed-in user may see anyone's profile (no email). Unknown users: not_found. Your own shows
     * the presence you chose (you are here, asking).
     */
    async get(viewer: Viewer, username: string): Promise<ProfileDto> {
      const row = await prisma.user.findUnique({ where: { username }, select: profileSelect })
      if (!row) throw new AppError('not_found')
      const self = viewer.kind === 'user' && viewer.id === row.id
      return toProfileDto(row, self || (await online([row.id])).has(row.id))
    },

    /** Changes the caller's own profile and tells everyone who shows it. */
    async update(viewer: Viewer, input: z.output<typeof ZUpdateProfile>): Promise<ProfileDto> {
      if (viewer.kind !== 'user') throw new AppError('unauthenticated')
      const { displayName, ...rest } = input
      const row = await prisma.user.update({
        where: { id: viewer.id },
        data: { ...rest, ...(displayName !== undefined ? { displayName: displayName || null } : {}) },
        select: profileSelect,
      })
      await changed(viewer.id)
      await announce([viewer.id])
      return toProfileDto(row, true)
    },

    /**
     * Records a user's new profile picture id (issue 21; null: none) and tells everyone who shows
     * the profile. Returns the previous id, whose image the caller deletes.
     */
    async setAvatar(userId: string, avatarId: string | null): Promise<string | null> {
      const { rows } = await pool.query<{ previous: string | null }>(
        `UPDATE "User" u SET "avatarId" = $2 FROM (SELECT "avatarId" FROM "User" WHERE "id" = $1 FOR UPDATE) old
         WHERE u."id" = $1 RETURNING old."avatarId" AS "previous"`,
        [userId, avatarId],
      )
      if (rows.length === 0) throw new AppError('unauthenticated')
      await changed(userId)
      await announce([userId])
      return rows[0].previous
    },

    /** Some users' online state may have changed (first or last socket on an instance). Never throws. */
    presenceChanged(userIds: string[]): void {
      announce(userIds).catch((err: unknown) => log.warn({ err }, 'profiles: presence announcement failed'))
    },
  }
}
