import { z } from 'zod'
import type { MessageDto } from './messages'
import { FILTER_NAME_MAX, isValidTimeZone, SEARCH_PAGE_MAX, SEARCH_QUERY_MAX } from './search-query'
import { userText, ZId } from './text'

/** A query's text: one line, at most SEARCH_QUERY_MAX characters (the parser runs in the service). */
export const ZQueryText = userText({ min: 0, max: SEARCH_QUERY_MAX })

/** An IANA time zone name (`Europe/Berlin`); dates in the query are days in it. */
export const ZTimeZone = z
  .string()
  .max(64)
  .refine(isValidTimeZone, { message: 'must be an IANA time zone such as Europe/Berlin' })

/**
 * `GET /api/search?q=…&tz=…&roomId=…&cursor=…&limit=…`: messages the viewer may read, newest first.
 * `roomId` limits it to one room (a room you may not read is `not_found`, like a missing one); `cursor`
 * is the previous page's `nextCursor`.
 *
 * @example /api/search?q=%23release%20from%3Aalice%20after%3A2026-01-31&tz=Europe%2FBerlin
 */
export const ZSearchQuery = z.object({
  q: ZQueryText,
  tz: ZTimeZone.default('UTC'),
  roomId: ZId.optional(),
  cursor: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a nextCursor from a previous page')
    .optional(),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .default(20)
    .transform((n) => Math.min(n, SEARCH_PAGE_MAX)),
})
export type TSearchQuery = z.input<typeof ZSearchQuery>

/** One search hit: the message, its room, and the [start, end) ranges of `content` the query matched. */
export type SearchHitDto = {
  message: MessageDto
  room: { id: string; name: string; isPrivate: boolean }
  marks: [number, number][]
}
/** A page of hits, newest first; `nextCursor` is null on the last page. */
export type SearchResultsDto = { results: SearchHitDto[]; nextCursor: string | null }

/**
 * `POST /api/filters` body: a named saved query, over every room you can read (`roomId: null`) or one.
 *
 * @example { name: 'Releases', query: '#release -draft', roomId: null }
 */
export const ZSaveFilter = z.object({
  name: userText({ max: FILTER_NAME_MAX }),
  query: ZQueryText,
  roomId: ZId.nullable().default(null),
})
export type TSaveFilter = z.input<typeof ZSaveFilter>

/** `PATCH /api/filters/:filterId` body: any of the fields. */
export const ZUpdateFilter = z
  .object({
    name: userText({ max: FILTER_NAME_MAX }).optional(),
    query: ZQueryText.optional(),
    roomId: ZId.nullable().optional(),
  })
  .refine((f) => f.name !== undefined || f.query !== undefined || f.roomId !== undefined, {
    message: 'give name, query or roomId',
    path: ['name'],
  })
export type TUpdateFilter = z.input<typeof ZUpdateFilter>

export const ZFilterParams = z.object({ filterId: ZId })

/** A saved filter. Only its owner ever sees it. */
export type FilterDto = {
  id: string
  name: string
  query: string
  roomId: string | null
  createdAt: string
  updatedAt: string
}

/** `rooms:watch` payload: receive new messages of these rooms (for live filters); replaces the last list. */
export const ZWatchRooms = z.object({ roomIds: z.array(ZId).max(500) })
export type TWatchRooms = z.input<typeof ZWatchRooms>
