// The TypeScript face of the access rule (canRead / canPost / canManage) over hand-built rooms, for
// every kind of viewer and room. rooms.access.test.ts checks that the Prisma and SQL faces agree.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Viewer } from '../contract/events'
import { LOBBY_ID } from '../contract/limits'
import { canManage, canPost, canRead, type RoomRecord, toRoomDto } from './rooms.access'

const owner: Viewer = { kind: 'user', id: 'u-owner', username: 'owner', email: 'owner@example.com' }
const participant: Viewer = { kind: 'user', id: 'u-part', username: 'part', email: 'part@example.com' }
const outsider: Viewer = { kind: 'user', id: 'u-out', username: 'out', email: 'out@example.com' }
const guest: Viewer = { kind: 'guest', id: 'g-1' }

type Kind = 'public' | 'private' | 'system' | 'direct'

/** `direct`: a direct conversation of the owner and the participant (private, kind dm, no creator). */
function room(kind: Kind, viewer: Viewer): RoomRecord {
  const system = kind === 'system'
  const direct = kind === 'direct'
  return {
    id: system ? LOBBY_ID : `r-${kind}`,
    kind: direct ? 'dm' : 'room',
    dmKey: direct ? `${owner.id},${participant.id}` : null,
    name: system ? 'lobby' : direct ? '' : kind,
    publicNameKey: kind === 'private' || direct ? null : kind,
    description: '',
    isPrivate: kind === 'private' || direct,
    creatorId: system || direct ? null : owner.id,
    creator: system ? null : { username: 'owner' },
    lastSeq: 0,
    rev: 0,
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
    _count: { participants: system ? 0 : 2 },
    // The owner and the participant take part in the rooms they are in; the lobby has no participants.
    isParticipant: !system && (viewer === owner || viewer === participant),
  }
}

// [viewer, room] → [read, post, manage]
const expected: [string, Viewer, Kind, [boolean, boolean, boolean]][] = [
  ['owner', owner, 'direct', [true, true, false]],
  ['participant', participant, 'direct', [true, true, false]],
  ['outsider', outsider, 'direct', [false, false, false]],
  ['guest', guest, 'direct', [false, false, false]],
  ['owner', owner, 'public', [true, true, true]],
  ['owner', owner, 'private', [true, true, true]],
  ['owner', owner, 'system', [true, true, false]],
  ['participant', participant, 'public', [true, true, false]],
  ['participant', participant, 'private', [true, true, false]],
  ['participant', participant, 'system', [true, true, false]],
  ['outsider', outsider, 'public', [true, true, false]],
  ['outsider', outsider, 'private', [false, false, false]],
  ['outsider', outsider, 'system', [true, true, false]],
  ['guest', guest, 'public', [true, false, false]],
  ['guest', guest, 'private', [false, false, false]],
  ['guest', guest, 'system', [true, false, false]],
]

for (const [name, viewer, kind, [read, post, manage]] of expected) {
  test(`${name} × ${kind} room: read ${read}, post ${post}, manage ${manage}`, () => {
    const r = room(kind, viewer)
    assert.equal(canRead(viewer, r), read, 'read')
    assert.equal(canPost(viewer, r), post, 'post')
    assert.equal(canManage(viewer, r), manage, 'manage')
  })
}

test('a guest with an id equal to the creator still manages nothing, and never counts as a participant', () => {
  const impostor: Viewer = { kind: 'guest', id: owner.id }
  const r = { ...room('private', owner), isParticipant: true }
  assert.equal(canManage(impostor, r), false)
  assert.equal(canRead(impostor, r), false)
  assert.equal(canPost(impostor, r), false)
})

test('nobody manages a direct conversation, even with a creator id set', () => {
  const r = { ...room('direct', owner), creatorId: owner.id }
  assert.equal(canManage(owner, r), false)
})

test('toRoomDto: the creator by name (null for the lobby), counts and ISO dates', () => {
  assert.deepEqual(toRoomDto(room('system', guest)), {
    id: LOBBY_ID,
    kind: 'room',
    name: 'lobby',
    description: '',
    isPrivate: false,
    createdBy: null,
    participantCount: 0,
    lastSeq: 0,
    rev: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
  })
  assert.equal(toRoomDto(room('private', owner)).createdBy, 'owner')
})
