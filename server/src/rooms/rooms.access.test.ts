// The access rule has three faces — the TypeScript predicate behind requireRoom, the Prisma `where`
// for listings, and the SQL fragment used inside statements (the message writer) — and they must
// agree for every viewer and every room.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import pg from 'pg'
import { startServer, type TestServer, testEnv } from '../../test/helpers'
import type { Viewer } from '../contract/events'
import { canReadSql, readableRooms, readableRoomsWhere, requireRoom } from './rooms.access'

let server: TestServer
let db: pg.Client
before(async () => {
  server = await startServer({ REDIS_URL: '' })
  db = new pg.Client({ connectionString: testEnv.databaseUrl })
  await db.connect()
})
after(async () => {
  await db.end()
  await server.stop()
})

test('canRead, readableRoomsWhere and canReadSql agree for every viewer × room', async () => {
  const [owner, participant, removed, outsider] = await Promise.all([1, 2, 3, 4].map(() => server.user()))
  const create = async (isPrivate: boolean) =>
    (await server.room({ by: owner, private: isPrivate, with: isPrivate ? [participant, removed] : [] })).id
  const rooms = { public: await create(false), private: await create(true), deleted: await create(true) }
  const removal = await server.api('DELETE', `/api/rooms/${rooms.private}/participants/${removed.user.username}`, {
    token: owner.token,
  })
  assert.equal(removal.status, 204)
  assert.equal((await server.api('DELETE', `/api/rooms/${rooms.deleted}`, { token: owner.token })).status, 204)

  const asUser = (s: typeof owner): Viewer => ({ kind: 'user', ...s.user })
  const viewers: Record<string, Viewer> = {
    owner: asUser(owner),
    participant: asUser(participant),
    'removed participant': asUser(removed),
    outsider: asUser(outsider),
    guest: { kind: 'guest', id: 'guest-1' },
    anonymous: { kind: 'guest', id: 'anon-socket-1' },
  }
  const expected: Record<string, Record<keyof typeof rooms, boolean>> = {
    owner: { public: true, private: true, deleted: false },
    participant: { public: true, private: true, deleted: false },
    'removed participant': { public: true, private: false, deleted: false },
    outsider: { public: true, private: false, deleted: false },
    guest: { public: true, private: false, deleted: false },
    anonymous: { public: true, private: false, deleted: false },
  }

  for (const [who, viewer] of Object.entries(viewers)) {
    for (const [kind, roomId] of Object.entries(rooms) as [keyof typeof rooms, string][]) {
      const predicate = await requireRoom(server.prisma, viewer, roomId, 'read').then(
        () => true,
        () => false,
      )
      const prismaWhere =
        (await server.prisma.room.count({ where: { AND: [{ id: roomId }, readableRoomsWhere(viewer)] } })) === 1
      const userId = viewer.kind === 'user' ? viewer.id : null
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM "Room" r WHERE r."id" = $1 AND ${canReadSql('r', '$2::uuid')}`,
        [roomId, userId],
      )
      const sql = rows[0].n === 1
      const listed = (await readableRooms(server.prisma, viewer, 'room')).some((r) => r.id === roomId)
      const at = `${who} / ${kind} room`
      assert.equal(predicate, expected[who][kind], `${at}: TypeScript predicate`)
      assert.equal(prismaWhere, predicate, `${at}: the Prisma where disagrees with the predicate`)
      assert.equal(sql, predicate, `${at}: the SQL fragment disagrees with the predicate`)
      assert.equal(listed, predicate, `${at}: the directory listing disagrees with the predicate`)
    }
  }
})
