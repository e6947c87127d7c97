// A PostgreSQL database and a Redis key prefix private to one e2e run, removed afterwards.
import pg from 'pg'
import { createClient } from 'redis'

const ADMIN_URL = process.env.E2E_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'

export async function createDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE "${name}"`)
  } finally {
    await admin.end()
  }
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return url.toString()
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  } finally {
    await admin.end()
  }
}

export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = createClient({ url: process.env.E2E_REDIS_URL ?? 'redis://127.0.0.1:6379' })
  await redis.connect()
  try {
    const keys: string[] = []
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch)
    if (keys.length > 0) await redis.del(keys)
  } finally {
    await redis.quit()
  }
}
