// Prisma CLI configuration (only the CLI loads this file; the server builds its own client).
// Offline route from shared/notes: the wasm schema engine (`engine: 'js'`) over @prisma/adapter-pg,
// with the workarounds in server/src/db/pg-compat.ts.
import { defineConfig } from 'prisma/config'
import { PrismaPgCompat } from './server/src/db/pg-compat'

// schema.prisma keeps `url = env("DATABASE_URL")`; if it does not resolve, Prisma 6.19 tries to
// download a query engine. With an adapter config, .env is not loaded, so give a dev default.
process.env.DATABASE_URL ||= 'postgresql://postgres@127.0.0.1:5432/parlor'
const url = process.env.DATABASE_URL

// The wasm engine glue leaves 10 s / 60 s timers pending after the work is done, so the CLI
// would linger. Unref long timers: this file is loaded by the CLI only.
const originalSetTimeout = globalThis.setTimeout
globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const timer = originalSetTimeout(fn, ms, ...args)
  if ((ms ?? 0) >= 10_000) timer.unref()
  return timer
}) as typeof setTimeout

export default defineConfig({
  schema: 'prisma/schema.prisma',
  experimental: { adapter: true },
  engine: 'js',
  async adapter() {
    return new PrismaPgCompat(url)
  },
})
