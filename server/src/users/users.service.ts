import type { PrismaClient } from '@prisma/client'
import type { PublicUserDto } from '../contract/auth'

export const USER_SEARCH_LIMIT = 20

/** Prefix search over usernames for adding participants. `%` and `_` are matched literally. */
export async function searchUsers(prisma: PrismaClient, query: string): Promise<PublicUserDto[]> {
  return prisma.user.findMany({
    // Prisma passes startsWith to LIKE unescaped: escape the wildcards so they match literally.
    where: {
      isBot: false, // the bot takes part in no room
      ...(query ? { username: { startsWith: query.replace(/[\\%_]/g, (c) => `\\${c}`) } } : {}),
    },
    select: { id: true, username: true },
    orderBy: { username: 'asc' },
    take: USER_SEARCH_LIMIT,
  })
}
