import type { z } from 'zod'
import type { Viewer } from '../contract/events'
import type { MessageDto } from '../contract/messages'
import { REACTIONS_PER_MESSAGE_MAX, type ZReactMessage, type ZVoteMessage } from '../contract/reactions'
import { AppError } from '../lib/app-error'
import type { Limits } from '../limits/limits'
import { toMessageDto } from '../messages/messages.dto'
import type { Push } from '../realtime/push'
import type pg from 'pg'
import { createReactionsRepo, type ToggleResult } from './reactions.repo'

export type ReactionsService = ReturnType<typeof createReactionsService>

/**
 * Votes and reactions (issue 16): toggles, each in one transaction that recounts the message and bumps
 * the room's rev. The new counts go to the room (`message:updated`, absolute, so applying one twice is
 * harmless); the toggler's own state goes to their sockets only (`mine:changed`), so every tab of
 * theirs shows it and nobody else learns who voted.
 */
export function createReactionsService({ pool, push, limits }: { pool: pg.Pool; push: Push; limits: Limits }) {
  const repo = createReactionsRepo(pool)
  // Toggles of one message wait for each other here, one at a time per instance, rather than each
  // holding a pool connection while it waits for the message's row lock: 50 people reacting to one
  // popular message at once would otherwise take every connection of the instance (and starve the
  // rest of the room). Across instances the row lock still orders them.
  const queues = new Map<string, Promise<unknown>>()
  function oneAtATime<T>(messageId: string, work: () => Promise<T>): Promise<T> {
    const next = (queues.get(messageId) ?? Promise.resolve()).then(work, work)
    const tail = next.catch(() => {})
    queues.set(messageId, tail)
    void tail.then(() => {
      if (queues.get(messageId) === tail) queues.delete(messageId)
    })
    return next
  }

  async function run(
    viewer: Viewer,
    roomId: string,
    toggle: (userId: string) => Promise<ToggleResult>,
  ): Promise<{ message: MessageDto }> {
    if (viewer.kind !== 'user') throw new AppError('unauthenticated')
    // Like messages: spent from this instance's counts, shared cluster-wide once done.
    await limits.spendLocal('toggleBurst', viewer.id)
    await limits.spendLocal('toggleSustained', viewer.id)
    try {
      // Access is checked by the toggle's own statement (canReadSql, see reactions.repo.ts): a room the
      // person may not read, a missing room and a missing message all answer not_found alike.
      const result = await toggle(viewer.id)
      if (!result.ok && result.reason === 'full') {
        throw new AppError('forbidden', {
          message: `A message can have at most ${REACTIONS_PER_MESSAGE_MAX} different reactions.`,
        })
      }
      if (!result.ok) throw new AppError('not_found')
      const { row, mine } = result
      push.messageUpdated(toMessageDto(row, viewer))
      push.ownStateChanged(viewer.id, { roomId, messageId: row.id, rev: row.rev, ...mine })
      return { message: toMessageDto(row, viewer, mine) }
    } finally {
      limits.share('toggleBurst', viewer.id)
      limits.share('toggleSustained', viewer.id)
    }
  }

  return {
    /** Your vote: up or down; the same again removes it, the other way flips it. */
    vote: (viewer: Viewer, input: z.output<typeof ZVoteMessage>) =>
      run(viewer, input.roomId, (userId) =>
        oneAtATime(input.messageId, () => repo.toggleVote(input.roomId, input.messageId, userId, input.vote)),
      ),

    /** Your reaction with one emoji: added, or removed if you had it. */
    react: (viewer: Viewer, input: z.output<typeof ZReactMessage>) =>
      run(viewer, input.roomId, (userId) =>
        oneAtATime(input.messageId, () => repo.toggleReaction(input.roomId, input.messageId, userId, input.emoji)),
      ),

    /**
     * An account is being deleted: its votes and reactions are taken back and every message it had
     * touched is recounted and broadcast with its new counts (the rows would otherwise go by cascade,
     * leaving the counts too high until the next toggle).
     */
    async withdrawAll(userId: string): Promise<void> {
      for (const row of await repo.withdrawAll(userId)) push.messageUpdated(toMessageDto(row, ROOM_VIEWER))
    },
  }
}

/** A room broadcast as signed-in people receive it (no one's own state); push masks emails for guests. */
const ROOM_VIEWER: Viewer = { kind: 'user', id: 'room', username: '', email: '' }
