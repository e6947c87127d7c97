import type pg from 'pg'
import type { Logger } from '../lib/logger'

/** PostgreSQL truncates application_name to 63 bytes. */
const MAX_NAME = 63

/**
 * Ends the PostgreSQL sessions of instances declared dead (each pool names its sessions with its
 * process's `config.incarnation`, the id presence reaps). A killed instance can leave an insert waiting for a room lock that
 * would otherwise commit later, after the others told their clients to catch up, and reach no one.
 * Once its sessions are gone, everything it stored is in the database, and an unfinished statement
 * was rolled back (its sender was never acked and re-sends). Waits up to 5 s for each session to end.
 */
export function createWriterFence({ pool, log }: { pool: pg.Pool; log: Logger }) {
  return async (instanceIds: string[]): Promise<void> => {
    try {
      const { rows } = await pool.query<{ ended: boolean }>(
        `SELECT pg_terminate_backend(pid, 5000) AS ended FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = ANY($1::text[])`,
        [instanceIds.map((id) => id.slice(0, MAX_NAME))],
      )
      if (rows.length > 0)
        log.warn({ instanceIds, sessions: rows.length }, 'ended the database sessions of dead instances')
    } catch (err) {
      log.warn({ err, instanceIds }, 'could not end the database sessions of dead instances')
    }
  }
}
