// The destructive room actions, each behind the same confirmation dialog. The room's id and name are
// read before anything is awaited: once the room is gone the view shows the lobby, and a toast that
// read the room on screen afterwards would name the lobby.
import type { RoomDto } from '@contract/rooms'
import { errorMessage } from '../../lib/api'
import { expectRemoval } from '../../lib/realtime/sync'
import { confirmation, participants, rooms, session, toasts } from '../../lib/state'

export async function deleteRoom(room: RoomDto): Promise<void> {
  const { id, name } = room
  const ok = await confirmation.ask({
    title: `Delete ${name}?`,
    message: 'The room and all its messages are deleted for everyone. This cannot be undone.',
    confirmLabel: 'Delete room',
  })
  if (!ok) return
  expectRemoval(id)
  try {
    await rooms.delete(id)
    toasts.info(`Deleted ${name}.`)
  } catch (err) {
    toasts.error(errorMessage(err))
  }
}

export async function leaveRoom(room: RoomDto): Promise<void> {
  const { id, name } = room
  const me = session.user?.username
  if (!me) return
  const ok = await confirmation.ask({
    title: `Leave ${name}?`,
    message: 'It is private: you will not see it or its messages again unless its creator adds you back.',
    confirmLabel: 'Leave room',
  })
  if (!ok) return
  expectRemoval(id)
  try {
    await participants.remove(id, me)
    toasts.info(`You left ${name}.`)
  } catch (err) {
    toasts.error(errorMessage(err))
  }
}

/** Resolves true once the person is removed. */
export async function removeParticipant(room: RoomDto, username: string): Promise<boolean> {
  const { id, name } = room
  const ok = await confirmation.ask({
    title: `Remove ${username}?`,
    message: `${username} will lose access to ${name} and its messages. You can add them again later.`,
    confirmLabel: 'Remove',
  })
  if (!ok) return false
  try {
    await participants.remove(id, username)
    toasts.info(`Removed ${username} from ${name}.`)
    return true
  } catch (err) {
    toasts.error(errorMessage(err))
    return false
  }
}
