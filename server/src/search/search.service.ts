import type pg from 'pg'
import type { PrismaClient } from '@prisma/client'
import type { Viewer } from '../contract/events'
import type { SearchHitDto, SearchResultsDto, TSearchQuery, ZSearchQuery } from '../contract/search'
import { isEmptyQuery, matchRanges, type ParsedQuery, parseQuery } from '../contract/search-query'
import type { z } from 'zod'
import { AppError } from '../lib/app-error'
import type { Limits } from '../limits/limits'
import { type MessageRow, toMessageDto } from '../messages/messages.dto'
import { requireRoom } from '../rooms/rooms.access'
import { searchStatement } from './search.sql'

export type SearchInput = z.output<typeof ZSearchQuery>
export type { TSearchQuery }

/** Parses query text or throws `invalid_input` naming what is wrong (a malformed date, an empty query). */
export function parseOrThrow(text: string, field = 'q'): ParsedQuery {
  const parsed = parseQuery(text)
  if (!parsed.ok) throw new AppError('invalid_input', { message: parsed.error, fields: { [field]: parsed.error } })
  if (isEmptyQuery(parsed.query)) {
    const message = 'Type something to search for.'
    throw new AppError('invalid_input', { message, fields: { [field]: message } })
  }
  return parsed.query
}

type HitRow = MessageRow & { roomName: string; roomPrivate: boolean }

/**
 * Search over every message the viewer may read. The access rule is part of the statement
 * (`canReadSql`), so a private room's messages, names and counts never leave the database for anyone
 * outside it: a word found only there answers exactly like a word found nowhere.
 */
export function createSearchService({ prisma, pool, limits }: { prisma: PrismaClient; pool: pg.Pool; limits: Limits }) {
  return {
    /** `rateKey`: whose search budget this spends (the viewer's id; the address for anonymous callers). */
    async search(viewer: Viewer, input: SearchInput, rateKey = viewer.id): Promise<SearchResultsDto> {
      await limits.consume('search', rateKey)
      const query = parseOrThrow(input.q)
      if (input.roomId) await requireRoom(prisma, viewer, input.roomId, 'read')
      const statement = searchStatement({
        viewerId: viewer.kind === 'user' ? viewer.id : null,
        query,
        timeZone: input.tz,
        roomId: input.roomId,
        before: input.cursor ? decodeCursor(input.cursor) : undefined,
        limit: input.limit + 1,
      })
      const { rows } = await pool.query<HitRow>(statement)
      const page = rows.slice(0, input.limit)
      const results: SearchHitDto[] = page.map((row) => ({
        message: toMessageDto(row, viewer),
        room: { id: row.roomId, name: row.roomName, isPrivate: row.roomPrivate },
        marks: matchRanges(query, row.content),
      }))
      const last = page[page.length - 1]
      return { results, nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null }
    },
  }
}

export type SearchService = ReturnType<typeof createSearchService>

/** An opaque cursor: the last hit's time (to the microsecond, as stored) and id. */
function encodeCursor(row: MessageRow): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url')
}

function decodeCursor(cursor: string): [string, string] {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|')
  if (!at || !id || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new AppError('invalid_input', {
      message: 'Invalid cursor.',
      fields: { cursor: 'must be a nextCursor from a previous page' },
    })
  }
  return [at, id]
}
