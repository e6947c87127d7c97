// Upload helpers of the server suites (issue 21): upload raw bytes, post them, ask for links.
import assert from 'node:assert/strict'
import type { SessionDto } from '../src/contract/auth'
import type { LinkDto, UploadDto } from '../src/contract/uploads'
import { clientMsgId, type TestServer } from './helpers'

/** Uploads `data` as `name` to a room; the raw response. */
export async function uploadRaw(
  base: string,
  token: string | undefined,
  roomId: string,
  name: string,
  data: Buffer | BodyInit,
) {
  const res = await fetch(`${base}/api/rooms/${roomId}/uploads?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: data as BodyInit,
    ...(data instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit)
  return { status: res.status, body: await res.json() }
}

/** Uploads and posts one message carrying the files; returns the message and its attachments' links. */
export async function postFiles(
  s: TestServer,
  who: SessionDto,
  roomId: string,
  files: [string, Buffer][],
): Promise<{ messageId: string; uploads: UploadDto[]; links: LinkDto[] }> {
  const uploads: UploadDto[] = []
  for (const [name, data] of files) {
    const res = await uploadRaw(s.url, who.token, roomId, name, data)
    assert.equal(res.status, 201, JSON.stringify(res.body))
    uploads.push(res.body.upload)
  }
  const sent = await s.api('POST', `/api/rooms/${roomId}/messages`, {
    token: who.token,
    body: { content: '', clientMsgId: clientMsgId(), attachments: uploads.map((u) => u.id) },
  })
  assert.equal(sent.status, 201, JSON.stringify(sent.body))
  assert.deepEqual(sent.body.message.attachments, uploads)
  const links = await linksFor(
    s,
    who.token,
    roomId,
    uploads.map((u) => u.id),
  )
  return { messageId: sent.body.message.id, uploads, links }
}

export async function linksFor(
  s: TestServer,
  token: string | undefined,
  roomId: string,
  ids: string[],
): Promise<LinkDto[]> {
  const res = await s.api('POST', `/api/rooms/${roomId}/uploads/links`, { token, body: { ids } })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.links
}
