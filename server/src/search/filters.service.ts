import type { PrismaClient, SavedFilter } from '@prisma/client'
import type { Viewer } from '../contract/events'
import type { FilterDto, ZSaveFilter, ZUpdateFilter } from '../contract/search'
import { FILTERS_PER_USER_MAX } from '../contract/search-query'
import type { z } from 'zod'
import { AppError } from '../lib/app-error'
import type { Push } from '../realtime/push'
import { requireRoom } from '../rooms/rooms.access'
import { parseOrThrow } from './search.service'

type UserViewer = Extract<Viewer, { kind: 'user' }>

export const toFilterDto = (f: SavedFilter): FilterDto => ({
  id: f.id,
  name: f.name,
  query: f.query,
  roomId: f.roomId,
  createdAt: f.createdAt.toISOString(),
  updatedAt: f.updatedAt.toISOString(),
})

/**
 * Saved filters: a user's named queries, on the server so every device and tab has the same ones
 * (each change goes to the owner's `user:<id>` channel). Someone else's filter is `not_found`, like a
 * missing one. A filter's room must be one the owner can read when it is saved; if the owner later
 * loses the room, its history answers `not_found` and nothing of the room arrives live.
 */
export function createFiltersService({ prisma, push }: { prisma: PrismaClient; push: Push }) {
  async function own(viewer: UserViewer, id: string): Promise<SavedFilter> {
    const filter = await prisma.savedFilter.findUnique({ where: { id } })
    if (!filter || filter.userId !== viewer.id) throw new AppError('not_found')
    return filter
  }

  async function checkFields(viewer: UserViewer, query?: string, roomId?: string | null) {
    if (query !== undefined) parseOrThrow(query, 'query')
    if (roomId) await requireRoom(prisma, viewer, roomId, 'read')
  }

  return {
    async list(viewer: UserViewer): Promise<FilterDto[]> {
      const filters = await prisma.savedFilter.findMany({
        where: { userId: viewer.id },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      })
      return filters.map(toFilterDto)
    },

    async create(viewer: UserViewer, input: z.output<typeof ZSaveFilter>): Promise<FilterDto> {
      await checkFields(viewer, input.query, input.roomId)
      const count = await prisma.savedFilter.count({ where: { userId: viewer.id } })
      if (count >= FILTERS_PER_USER_MAX) {
        throw new AppError('conflict', { message: `You can keep at most ${FILTERS_PER_USER_MAX} filters.` })
      }
      const filter = toFilterDto(
        await prisma.savedFilter.create({
          data: { userId: viewer.id, name: input.name, query: input.query, roomId: input.roomId },
        }),
      )
      push.filterSaved(viewer.id, filter)
      return filter
    },

    async update(viewer: UserViewer, id: string, input: z.output<typeof ZUpdateFilter>): Promise<FilterDto> {
      await own(viewer, id)
      await checkFields(viewer, input.query, input.roomId)
      const filter = toFilterDto(
        await prisma.savedFilter.update({
          where: { id },
          data: { name: input.name, query: input.query, roomId: input.roomId, updatedAt: new Date() },
        }),
      )
      push.filterSaved(viewer.id, filter)
      return filter
    },

    async remove(viewer: UserViewer, id: string): Promise<void> {
      await own(viewer, id)
      await prisma.savedFilter.deleteMany({ where: { id, userId: viewer.id } })
      push.filterRemoved(viewer.id, id)
    },
  }
}

export type FiltersService = ReturnType<typeof createFiltersService>
