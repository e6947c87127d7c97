import { ERROR_CODES, type ErrorBody, type ErrorCode } from '../contract/errors'

/** HTTP status for each error code: the one table REST and sockets both use. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
}

/** A known, user-safe failure. Services throw it; the HTTP and socket boundaries turn it into a body. */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly fields?: Record<string, string>
  readonly retryAfter?: number

  constructor(
    code: ErrorCode,
    options: { message?: string; fields?: Record<string, string>; retryAfter?: number } = {},
  ) {
    super(options.message ?? ERROR_CODES[code])
    this.name = 'AppError'
    this.code = code
    this.fields = options.fields
    this.retryAfter = options.retryAfter
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message }
    if (this.fields) body.fields = this.fields
    if (this.retryAfter !== undefined) body.retryAfter = this.retryAfter
    return body
  }
}

/**
 * Maps any thrown value to an AppError. Unknown errors become `internal` (the caller logs the original);
 * lost database connections become `unavailable` so clients know to retry.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err
  if (isDatabaseUnavailable(err)) return new AppError('unavailable')
  return new AppError('internal')
}

const UNAVAILABLE_PATTERNS = [
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/,
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now; connection exceptions (08xxx)
  /\b57P0[1-3]\b|\b08(000|001|003|004|006)\b/,
  // Prisma: can't reach / timed out / closed connection
  /\bP10(01|02|08|17)\b/,
  /Connection terminated|terminating connection|Connection (closed|ended)|closed the connection/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /Can't reach database server/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Cannot use a pool after calling end/i,
]

/** Looks at the message, code, Prisma `meta` and the `cause` chain of an error. */
function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (depth > 4 || err === null || err === undefined) return false
  const e = err as { message?: unknown; code?: unknown; meta?: unknown; cause?: unknown }
  const text = `${String(e.message ?? err)} ${String(e.code ?? '')} ${e.meta ? JSON.stringify(e.meta) : ''}`
  return UNAVAILABLE_PATTERNS.some((re) => re.test(text)) || isDatabaseUnavailable(e.cause, depth + 1)
}
