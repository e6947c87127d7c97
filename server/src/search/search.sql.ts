import { dateBounds, type ParsedQuery, type Term, textMode } from '../contract/search-query'
import { messageColumns } from '../messages/messages.dto'
import { canReadSql } from '../rooms/rooms.access'

/**
 * The SQL face of the query language (contract/search-query.ts `matchesQuery` is the client's face;
 * search.test.ts checks that both give the same answer for random messages and queries). Compiles a
 * parsed query to a WHERE fragment over message `m`, its room `r` and its author `u`, pushing values
 * onto `params` (never into the SQL text).
 *
 * Each expression is written exactly as the migration's index over it (20261202020000_search), so the
 * planner can use the index: words → `WORDS_VECTOR` (GIN full-text), other text → `lower(content)`
 * (GIN pg_trgm), hashtags → the `hashtags` array (GIN), dates → `createdAt` (btree).
 */
export const WORDS_VECTOR = `to_tsvector('simple'::regconfig, regexp_replace(m."content", '[^A-Za-z0-9]+', ' ', 'g'))`

/** `%`, `_` and `\` match themselves in a LIKE pattern. */
export const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`)

export function compileQuery(
  query: ParsedQuery,
  { timeZone, params }: { timeZone: string; params: unknown[] },
): string {
  const add = (value: unknown) => {
    params.push(value)
    return `$${params.length}`
  }
  const conditions = query.terms.map((term) => {
    const sql = termSql(term, add, timeZone)
    return term.negated ? `NOT (${sql})` : sql
  })
  return conditions.length ? conditions.join(' AND ') : 'TRUE'
}

function termSql(term: Term, add: (v: unknown) => string, timeZone: string): string {
  switch (term.kind) {
    case 'word':
    case 'phrase':
      if (textMode(term) === 'word') {
        // The word as a prefix lexeme, built as a tsquery literal (no parser in between: the word is
        // only ASCII letters and digits, lower-cased like the 'simple' configuration does).
        return `${WORDS_VECTOR} @@ ${add(`'${term.value.toLowerCase()}':*`)}::tsquery`
      }
      return `lower(m."content") LIKE lower(${add(`%${escapeLike(term.value)}%`)})`
    case 'hashtag':
      return `m."hashtags" @> ARRAY[${add(term.value)}::text]`
    case 'topic':
      return `lower(m."topic") = lower(${add(term.value)})`
    case 'from':
      return `u."username" = lower(${add(term.value)})`
    case 'in':
      return `lower(r."name") = lower(${add(term.value)})`
    case 'before':
    case 'after':
    case 'on': {
      const { from, to } = dateBounds(term, timeZone)
      const parts: string[] = []
      if (from !== undefined) parts.push(`m."createdAt" >= ${add(new Date(from).toISOString())}::timestamptz`)
      if (to !== undefined) parts.push(`m."createdAt" < ${add(new Date(to).toISOString())}::timestamptz`)
      return parts.join(' AND ')
    }
    case 'has':
      return `m."content" ~* 'https?://'`
    case 'is':
      return `m."threadRootId" IS NOT NULL`
  }
}

/**
 * The search statement: the viewer's readable rooms (`canReadSql`, part of the statement, never a filter
 * afterwards), no deleted messages or notices, the query, newest first from the cursor, `limit` rows.
 * Rows are MessageRow plus the room's name and privacy.
 */
export function searchStatement({
  viewerId,
  query,
  timeZone,
  roomId,
  before,
  limit,
}: {
  /** null for guests. */
  viewerId: string | null
  query: ParsedQuery
  timeZone: string
  roomId?: string
  /** The cursor: only messages older than this (time, id). */
  before?: [string, string]
  limit: number
}): { text: string; values: unknown[] } {
  const values: unknown[] = [viewerId]
  const where = [
    canReadSql('r', '$1::uuid'),
    `m."deletedAt" IS NULL`,
    `m."kind" <> 'system'`,
    compileQuery(query, { timeZone, params: values }),
  ]
  if (roomId) {
    values.push(roomId)
    where.push(`m."roomId" = $${values.length}::uuid`)
  }
  if (before) {
    values.push(before[0], before[1])
    where.push(`(m."createdAt", m."id") < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`)
  }
  values.push(limit)
  return {
    text: `SELECT ${messageColumns}, r."name" AS "roomName", r."isPrivate" AS "roomPrivate"
      FROM "Message" m JOIN "Room" r ON r."id" = m."roomId" LEFT JOIN "User" u ON u."id" = m."authorId"
      WHERE ${where.join(' AND ')}
      ORDER BY m."createdAt" DESC, m."id" DESC
      LIMIT $${values.length}`,
    values,
  }
}
