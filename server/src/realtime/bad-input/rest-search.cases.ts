// Bad-input catalogue: REST user search (see ../bad-input.test.ts for the runner and the invariants).
import { type Case, type Expect, http, literalSearch, stem } from './catalogue'

export const restSearchCases: Case[] = [
  // --- User search: % and _ are literal.
  ...(
    [
      ['`%` matches nothing', '%', literalSearch('%', () => [])],
      ['`_` matches only names starting with _', '_', literalSearch('_')],
      ['`<stem>_` matches only the underscore name', `${stem}_`, literalSearch(`${stem}_`, () => [`${stem}_a`])],
      ['`<stem>%` matches nothing', `${stem}%`, literalSearch(`${stem}%`, () => [])],
      ['`\\` matches nothing', '\\', literalSearch('\\', () => [])],
      ['`<stem>\\_` matches nothing', `${stem}\\_`, literalSearch(`${stem}\\_`, () => [])],
      ['SQL-ish query', "' or 1=1 --", literalSearch("' or 1=1 --", () => [])],
      ['HTML query', '<script>', literalSearch('<script>', () => [])],
    ] as [string, string, Expect][]
  ).map(([name, query, expect]): Case => ({
    kind: 'rest',
    group: 'REST search',
    name: `search: ${name}`,
    request: () => ({ method: 'GET', path: `/api/users?query=${encodeURIComponent(query)}` }),
    expect,
  })),
  {
    kind: 'rest',
    group: 'REST search',
    name: 'search: NUL in the query',
    request: () => ({ method: 'GET', path: '/api/users?query=a%00b' }),
    expect: { refused: ['400:invalid_input', '200'] },
  },
  {
    kind: 'rest',
    group: 'REST search',
    name: 'search: query repeated',
    request: () => ({ method: 'GET', path: '/api/users?query=a&query=b' }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group: 'REST search',
    name: 'search: query of 33 characters',
    request: () => ({ method: 'GET', path: `/api/users?query=${'q'.repeat(33)}` }),
    expect: http(400, 'invalid_input'),
  },
]
