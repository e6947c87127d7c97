import { ERROR_CODES, type ErrorBody, type ErrorCode } from '@contract/errors'

/** A failed API call, carrying the server's error body (`{code, message, fields}`). */
export class ApiError extends Error {
  readonly status: number
  readonly body: ErrorBody

  constructor(status: number, body: ErrorBody) {
    super(body.message)
    this.name = 'ApiError'
    this.status = status
    this.body = body
  }

  get code(): ErrorCode {
    return this.body.code
  }

  /** invalid_input / conflict: field → what is wrong with it. */
  get fields(): Record<string, string> {
    return this.body.fields ?? {}
  }
}

/** Turns anything thrown by `send` (or a socket ack error) into a message safe to show. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message
  return ERROR_CODES.internal
}

let tokenSource: () => string | null = () => null

/** Lets the session state supply the bearer token without an import cycle. */
export function useToken(source: () => string | null): void {
  tokenSource = source
}

type Options = { method?: 'GET' | 'POST' | 'PATCH' | 'DELETE'; body?: unknown; token?: string | null }

/**
 * The one fetch wrapper: JSON in and out, the current session's bearer token, and every failure as an
 * ApiError (a network failure becomes `unavailable`).
 *
 * @example const { rooms } = await send<{ rooms: RoomDto[] }>('/api/rooms')
 */
export async function send<T>(path: string, { method = 'GET', body, token = tokenSource() }: Options = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (token) headers.Authorization = `Bearer ${token}`
  let res: Response
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  } catch {
    throw new ApiError(0, { code: 'unavailable', message: ERROR_CODES.unavailable })
  }
  if (res.status === 204) return undefined as T
  const data = await res.json().catch(() => null)
  if (!res.ok) {
    const error = (data as { error?: ErrorBody } | null)?.error
    throw new ApiError(res.status, error?.code ? error : { code: 'internal', message: ERROR_CODES.internal })
  }
  return data as T
}

/** Builds a query string, leaving out undefined values. */
export function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string | number] => e[1] !== undefined)
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : ''
}
