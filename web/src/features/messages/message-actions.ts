// Who may do what to a message (the server decides; this only chooses which buttons to show), the
// delete behind the shared confirmation dialog, and how a system notice reads.
import type { MessageDto, SystemNotice } from '@contract/messages'
import type { UserDto } from '@contract/auth'
import type { RoomDto } from '@contract/rooms'
import { errorMessage } from '../../lib/api'
import { confirmation, type Timeline, toasts, ui } from '../../lib/state'

const live = (m: MessageDto) => m.kind !== 'system' && m.deletedAt === null

/** The author may edit their own message (within the server's edit window). */
export const canEdit = (m: MessageDto, me: UserDto | null) =>
  live(m) && m.kind === 'user' && !!me && m.author?.id === me.id

/** The author, or the room's creator on any message of their room. */
export const canDelete = (m: MessageDto, me: UserDto | null, room: RoomDto | null) =>
  live(m) && !!me && (m.author?.id === me.id || room?.createdBy === me.username)

export async function deleteMessage(timeline: Timeline, message: MessageDto, me: UserDto): Promise<void> {
  const author = message.author?.username
  const mine = message.author?.id === me.id
  const ok = await confirmation.ask({
    title: mine ? 'Delete your message?' : author ? `Delete ${author}'s message?` : 'Delete this message?',
    message: 'It is removed for everyone in the room. This cannot be undone.',
    confirmLabel: 'Delete message',
  })
  if (!ok) return
  try {
    await timeline.delete(message.id)
    ui.focusComposer() // the Delete button that had focus is gone
  } catch (err) {
    toasts.error(errorMessage(err))
  }
}

/** "maya added jonas", "maya removed jonas", "jonas left". */
export function noticeText(notice: SystemNotice): string {
  switch (notice.type) {
    case 'participant_added':
      return `${notice.actor} added ${notice.target}`
    case 'participant_removed':
      return `${notice.actor} removed ${notice.target}`
    case 'participant_left':
      return `${notice.actor} left`
    case 'command': // the message's content says what they did (SystemNotice.svelte shows it)
      return notice.actor
  }
}
