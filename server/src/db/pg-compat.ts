// Workarounds for @prisma/adapter-pg 6.19 when used by the wasm schema engine
// (prisma.config.ts: engine 'js'), WITHOUT patching node_modules.
//  1) prisma/prisma#27403: "Column type 'name' could not be deserialized" -- the
//     adapter rejects built-in catalog types (name=19, "char"=18, ...). We give
//     PrismaPg a pg.Pool whose Client rewrites such result-column OIDs to 25 (text).
//  2) PrismaPg.connectToShadowDb() is broken: it does
//     `new pg.Pool({ ...this.config, database: shadowName })`, where a connectionString
//     overrides `database` (the "shadow" connection is the MAIN db), a pg.Pool's
//     non-enumerable `password` is lost in the spread (SASL error), and it runs
//     DROP DATABASE before closing its own pool ("being accessed by other users").
//     PrismaPgCompat re-implements it.
import { randomUUID } from 'node:crypto'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'

const FIRST_NORMAL_OBJECT_ID = 16384 // adapter already maps OIDs >= this to Text
const TEXT_OID = 25
const b = pg.types.builtins
// OIDs that @prisma/adapter-pg 6.19 fieldToColumnType() maps explicitly
const SUPPORTED = new Set<number>([
  b.INT2,
  b.INT4,
  b.INT8,
  b.FLOAT4,
  b.FLOAT8,
  b.BOOL,
  b.DATE,
  b.TIME,
  b.TIMETZ,
  b.TIMESTAMP,
  b.TIMESTAMPTZ,
  b.NUMERIC,
  b.MONEY,
  b.JSON,
  b.JSONB,
  b.UUID,
  b.OID,
  b.BPCHAR,
  b.TEXT,
  b.VARCHAR,
  b.BIT,
  b.VARBIT,
  b.INET,
  b.CIDR,
  b.XML,
  b.BYTEA,
  1561,
  1000,
  1001,
  1014,
  1002,
  651,
  1182,
  1021,
  1022,
  1041,
  1005,
  1007,
  1016,
  3807,
  199,
  791,
  1231,
  1028,
  1009,
  1115,
  1185,
  1183,
  2951,
  1563,
  1015,
  143,
])

export const rewritten = new Map<number, number>() // oid -> count (diagnostics)

function fixResult<T>(res: T): T {
  if (Array.isArray(res)) {
    res.forEach(fixResult)
    return res
  } // multi-statement result
  for (const f of ((res as any)?.fields ?? []) as pg.FieldDef[]) {
    if (f.dataTypeID < FIRST_NORMAL_OBJECT_ID && !SUPPORTED.has(f.dataTypeID)) {
      rewritten.set(f.dataTypeID, (rewritten.get(f.dataTypeID) ?? 0) + 1)
      f.dataTypeID = TEXT_OID // value is already a string (pg has no parser for these OIDs)
    }
  }
  return res
}

export class CatalogSafeClient extends pg.Client {
  override query(...args: any[]): any {
    const sup = super.query as (...a: any[]) => any
    if (args[0] && typeof args[0].submit === 'function') return sup.apply(this, args) // Submittable
    const i = args.findIndex((a) => typeof a === 'function')
    if (i >= 0) {
      const cb = args[i]
      args[i] = (err: unknown, res: unknown) => cb(err, err ? res : fixResult(res))
      return sup.apply(this, args)
    }
    return sup.apply(this, args).then(fixResult)
  }
}

export function makePool(url: string, extra: pg.PoolConfig = {}): pg.Pool {
  // allowExitOnIdle: the Prisma CLI does not end the pool; without it every command waits idleTimeoutMillis (10 s) before exiting
  return new pg.Pool({ connectionString: url, allowExitOnIdle: true, ...extra, Client: CatalogSafeClient })
}

/** Drop-in for `new PrismaPg(...)` in prisma.config.ts (migrate/introspect). */
export class PrismaPgCompat extends PrismaPg {
  constructor(private readonly url: string) {
    super(makePool(url), { disposeExternalPool: true })
  }
  override async connectToShadowDb() {
    const admin = await new PrismaPg(makePool(this.url), { disposeExternalPool: true }).connect()
    const name = `prisma_migrate_shadow_db_${randomUUID()}`
    await admin.executeScript(`CREATE DATABASE "${name}"`)
    const u = new URL(this.url)
    u.pathname = `/${name}`
    const shadow = await new PrismaPg(makePool(u.toString()), { disposeExternalPool: true }).connect()
    const disposeShadow = shadow.dispose.bind(shadow)
    shadow.dispose = async () => {
      await disposeShadow() // closes the shadow pool first
      try {
        await admin.executeScript(`DROP DATABASE IF EXISTS "${name}"`)
      } finally {
        await admin.dispose()
      }
    }
    return shadow
  }
}
