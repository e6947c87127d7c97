// Ephemeral messages, slash commands, the bot and escalations (issue 20), on one in-process server.
// The cross-instance cases are in commands.cluster.test.ts.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  ack,
  api,
  clientMsgId,
  createPrivateDatabase,
  eventually,
  handshakeError,
  LOBBY_ID,
  record,
  startServer,
  type TestServer,
  tableCounts as countRows,
} from '../../test/helpers'
import { BOT_USER_ID, BOT_USERNAME } from '../contract/limits'

// Its own database: the "every table's row count" checks must not see other files' writes.
let server: TestServer
let database: Awaited<ReturnType<typeof createPrivateDatabase>>
const tableCounts = () => countRows(database.url)
before(async () => {
  database = await createPrivateDatabase()
  server = await startServer({ DATABASE_URL: database.url })
})
after(async () => {
  await server.stop()
  await database.drop()
})

const run = (socket: Parameters<typeof ack>[0], roomId: string, text: string, id = clientMsgId()) =>
  ack(socket, 'command:run', { roomId, text, clientMsgId: id })

/** A round trip through the server: everything it emitted to this socket before has arrived. */
const settled = (socket: Parameters<typeof ack>[0]) => ack(socket, 'room:leave', '00000000-0000-4000-8000-00000000ffff')

describe('ephemeral messages', () => {
  test('reach only the sockets viewing the room now, and are stored nowhere', async () => {
    const [alice, bob, eve] = await Promise.all([server.user(), server.user(), server.user()])
    const room = await server.room({ by: alice })
    const a = await server.socket(alice)
    const b = await server.socket(bob)
    const e = await server.socket(eve) // connected, but not viewing the room
    const guest = await server.socket(null)
    for (const s of [a, b, guest]) assert.equal((await ack(s, 'room:join', room.id)).ok, true)
    const stored = await ack(a, 'message:send', { roomId: room.id, content: 'stored one', clientMsgId: clientMsgId() })
    assert.equal(stored.ok, true)
    const eveLog = record(e)
    const before = await tableCounts()
    const atAlice = new Promise<any>((resolve) => a.once('ephemeral:created', resolve))
    const atGuest = new Promise<any>((resolve) => guest.once('ephemeral:created', resolve))
    const sent = await ack(b, 'ephemeral:send', { roomId: room.id, content: 'not saved', clientMsgId: clientMsgId() })
    assert.equal(sent.ok, true)
    const live = await atAlice
    assert.equal(live.content, 'not saved')
    assert.equal(live.author.username, bob.user.username)
    assert.equal(live.email, bob.user.email)
    assert.equal('seq' in live || 'rev' in live, false, 'no seq, no rev')
    assert.match((await atGuest).email, /^.\*\*\*@/, 'masked for guests')
    assert.deepEqual(await tableCounts(), before, 'every table has the same row count')

    // Eve was not viewing: nothing reached her. She opens the room now: history has only the stored one.
    await settled(e)
    assert.equal(eveLog.text().includes('not saved'), false)
    const joined = await ack(e, 'room:join', room.id)
    assert.deepEqual(joined.ok && joined.messages.map((m: { content: string }) => m.content), ['stored one'])
    await settled(e)
    assert.equal(eveLog.text().includes('not saved'), false, 'not delivered to a later viewer')
    const history = await server.api('GET', `/api/rooms/${room.id}/messages`, { token: eve.token })
    const changes = await server.api('GET', `/api/rooms/${room.id}/changes?after=0`, { token: eve.token })
    assert.equal(JSON.stringify(history.body).includes('not saved'), false)
    assert.equal(JSON.stringify(changes.body).includes('not saved'), false)
    assert.equal(changes.body.rev, 1, 'the room rev did not move')
    // Nothing of it is kept in Redis (only the adapter's publish carried it).
    const { createClient } = await import('redis')
    const redis = createClient({ url: server.config.REDIS_URL })
    await redis.connect()
    const keys = await redis.keys(`${server.config.REDIS_PREFIX}*`)
    for (const key of keys) {
      const type = await redis.type(key)
      const value =
        type === 'string' ? await redis.get(key) : type === 'hash' ? JSON.stringify(await redis.hGetAll(key)) : ''
      assert.equal(String(value).includes('not saved'), false, `Redis key ${key}`)
    }
    await redis.quit()
    for (const s of [a, b, e, guest]) s.close()
  })

  test('same rights and limits as messages: guests, outsiders of private rooms, too long', async () => {
    const [owner, outsider] = await Promise.all([server.user(), server.user()])
    const secret = await server.room({ by: owner, private: true })
    const g = await server.socket(null)
    const o = await server.socket(outsider)
    const send = (s: typeof g, roomId: string, content = 'x') =>
      ack(s, 'ephemeral:send', { roomId, content, clientMsgId: clientMsgId() })
    assert.equal((await send(g, LOBBY_ID)).ok === false && (await send(g, LOBBY_ID)).error.code, 'unauthenticated')
    const hidden = await send(o, secret.id)
    const missing = await send(o, '5f0c6a36-2f0e-4a55-9d59-1d3b1a1b0c7e')
    assert.deepEqual(hidden, missing)
    assert.equal(!hidden.ok && hidden.error.code, 'not_found')
    const long = await send(o, LOBBY_ID, 'a'.repeat(4001))
    assert.equal(!long.ok && long.error.code, 'invalid_input')
    g.close()
    o.close()
  })

  test('share the rate limit of messages', async () => {
    const strict = await startServer({ RATE_LIMIT_SCALE: '1', REDIS_URL: '' })
    try {
      const user = await strict.user()
      const s = await strict.socket(user)
      const outcomes: string[] = []
      for (let i = 0; i < 16; i++) {
        const event = i % 2 === 0 ? 'message:send' : 'ephemeral:send'
        const res = await ack(s, event, { roomId: LOBBY_ID, content: `m${i}`, clientMsgId: clientMsgId() })
        outcomes.push(res.ok ? 'ok' : res.error.code)
      }
      // messageBurst allows 15 per 10 s, counted over both events together.
      assert.deepEqual(outcomes, [...Array(15).fill('ok'), 'rate_limited'])
      s.close()
    } finally {
      await strict.stop()
    }
  })
})

describe('slash commands', () => {
  test('/nope changes no table, answers privately, and the next message takes the next seq', async () => {
    const alice = await server.user()
    const room = await server.room({ by: alice })
    const a = await server.socket(alice)
    const watcher = await server.socket(await server.user())
    await ack(watcher, 'room:join', room.id)
    const watched = record(watcher)
    const first = await ack(a, 'message:send', { roomId: room.id, content: 'one', clientMsgId: clientMsgId() })
    assert.equal(first.ok && first.message.seq, 1)
    const before = await tableCounts()
    const res = await run(a, room.id, '/nope and more')
    assert.equal(res.ok, true)
    assert.equal(res.result.reply, 'No such command: /nope and more. Type /help to see the commands you can use here.')
    assert.equal(res.result.message, undefined)
    assert.deepEqual(await tableCounts(), before)
    const next = await ack(a, 'message:send', { roomId: room.id, content: 'two', clientMsgId: clientMsgId() })
    assert.equal(next.ok && next.message.seq, 2)
    await settled(watcher)
    assert.equal(watched.text().includes('nope'), false, 'the answer went to the sender only')
    a.close()
    watcher.close()
  })

  test('the input comes back as text, never as markup', async () => {
    const s = await server.socket(await server.user())
    const res = await run(s, LOBBY_ID, '/<img src=x onerror=alert(1)>')
    assert.equal(
      res.result.reply,
      'No such command: /<img src=x onerror=alert(1)>. Type /help to see the commands you can use here.',
    )
    s.close()
  })

  test('//text posts /text literally; /me and /shrug post system messages of who ran them', async () => {
    const alice = await server.user()
    const room = await server.room({ by: alice })
    const a = await server.socket(alice)
    const bob = await server.socket(await server.user())
    await ack(bob, 'room:join', room.id)
    const seen = record(bob)
    const literal = await run(a, room.id, '//shrug is a command')
    assert.equal(literal.result.message.content, '/shrug is a command')
    assert.equal(literal.result.message.kind, 'user')
    const id = clientMsgId()
    const me = await run(a, room.id, '/me waves', id)
    assert.equal(me.result.message.kind, 'system')
    assert.deepEqual(me.result.message.notice, { type: 'command', command: 'me', actor: alice.user.username })
    assert.equal(me.result.message.content, 'waves')
    assert.equal(me.result.message.author.id, alice.user.id)
    const again = await run(a, room.id, '/me waves', id)
    assert.equal(again.result.message.id, me.result.message.id, 'a retry stores nothing new')
    const shrug = await run(a, room.id, '/shrug no idea')
    assert.equal(shrug.result.message.content, 'no idea ¯\\_(ツ)_/¯')
    assert.deepEqual(
      [literal, me, shrug].map((r) => r.result.message.seq),
      [1, 2, 3],
    )
    await eventually(() => seen.events.filter((e) => e.event === 'message:created').length >= 3)
    const usage = await run(a, room.id, '/me')
    assert.equal(usage.result.reply, 'Usage: /me <action>')
    a.close()
    bob.close()
  })

  test('/help, /who, /topic and /ephemeral', async () => {
    const alice = await server.user()
    const room = await server.room({ by: alice })
    const a = await server.socket(alice)
    const bob = await server.user()
    const b = await server.socket(bob)
    const g = await server.socket(null)
    for (const s of [a, b, g]) await ack(s, 'room:join', room.id)
    const help = await run(b, room.id, '/help')
    assert.match(help.result.reply, /\/me <action>/)
    assert.doesNotMatch(help.result.reply, /\/resolve/, 'only what you may run')
    const who = await run(a, room.id, '/WHO')
    const names = [alice.user.username, bob.user.username].sort().join(', ')
    assert.equal(who.result.reply, `Viewing ${room.name} now: ${names} (2 signed in) and 1 guest.`)
    const topic = await run(a, room.id, '/topic homework')
    assert.equal(topic.result.topic, 'homework')
    const tooLong = await run(a, room.id, `/topic ${'t'.repeat(65)}`)
    assert.equal(tooLong.result.topic, undefined)
    assert.match(tooLong.result.reply, /at most 64/)
    const atBob = new Promise<any>((resolve) => b.once('ephemeral:created', resolve))
    const eph = await run(a, room.id, '/ephemeral just between us')
    assert.equal(eph.result.ephemeral.content, 'just between us')
    assert.equal((await atBob).content, 'just between us')
    for (const s of [a, b, g]) s.close()
  })

  test('a missing room and a private room you may not use answer identically, for every command', async () => {
    const owner = await server.user()
    const secret = await server.room({ by: owner, private: true })
    const s = await server.socket(await server.user())
    const missing = '5f0c6a36-2f0e-4a55-9d59-1d3b1a1b0c7e'
    for (const text of ['/help', '/who', '/me hi', '/escalate', '/resolve', '/nope', '/ephemeral x', '//x']) {
      const hidden = await run(s, secret.id, text)
      const absent = await run(s, missing, text)
      assert.deepEqual(hidden, absent, text)
      assert.equal(!hidden.ok && hidden.error.code, 'not_found', text)
    }
    const list = await server.api('GET', `/api/rooms/${secret.id}/commands`, { token: (await server.user()).token })
    assert.equal(list.status, 404)
    s.close()
  })

  test('GET /api/rooms/:id/commands lists what you may run', async () => {
    const [owner, other] = await Promise.all([server.user(), server.user()])
    const room = await server.room({ by: owner })
    const names = async (token: string) =>
      (await server.api('GET', `/api/rooms/${room.id}/commands`, { token })).body.commands.map((c: any) => c.name)
    assert.ok((await names(owner.token)).includes('resolve'), 'the owner may resolve')
    assert.equal((await names(other.token)).includes('resolve'), false)
    const s = await server.socket(other)
    await run(s, room.id, '/escalate help me')
    assert.ok((await names(other.token)).includes('resolve'), 'the asker may resolve their own')
    const usage = (await server.api('GET', `/api/rooms/${room.id}/commands`, { token: other.token })).body.commands
    assert.deepEqual(usage[0], { name: 'help', usage: '/help', description: 'List the commands you can use here.' })
    s.close()
  })
})

describe('the bot', () => {
  test('cannot log in, has no password, is nobody to search for or add', async () => {
    const row = await server.prisma.user.findUniqueOrThrow({ where: { id: BOT_USER_ID } })
    assert.equal(row.isBot, true)
    assert.equal(row.passwordHash, null)
    for (const login of [BOT_USERNAME, row.email]) {
      const res = await server.api('POST', '/api/auth/login', { body: { login, password: 'correct horse battery' } })
      assert.equal(res.status, 401, login)
    }
    const me = await server.user()
    const search = await server.api('GET', '/api/users?query=parlor', { token: me.token })
    assert.equal(
      search.body.users.some((u: any) => u.id === BOT_USER_ID),
      false,
    )
    const room = await server.room({ by: me, private: true })
    const add = await server.api('POST', `/api/rooms/${room.id}/participants`, {
      token: me.token,
      body: { username: BOT_USERNAME },
    })
    assert.equal(add.status, 400)
  })

  test('a token naming the bot, even one signed with the server secret, is refused everywhere', async () => {
    const { default: jwt } = await import('jsonwebtoken')
    const token = jwt.sign({ kind: 'user', tv: 0 }, server.config.JWT_SECRET, {
      subject: BOT_USER_ID,
      issuer: server.config.JWT_ISSUER,
      audience: server.config.JWT_AUDIENCE,
      expiresIn: 600,
    })
    assert.equal((await server.api('GET', '/api/auth/me', { token })).status, 401)
    assert.ok(await handshakeError(server.url, token), 'the socket handshake refuses it')
  })
})

describe('/escalate and /resolve', () => {
  test('records one, the bot mentions the creator, who gets it live and in a list; /resolve closes it', async () => {
    const [owner, asker] = await Promise.all([server.user(), server.user()])
    const room = await server.room({ by: owner, private: true, with: [asker] })
    const o = await server.socket(owner) // not viewing the room: reached through their own channel
    const s = await server.socket(asker)
    await ack(s, 'room:join', room.id)
    const toOwner = new Promise<any>((resolve) => o.once('escalation:updated', resolve))
    const heard = record(o)
    const res = await run(s, room.id, '/escalate the projector is broken')
    assert.equal(res.result.reply, `Escalated: ${owner.user.username} has been notified.`)
    const bot = res.result.message
    assert.equal(bot.kind, 'bot')
    assert.equal(bot.author.id, BOT_USER_ID)
    assert.equal(bot.email, '')
    assert.equal(
      bot.content,
      `@${owner.user.username} ${asker.user.username} asked for a person in charge: the projector is broken`,
    )
    const live = await toOwner
    assert.deepEqual(
      { asker: live.asker, reason: live.reason, status: live.status, roomName: live.roomName },
      { asker: asker.user.username, reason: 'the projector is broken', status: 'open', roomName: room.name },
    )
    // The bot's mention is a mention like any (issue 18): live on the owner's channel, and counted.
    const activityOf = () =>
      heard.events.find((e) => e.event === 'room:activity' && (e.args[0] as { roomId: string }).roomId === room.id)
    await eventually(() => activityOf() !== undefined, 5000, 'the owner hears of the mention')
    const activity = activityOf()?.args[0] as any
    assert.deepEqual(
      { kind: activity.kind, mentioned: activity.mentioned, author: activity.author },
      { kind: 'created', mentioned: true, author: BOT_USERNAME },
    )
    const unread = await server.api('GET', '/api/unread', { token: owner.token })
    const badge = unread.body.rooms.find((r: any) => r.roomId === room.id)
    assert.deepEqual({ unread: badge?.unread, mentions: badge?.mentions }, { unread: 1, mentions: 1 })
    const list = await server.api('GET', '/api/escalations', { token: owner.token })
    assert.deepEqual(
      list.body.escalations.map((e: any) => e.id),
      [live.id],
    )
    const banner = await server.api('GET', `/api/rooms/${room.id}/escalations`, { token: asker.token })
    assert.equal(banner.body.escalations.length, 1)
    const rows = await server.prisma.escalation.findMany({ where: { roomId: room.id } })
    assert.equal(rows.length, 1)
    assert.equal(rows[0].status, 'open')

    // One open per person per room.
    const twice = await run(s, room.id, '/escalate again')
    assert.match(twice.result.reply, /already asked/)
    assert.equal(await server.prisma.escalation.count({ where: { roomId: room.id } }), 1)

    // Someone else cannot resolve it; the asker can.
    const resolved = new Promise<any>((resolve) => o.once('escalation:updated', resolve))
    const done = await run(s, room.id, '/resolve')
    assert.equal(done.result.reply, `Resolved: ${asker.user.username}.`)
    assert.equal(done.result.message.kind, 'bot')
    assert.equal((await resolved).status, 'resolved')
    assert.deepEqual((await server.api('GET', '/api/escalations', { token: owner.token })).body.escalations, [])
    assert.equal(
      (await server.prisma.escalation.findFirstOrThrow({ where: { roomId: room.id } })).resolvedBy,
      asker.user.username,
    )
    o.close()
    s.close()
  })

  test('the creator resolves anyone; others may not; the lobby has no owner', async () => {
    const [owner, asker, other] = await Promise.all([server.user(), server.user(), server.user()])
    const room = await server.room({ by: owner })
    const s = await server.socket(asker)
    const x = await server.socket(other)
    const o = await server.socket(owner)
    await run(s, room.id, '/escalate')
    const notYours = await run(x, room.id, `/resolve ${asker.user.username}`)
    assert.match(notYours.result.reply, /cannot use \/resolve/)
    const self = await run(o, room.id, '/escalate')
    assert.equal(self.result.reply, 'You created this room: you are its owner.')
    const done = await run(o, room.id, `/resolve @${asker.user.username}`)
    assert.equal(done.result.reply, `Resolved: ${asker.user.username}.`)
    const lobby = await run(s, LOBBY_ID, '/escalate')
    assert.match(lobby.result.reply, /has no owner/)
    for (const c of [s, x, o]) c.close()
  })

  test('a retried /escalate (same clientMsgId) opens one; the bot message quoting /escalate triggers nothing', async () => {
    const [owner, asker] = await Promise.all([server.user(), server.user()])
    const room = await server.room({ by: owner })
    const s = await server.socket(asker)
    const id = clientMsgId()
    const [one, two] = await Promise.all([
      run(s, room.id, '/escalate /escalate', id),
      run(s, room.id, '/escalate /escalate', id),
    ])
    assert.equal(one.result.escalation.id, two.result.escalation.id)
    assert.equal(one.result.message.id, two.result.message.id)
    assert.match(one.result.message.content, /\/escalate$/)
    // The retry stored nothing, so it mentions nobody again.
    await eventually(
      async () => (await server.prisma.mention.count({ where: { messageId: one.result.message.id } })) === 1,
    )
    // The bot's message contains "/escalate": it is stored text, nothing runs it.
    await eventually(async () => (await server.prisma.message.count({ where: { roomId: room.id } })) === 1)
    assert.equal(await server.prisma.escalation.count({ where: { roomId: room.id } }), 1)
    const messages = await server.api('GET', `/api/rooms/${room.id}/messages`, { token: owner.token })
    assert.deepEqual(
      messages.body.messages.map((m: any) => m.kind),
      ['bot'],
    )
    s.close()
  })

  test('guests and the bot cannot run commands', async () => {
    const g = await server.socket(null)
    const res = await run(g, LOBBY_ID, '/help')
    assert.equal(!res.ok && res.error.code, 'unauthenticated')
    g.close()
    const list = await api(server.url, 'GET', `/api/rooms/${LOBBY_ID}/commands`)
    assert.equal(list.status, 401)
  })
})
