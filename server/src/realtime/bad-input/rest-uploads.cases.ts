// Bad-input catalogue: uploads, links, downloads and profile pictures (issue 21; see
// ../bad-input.test.ts for the runner and the invariants).
import { ZALGO, type Case, deepArray, http, send } from './catalogue'

const group = 'REST uploads'
const RANDOM = '7d1c3f0e-5b2a-4c9d-8e6f-1a2b3c4d5e6f'
const raw = { 'content-type': 'application/octet-stream' }

const names: [string, string][] = [
  ['NUL in the name', 'a%00b.txt'],
  ['CR LF in the name (header injection)', 'a.txt%0D%0ASet-Cookie:%20x=1'],
  ['an RTL override in the name', 'invoice%E2%80%AEfdp.exe'],
  ['a name of 201 characters', 'n'.repeat(201)],
  ['a name of 1 000 combining marks', encodeURIComponent(ZALGO)],
  ['an empty name', ''],
]

export const restUploadsCases: Case[] = [
  ...names.map(([name, query]): Case => ({
    kind: 'rest',
    group,
    name: `upload: ${name}`,
    request: (c) => ({
      method: 'POST',
      path: `/api/rooms/${c.roomId}/uploads?name=${query}`,
      headers: raw,
      body: 'data',
    }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group,
    name: 'upload: no name',
    request: (c) => ({ method: 'POST', path: `/api/rooms/${c.roomId}/uploads`, headers: raw, body: 'data' }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group,
    name: 'upload: the name twice (an array)',
    request: (c) => ({ method: 'POST', path: `/api/rooms/${c.roomId}/uploads?name=a&name=b`, headers: raw, body: 'x' }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group,
    name: 'upload: sent as JSON (parsed, not a file)',
    request: (c) => ({ method: 'POST', path: `/api/rooms/${c.roomId}/uploads?name=a.json`, body: { a: 1 } }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group,
    name: 'upload: an empty body',
    request: (c) => ({ method: 'POST', path: `/api/rooms/${c.roomId}/uploads?name=a.txt`, headers: raw, body: '' }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group,
    name: 'upload: a room id that is no id',
    request: () => ({ method: 'POST', path: `/api/rooms/..%2F..%2Fetc/uploads?name=a.txt`, headers: raw, body: 'x' }),
    expect: http(400, 'invalid_input'),
  },
  ...(
    [
      ['ids missing', {}],
      ['ids empty', { ids: [] }],
      ['ids not an array', { ids: RANDOM }],
      ['an id that is no id', { ids: ['../x'] }],
      ['101 ids', { ids: Array.from({ length: 101 }, () => RANDOM) }],
      ['ids as a filter', { ids: { in: [RANDOM] } }],
      ['10 000-deep array as ids', `{"ids":${deepArray(10_000)}}`],
    ] as [string, unknown][]
  ).map(([name, body]): Case => ({
    kind: 'rest',
    group,
    name: `links: ${name}`,
    request: (c) => ({ method: 'POST', path: `/api/rooms/${c.roomId}/uploads/links`, body }),
    expect: http(400, 'invalid_input'),
  })),
  {
    kind: 'rest',
    group,
    name: 'links: an unknown id gives no link',
    request: (c) => ({ method: 'POST', path: `/api/rooms/${c.roomId}/uploads/links`, body: { ids: [RANDOM] } }),
    expect: { outcome: '200' },
  },
  // Downloads answer a malformed link exactly like a link to a random id.
  ...(
    [
      ['an unknown variant', `/api/files/${RANDOM}/original?v=x&e=1&s=x`],
      ['an id that is no id', `/api/files/..%2F..%2Fetc%2Fpasswd/file`],
      ['no signature', `/api/files/${RANDOM}/file`],
      ['a signature for nobody', `/api/files/${RANDOM}/file?v=u.${RANDOM}&e=99999999999&s=AAAA`],
      ['a query parameter given twice', `/api/files/${RANDOM}/file?v=a&v=b&e=1&s=x`],
      ['an avatar id of the wrong shape', '/api/avatars/..%2F..%2Fetc'],
      ['an avatar nobody has', '/api/avatars/AAAAAAAAAAAAAAAAAAAAAA'],
    ] as [string, string][]
  ).map(([name, path]): Case => ({
    kind: 'rest',
    group,
    name: `download: ${name}`,
    request: () => ({ method: 'GET', path, auth: false }),
    expect: http(404, 'not_found'),
  })),
  {
    kind: 'rest',
    group,
    name: 'profile picture: an SVG (not a raster image)',
    request: () => ({
      method: 'PUT',
      path: '/api/profile/avatar',
      headers: raw,
      body: '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    }),
    expect: http(400, 'invalid_input'),
  },
  {
    kind: 'rest',
    group,
    name: 'profile picture: PNG magic and nothing after it',
    request: () => ({ method: 'PUT', path: '/api/profile/avatar', headers: raw, body: '\x89PNG\r\n\x1a\n' }),
    expect: { refused: ['400:invalid_input'] },
  },
  // message:send with attachments (the socket payload; REST uses the same schema).
  ...(
    [
      ['attachments not an array', { attachments: RANDOM }],
      ['an attachment that is no id', { attachments: ['../x'] }],
      ['21 attachments', { attachments: Array.from({ length: 21 }, (_, i) => RANDOM.replace(/.$/, String(i % 10))) }],
      ['the same attachment twice', { attachments: [RANDOM, RANDOM] }],
      ['an attachment nobody uploaded', { attachments: [RANDOM] }],
      ['empty content and no attachments', { content: '', attachments: [] }],
    ] as [string, Record<string, unknown>][]
  ).map(([name, fields]): Case => ({
    kind: 'socket',
    group: 'message:send attachments',
    name: `message:send: ${name}`,
    frames: (c) => [send(c, fields)],
    expect: { refused: 'error:invalid_input' },
  })),
]
