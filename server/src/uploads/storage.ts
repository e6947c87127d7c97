import { AwsClient } from 'aws4fetch'
import type pg from 'pg'
import type { Config } from '../config/env'

/**
 * Where the bytes of uploads and profile pictures live, by key. Both kinds are shared by every
 * instance, so a file uploaded through one is served by any other; nothing is kept on local disk
 * (the pods keep a read-only root filesystem).
 */
export type Storage = {
  readonly kind: 'postgres' | 's3'
  put(key: string, data: Buffer, contentType: string): Promise<void>
  /** The bytes, or null when there is no such key. */
  get(key: string): Promise<Buffer | null>
  /** Deletes the keys; keys that do not exist are ignored. */
  delete(keys: string[]): Promise<void>
}

/** The default: a table of the database (`StoredObject`), so the embedded database needs nothing else. */
export function createPostgresStorage(pool: pg.Pool): Storage {
  return {
    kind: 'postgres',
    async put(key, data) {
      await pool.query(
        `INSERT INTO "StoredObject" ("key", "data") VALUES ($1, $2)
         ON CONFLICT ("key") DO UPDATE SET "data" = EXCLUDED."data"`,
        [key, data],
      )
    },
    async get(key) {
      const { rows } = await pool.query<{ data: Buffer }>(`SELECT "data" FROM "StoredObject" WHERE "key" = $1`, [key])
      return rows[0]?.data ?? null
    },
    async delete(keys) {
      if (keys.length > 0) await pool.query(`DELETE FROM "StoredObject" WHERE "key" = ANY($1::text[])`, [keys])
    },
  }
}

/**
 * An S3-compatible object store (AWS S3, MinIO, Ceph, R2…), path-style URLs, signed with SigV4 by
 * aws4fetch (a few kilobytes over fetch, no dependencies; the AWS SDK would add some hundred packages
 * for three calls).
 */
export function createS3Storage({
  endpoint,
  bucket,
  region,
  accessKeyId,
  secretAccessKey,
}: {
  endpoint: string
  bucket: string
  region: string
  accessKeyId: string
  secretAccessKey: string
}): Storage {
  const client = new AwsClient({ accessKeyId, secretAccessKey, region, service: 's3', retries: 2 })
  const base = `${endpoint.replace(/\/+$/, '')}/${bucket}`
  const url = (key: string) => `${base}/${key.split('/').map(encodeURIComponent).join('/')}`
  const fail = async (what: string, res: Response) => {
    const text = await res.text().catch(() => '')
    return new Error(`object store ${what} failed: ${res.status} ${text.slice(0, 200)}`)
  }
  return {
    kind: 's3',
    async put(key, data, contentType) {
      const res = await client.fetch(url(key), {
        method: 'PUT',
        body: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) as Uint8Array<ArrayBuffer>,
        headers: { 'content-type': contentType },
      })
      if (!res.ok) throw await fail('PUT', res)
      await res.arrayBuffer()
    },
    async get(key) {
      const res = await client.fetch(url(key))
      if (res.status === 404) {
        await res.arrayBuffer()
        return null
      }
      if (!res.ok) throw await fail('GET', res)
      return Buffer.from(await res.arrayBuffer())
    },
    async delete(keys) {
      for (const key of keys) {
        const res = await client.fetch(url(key), { method: 'DELETE' })
        if (!res.ok && res.status !== 404) throw await fail('DELETE', res)
        await res.arrayBuffer()
      }
    },
  }
}

/** The storage the configuration names. */
export function createStorage(config: Config, pool: pg.Pool): Storage {
  if (config.STORAGE === 's3') {
    return createS3Storage({
      endpoint: config.S3_ENDPOINT as string,
      bucket: config.S3_BUCKET as string,
      region: config.S3_REGION,
      accessKeyId: config.S3_ACCESS_KEY_ID as string,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY as string,
    })
  }
  return createPostgresStorage(pool)
}
