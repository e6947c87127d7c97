import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { promisify } from 'node:util'

const run = promisify(execFile)

/**
 * Applies pending migrations (`prisma migrate deploy`) to `url`. Runs the CLI as an async child
 * process: with the embedded database this process also serves the database, so a synchronous child
 * would deadlock.
 */
export async function migrateDeploy(url: string, env: Record<string, string | undefined>): Promise<string> {
  const cli = createRequire(import.meta.url).resolve('prisma/build/index.js')
  const { stdout } = await run(process.execPath, [cli, 'migrate', 'deploy'], {
    env: { ...env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    timeout: 120_000,
  })
  return stdout
}
