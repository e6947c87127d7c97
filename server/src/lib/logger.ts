import pino from 'pino'

export type Logger = pino.Logger

/** JSON logs. Secrets never reach them: auth headers, tokens and passwords are redacted by path. */
export function createLogger({
  level,
  instanceId,
  destination,
}: {
  level: string
  instanceId: string
  /** Where to write (tests capture logs); stdout by default. */
  destination?: pino.DestinationStream
}): Logger {
  return pino(
    {
      level,
      base: { instance: instanceId },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          '*.password',
          '*.token',
          '*.passwordHash',
          'auth.token',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  )
}
