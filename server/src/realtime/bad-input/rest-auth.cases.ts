// Bad-input catalogue: REST registration and login (see ../bad-input.test.ts for the runner and the invariants).
import assert from 'node:assert/strict'
import { api } from '../../../test/helpers'
import type { ErrorCode } from '../../contract/errors'
import { type Case, email, http, kelvinUser, MARK, password, server } from './catalogue'

export const restAuthCases: Case[] = [
  // --- Registration: homoglyphs, HTML, SQL, mass assignment.
  ...(
    [
      ['Cyrillic а in the username (homoglyph)', '\u0430dmin'],
      ['Greek ο in the username (homoglyph)', 'r\u03bfot'],
      ['fullwidth letters in the username', '\uff41\uff44\uff4d\uff49\uff4e'],
      ['dotted capital İ in the username', '\u0130nfo'],
      ['a zero-width joiner inside the username', 'ad\u200Dmin'],
      ['an RTL override in the username', 'admin\u202Egpj'],
      ['HTML as the username', '<script>alert(1)</script>'],
      ['SQL-ish username', "admin'--"],
      ['username as a filter', { contains: 'a' }],
      ['NUL in the username', 'adm\u0000in'],
    ] as [string, unknown][]
  ).map(([name, username]): Case => ({
    kind: 'rest',
    group: 'REST register',
    name: `register: ${name}`,
    request: (c) => ({
      method: 'POST',
      path: '/api/auth/register',
      auth: false,
      body: {
        username: typeof username === 'string' ? `${username}${c.mark.slice(0, 6)}` : username,
        email: email(c),
        password,
      },
    }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group: 'REST register',
    name: 'register: Kelvin sign K (U+212A) homoglyph of an existing username',
    request: (c) => ({
      method: 'POST',
      path: '/api/auth/register',
      auth: false,
      body: { username: `\u212A${kelvinUser.slice(1)}`, email: email(c), password },
    }),
    expect: http(409, 'conflict'),
  },
  {
    kind: 'rest',
    group: 'REST register',
    name: 'register: HTML in the email',
    request: (c) => ({
      method: 'POST',
      path: '/api/auth/register',
      auth: false,
      body: { username: `u${c.mark}`, email: `"<script>alert(1)</script>"@${MARK}.example.com`, password },
    }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group: 'REST register',
    name: 'register: HTML and SQL-ish password is just a password',
    request: (c) => ({
      method: 'POST',
      path: '/api/auth/register',
      auth: false,
      body: { username: `u${c.mark}`, email: email(c), password: `<script>'; DROP TABLE "User"; --` },
    }),
    expect: {
      outcome: '201',
      writes: { users: 1 },
      async check(got, c) {
        const login = await api(server.url, 'POST', '/api/auth/login', {
          body: { login: email(c), password: `<script>'; DROP TABLE "User"; --` },
        })
        assert.equal(login.status, 200)
        assert.equal(login.body.user.id, got.body.user.id)
      },
    },
  },
  {
    kind: 'rest',
    group: 'REST register',
    name: 'register: id, tokenVersion and passwordHash in the body are ignored',
    request: (c) => ({
      method: 'POST',
      path: '/api/auth/register',
      auth: false,
      body: {
        username: `u${c.mark}`,
        email: email(c),
        password,
        id: '00000000-0000-4000-8000-000000000099',
        tokenVersion: -5,
        passwordHash: 'not-a-hash',
        createdAt: '2000-01-01T00:00:00Z',
      },
    }),
    expect: {
      outcome: '201',
      writes: { users: 1 },
      async check(got) {
        assert.notEqual(got.body.user.id, '00000000-0000-4000-8000-000000000099')
        const row = await server.prisma.user.findUniqueOrThrow({ where: { id: got.body.user.id } })
        assert.equal(row.tokenVersion, 0)
        assert.match(row.passwordHash ?? '', /^\$2[aby]\$/)
        assert.ok(row.createdAt.getFullYear() > 2000)
      },
    },
  },

  // --- Login.
  ...(
    [
      ['login as a Prisma filter', { login: { not: '' }, password }, 400, 'invalid_input'],
      ['password as an object', { login: 'someone', password: { not: '' } }, 400, 'invalid_input'],
      ['SQL-ish login', { login: "' OR '1'='1' --", password: "' OR '1'='1" }, 401, 'invalid_credentials'],
      ['HTML login', { login: '<script>alert(1)</script>', password }, 401, 'invalid_credentials'],
    ] as [string, unknown, number, ErrorCode][]
  ).map(([name, body, status, code]): Case => ({
    kind: 'rest',
    group: 'REST login',
    name: `login: ${name}`,
    request: () => ({ method: 'POST', path: '/api/auth/login', auth: false, body }),
    expect: http(status, code),
  })),

  ...(
    [
      ['NUL in the username login', 'adm\u0000in'],
      ['NUL in the email login', 'adm\u0000in@example.com'],
    ] as [string, string][]
  ).map(([name, login]): Case => ({
    kind: 'rest',
    group: 'REST login',
    name: `login: ${name}`,
    request: () => ({ method: 'POST', path: '/api/auth/login', auth: false, body: { login, password } }),
    expect: { refused: ['400:invalid_input', '401:invalid_credentials'] },
  })),
  {
    kind: 'rest',
    group: 'REST register',
    name: 'register: a password containing NUL is compared whole, not cut at the NUL',
    request: (c) => ({
      method: 'POST',
      path: '/api/auth/register',
      auth: false,
      body: { username: `u${c.mark}`, email: email(c), password: 'x\u0000abcdefgh' },
    }),
    expect: {
      outcome: '201',
      writes: { users: 1 },
      async check(_got, c) {
        for (const [attempt, status] of [
          ['x\u0000zzzzzzzz', 401],
          ['x', 401],
          ['x\u0000abcdefgh', 200],
        ] as const) {
          const res = await api(server.url, 'POST', '/api/auth/login', { body: { login: email(c), password: attempt } })
          assert.equal(res.status, status, JSON.stringify(attempt))
        }
      },
    },
  },
]
