import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { z } from 'zod'

/** The development JWT secret from .env.example; refused in production. */
export const DEV_JWT_SECRET = 'dev-only-secret-change-me-0123456789abcdef'

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes')

const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
)

/**
 * Every environment variable Parlor reads, with its development default. `.env.example` mirrors this
 * list, and the Kubernetes tests check each overlay provides what production requires.
 */
export const ZEnv = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** PostgreSQL. Unset outside production: an embedded PGlite database under DATA_DIR is used. */
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    DATA_DIR: z.string().min(1).default('./data'),
    /** Apply pending migrations before listening. */
    MIGRATE_ON_START: bool.default(true),
    /** Redis. Unset outside production: a single instance with in-memory presence and adapter. */
    REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
    /** Prefix of every Redis key and channel, so deployments (and test runs) never collide. */
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_-]{1,64}$/)
      .default('parlor'),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_JWT_SECRET),
    JWT_ISSUER: z.string().min(1).default('parlor'),
    JWT_AUDIENCE: z.string().min(1).default('parlor'),
    /** Lifetime of a login session. */
    JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(2_592_000).default(43_200),
    /** Lifetime of a guest id (so a returning guest stays one person). */
    GUEST_TTL_SECONDS: z.coerce.number().int().min(60).max(31_536_000).default(2_592_000),
    BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(10),
    /**
     * Password hashes computed at once per instance, each on a hashing thread at nice 10 (below the
     * event loop, so logins use only what chat leaves idle); 0 means one per core of the instance.
     */
    BCRYPT_CONCURRENCY: z.coerce
      .number()
      .int()
      .min(0)
      .max(64)
      .default(0)
      .transform((n) => (n === 0 ? availableParallelism() : n)),
    /** Browser origins allowed besides the server's own (CORS and the Socket.IO handshake). */
    CORS_ORIGINS: csv.default([]),
    /** Multiplies every rate limit (server/src/limits/limits.ts); raise it for load tests only. */
    RATE_LIMIT_SCALE: z.coerce.number().positive().max(1_000_000).default(1),
    /** Open sockets one client address may hold on one instance; 0 means no cap. */
    MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(0).max(1_000_000).default(200),
    /** An instance that misses heartbeats this long is dead: its people leave the counts. */
    PRESENCE_TTL_SECONDS: z.coerce.number().int().min(2).max(300).default(15),
    PRESENCE_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(60).default(5),
    /** How long after sending a person may edit their message; 0 means no limit. Deleting has none. */
    MESSAGE_EDIT_WINDOW_SECONDS: z.coerce.number().int().min(0).max(31_536_000).default(3600),
    /** Graceful shutdown budget; the process exits before this even if work is stuck. */
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(8_000),
    /** Where the built web UI lives; served at / when present. */
    WEB_DIST_DIR: z.string().min(1).default('web/dist'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // Uploads (issue 21).
    /** Where uploaded files live: `postgres` (the database, embedded too; the default) or `s3` (an S3-compatible store). */
    STORAGE: z.enum(['postgres', 's3']).default('postgres'),
    /** STORAGE=s3: the store's endpoint (path-style URLs), bucket, region and keys. */
    S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
    S3_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)
      .optional(),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    /** Largest file accepted, in bytes; refused while it streams in, before anything is stored. */
    UPLOAD_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(1_073_741_824)
      .default(10 * 1024 * 1024),
    /** Attachments one message may carry (at most 20, the contract's ceiling). */
    UPLOAD_MAX_PER_MESSAGE: z.coerce.number().int().min(1).max(20).default(5),
    /** Largest image accepted, in pixels (width times height): bounds the memory one decode takes. */
    UPLOAD_MAX_PIXELS: z.coerce.number().int().min(10_000).max(268_402_689).default(40_000_000),
    /** Uploads never attached to a message are deleted after this long. */
    UPLOAD_UNATTACHED_TTL_SECONDS: z.coerce.number().int().min(1).max(604_800).default(3600),
    /** How often each instance sweeps unattached and orphaned uploads. */
    UPLOAD_SWEEP_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
    /** Images decoded at once per instance; the rest wait in line, so chat keeps its CPU. */
    IMAGE_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
    /** The most of a core each image slot may use (it rests in between); 1 = no rest. */
    IMAGE_CPU_SHARE: z.coerce.number().min(0.05).max(1).default(0.25),
    /** Lifetime of a signed download link. */
    FILE_LINK_TTL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(600),
    /** Shown in logs and metrics; defaults to hostname + pid. */
    INSTANCE_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .optional(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return
    const need = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message })
    if (!env.DATABASE_URL) need('DATABASE_URL', 'is required in production')
    if (!env.REDIS_URL) need('REDIS_URL', 'is required in production')
    if (env.JWT_SECRET === DEV_JWT_SECRET) need('JWT_SECRET', 'must be set to a private value in production')
    if (env.BCRYPT_COST < 10) need('BCRYPT_COST', 'must be at least 10 in production')
  })
  .superRefine((env, ctx) => {
    if (env.STORAGE !== 's3') return
    for (const key of ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const) {
      if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required with STORAGE=s3' })
    }
  })

export type Env = z.infer<typeof ZEnv>

export type Config = Env & {
  instanceId: string
  /**
   * `instanceId` plus a suffix new at every start: names this process in presence and in its database
   * sessions, so that a container restarted in its pod (same INSTANCE_ID) still has its previous life
   * reaped (see messages/fence.ts).
   */
  incarnation: string
  /** Which storage the process runs on, for logs and /readyz. */
  mode: { database: 'postgres' | 'embedded'; redis: 'redis' | 'memory' }
}

export class ConfigError extends Error {}

/** Parses and validates the environment once. Throws a ConfigError naming every bad variable. */
export function loadConfig(source: Record<string, string | undefined>, defaults: { instanceId: string }): Config {
  // Empty strings mean "unset" (as in a copied .env.example line without a value).
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = ZEnv.safeParse(cleaned)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`)
    throw new ConfigError(`Invalid environment variables:\n${lines.join('\n')}`)
  }
  const env = parsed.data
  const instanceId = env.INSTANCE_ID ?? defaults.instanceId
  return {
    ...env,
    instanceId,
    incarnation: `${instanceId}.${randomBytes(4).toString('hex')}`,
    mode: { database: env.DATABASE_URL ? 'postgres' : 'embedded', redis: env.REDIS_URL ? 'redis' : 'memory' },
  }
}
