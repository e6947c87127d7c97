// Bad-input catalogue: profiles, direct conversations and account settings (issue 19; see
// ../bad-input.test.ts for the runner and the invariants).
import assert from 'node:assert/strict'
import { type Case, type Ctx, deepArray, email, FAMILY, HTML, http, server, ZALGO } from './catalogue'

const group = 'REST profiles, DMs, account'

const profileBodies: [string, unknown][] = [
  ['an empty body', {}],
  ['an unknown field (email)', { email: 'x@example.com' }],
  ['displayName as an object', { displayName: { set: 'x' } }],
  ['displayName as an array', { displayName: ['x'] }],
  ['displayName with NUL', { displayName: 'a\u0000b' }],
  ['displayName with a newline', { displayName: 'two\nlines' }],
  ['displayName with an RTL override', { displayName: 'maya\u202Egnp' }],
  ['displayName with a lone surrogate', { displayName: 'm\uD800' }],
  ['displayName of 65 characters', { displayName: 'd'.repeat(65) }],
  ['displayName with 1 000 combining marks', { displayName: ZALGO }],
  ['statusText of 101 characters', { statusText: 's'.repeat(101) }],
  ['statusText with a bidi isolate', { statusText: 'busy\u2066x' }],
  ['statusEmoji as letters', { statusEmoji: 'abc' }],
  ['statusEmoji with a letter beside it', { statusEmoji: '😀a' }],
  ['statusEmoji of 17 code points', { statusEmoji: '😀'.repeat(17) }],
  ['presence not one of online/away/dnd', { presence: 'invisible' }],
  ['presence as a number', { presence: 1 }],
  ['10 000-deep array as displayName', `{"displayName":${deepArray(10_000)}}`],
]

export const restProfilesCases: Case[] = [
  ...profileBodies.map(([name, body]): Case => ({
    kind: 'rest',
    group,
    name: `PATCH profile: ${name}`,
    request: () => ({ method: 'PATCH', path: '/api/profile', body }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group,
    name: 'PATCH profile: HTML display name and a ZWJ family emoji are stored verbatim',
    request: () => ({ method: 'PATCH', path: '/api/profile', body: { displayName: HTML[1], statusEmoji: FAMILY } }),
    expect: {
      outcome: '200',
      async check(got, c) {
        assert.equal(got.body.profile.displayName, HTML[1])
        assert.equal(got.body.profile.statusEmoji, FAMILY)
        const row = await server.prisma.user.findUniqueOrThrow({ where: { id: c.attacker.user.id } })
        assert.equal(row.displayName, HTML[1], 'stored verbatim')
      },
    },
  },
  {
    kind: 'rest',
    group,
    name: 'GET profile: a username with HTML',
    request: () => ({ method: 'GET', path: `/api/profiles/${encodeURIComponent('<script>')}` }),
    expect: http(400, 'invalid_input'),
  },
  ...(
    [
      ['usernames missing', {}],
      ['usernames empty', { usernames: [] }],
      ['usernames as a string', { usernames: 'maya' }],
      ['usernames as a filter', { usernames: { contains: '' } }],
      ['usernames with HTML', { usernames: ['<script>'] }],
      ['8 other people (9 with you)', { usernames: Array.from({ length: 8 }, (_, i) => `person${i}`) }],
      ['a username nobody has', { usernames: ['nobody_has_this_name_9'] }],
    ] as [string, unknown][]
  ).map(([name, body]): Case => ({
    kind: 'rest',
    group,
    name: `POST dm: ${name}`,
    request: () => ({ method: 'POST', path: '/api/dms', body }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group,
    name: 'POST dm: only yourself',
    request: (c) => ({ method: 'POST', path: '/api/dms', body: { usernames: [c.attacker.user.username] } }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group,
    name: 'POST dm close: an id that is not a uuid',
    request: () => ({ method: 'POST', path: '/api/dms/not-a-uuid/close' }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group,
    name: 'POST dm close: a public room is not a conversation',
    request: (c) => ({ method: 'POST', path: `/api/dms/${c.roomId}/close` }),
    expect: http(404, 'not_found'),
  },
  ...(
    [
      ['email not an email', (c) => ({ email: 'not-an-email', currentPassword: c.mark })],
      ['email as a filter', () => ({ email: { contains: '@' }, currentPassword: 'x' })],
      ['currentPassword missing', (c) => ({ email: email(c) })],
      ['currentPassword as an object', (c) => ({ email: email(c), currentPassword: { not: '' } })],
    ] as [string, (c: Ctx) => unknown][]
  ).map(([name, body]): Case => ({
    kind: 'rest',
    group,
    name: `POST email: ${name}`,
    request: (c) => ({ method: 'POST', path: '/api/auth/email', body: body(c) }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group,
    name: 'POST email: a wrong current password changes nothing',
    request: (c) => ({
      method: 'POST',
      path: '/api/auth/email',
      body: { email: email(c), currentPassword: 'wrong pass' },
    }),
    expect: http(401, 'invalid_credentials'),
  },
  ...(
    [
      ['no body', undefined],
      ['currentPassword missing', {}],
      ['currentPassword as an array', { currentPassword: ['x'] }],
      ['currentPassword wrong', { currentPassword: 'definitely wrong' }],
    ] as [string, unknown][]
  ).map(([name, body]): Case => ({
    kind: 'rest',
    group,
    name: `DELETE account: ${name}`,
    request: () => ({ method: 'DELETE', path: '/api/auth/account', body }),
    expect: name === 'currentPassword wrong' ? http(401, 'invalid_credentials') : http(400, 'invalid_input'),
  })),
]
