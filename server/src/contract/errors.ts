/**
 * Every error a client can receive, over REST (`{error:{code,message}}` with an HTTP status) or as a
 * Socket.IO ack (`{ok:false, error:{code,message}}`). Messages here are safe to show to users.
 * Shared with web/: imports nothing from the server.
 */
export const ERROR_CODES = {
  /** The input failed validation; `fields` names each offending field. */
  invalid_input: 'Some fields are invalid.',
  /** No valid session: missing, malformed, expired, revoked or forged token — or a guest tried to write. */
  unauthenticated: 'You need to log in to do that.',
  /** Login with an unknown account or a wrong password (one message for both on purpose). */
  invalid_credentials: 'Wrong username/email or password.',
  /** Signed in, and allowed to see the thing, but not to do this to it. */
  forbidden: 'You are not allowed to do that.',
  /** Does not exist, or exists but is not visible to you (private rooms): the two are indistinguishable. */
  not_found: 'Not found.',
  /** The username or email is taken, or a public room already has that name. */
  conflict: 'That already exists.',
  /** Too many requests; `retryAfter` says how many seconds to wait. */
  rate_limited: 'Too many requests. Please slow down.',
  /** The request body or frame is larger than the server accepts. */
  payload_too_large: 'That is too large.',
  /** A dependency (database) is unavailable; nothing was stored. Retry later. */
  unavailable: 'The service is temporarily unavailable. Please retry.',
  /** Anything unexpected. The server logged it with a request id. */
  internal: 'Something went wrong on our side.',
} as const

export type ErrorCode = keyof typeof ERROR_CODES

/** The error body shared by REST responses and socket acks. */
export type ErrorBody = {
  code: ErrorCode
  message: string
  /** invalid_input: field path → what is wrong with it. */
  fields?: Record<string, string>
  /** rate_limited: seconds until a retry may succeed. */
  retryAfter?: number
}
