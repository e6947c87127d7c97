import type { ErrorRequestHandler, RequestHandler } from 'express'
import { AppError, STATUS_BY_CODE, toAppError } from '../lib/app-error'
import type { Logger } from '../lib/logger'
import type { Metrics } from '../metrics/metrics'

/** Unknown API paths answer JSON, not the SPA. */
export const apiNotFound: RequestHandler = (_req, _res, next) => {
  next(new AppError('not_found', { message: 'No such API endpoint.' }))
}

/**
 * The last middleware: every error becomes `{error:{code,message}}` with the status from the code
 * table. Unknown errors are logged with the request id and answered with a generic message.
 */
export function errorHandler(log: Logger, metrics: Metrics): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const appError = fromBodyParser(err) ?? toAppError(err)
    metrics.error(appError.code, 'rest')
    if (appError.code === 'internal' || appError.code === 'unavailable') {
      log.error({ err, reqId: req.id, method: req.method, path: req.path }, 'request failed')
    }
    if (appError.retryAfter !== undefined) res.setHeader('Retry-After', String(appError.retryAfter))
    if (res.headersSent) return res.end()
    res.status(STATUS_BY_CODE[appError.code]).json({ error: appError.toBody() })
  }
}

function fromBodyParser(err: { type?: string } | undefined): AppError | null {
  // Express could not percent-decode a path parameter.
  if (err instanceof URIError) {
    return new AppError('invalid_input', { message: 'The URL is malformed.', fields: { path: 'is not valid' } })
  }
  switch (err?.type) {
    case 'entity.too.large':
      return new AppError('payload_too_large')
    case 'entity.parse.failed':
      return new AppError('invalid_input', {
        message: 'The body is not valid JSON.',
        fields: { body: 'is not valid JSON' },
      })
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('invalid_input', {
        message: 'Unsupported body encoding.',
        fields: { body: 'unsupported encoding' },
      })
    default:
      return null
  }
}
