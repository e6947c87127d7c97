import { createShardedAdapter } from '@socket.io/redis-adapter'
import type { RedisClients } from '../db/redis'
import type { Logger } from '../lib/logger'
import type { AppServer } from './io.types'

/**
 * Joins instances through Redis sharded pub/sub (Redis 7). "static" puts every broadcast of the
 * namespace on one channel, so a socketsLeave and a later message broadcast reach other instances in
 * the order they were sent.
 *
 * Redis pub/sub keeps nothing, so a broken link loses broadcasts in whichever direction was down, and
 * nobody can tell which rooms they were for. When the link is back, the clients that may have missed
 * something are told to fetch it from history (`sync:required`, which they answer by reading every
 * room they show after their last contiguous seq):
 * - this instance's subscription was down: broadcasts from the others never reached its own sockets,
 *   so its own sockets are told;
 * - its publishing connection was down: the messages it stored and acked meanwhile reached only its
 *   own sockets, so every socket of every instance is told (one broadcast through the adapter).
 */
export function useRedisAdapter(
  io: AppServer,
  {
    redis,
    prefix,
    syncRequired,
    log,
  }: { redis: RedisClients; prefix: string; syncRequired: (scope: 'local' | 'cluster') => void; log: Logger },
) {
  io.adapter(
    createShardedAdapter(redis.client, redis.adapterSubscriber, {
      channelPrefix: `${prefix}:sio`,
      subscriptionMode: 'static',
    }),
  )
  onRecovered(redis.adapterSubscriber, () => {
    log.info('redis subscription is back: asking local clients to catch up')
    syncRequired('local')
  })
  onRecovered(redis.client, () => {
    log.info('redis publishing is back: asking every client of every instance to catch up')
    syncRequired('cluster')
  })
}

/** Calls `recovered` each time `client` is ready again after losing its connection (not on the first connect). */
function onRecovered(client: RedisClients['client'], recovered: () => void) {
  let down = false
  const markDown = () => {
    down = true
  }
  client.on('error', markDown)
  client.on('reconnecting', markDown)
  // node-redis emits 'ready' only after the resubscriptions were answered: nothing is missed after it.
  client.on('ready', () => {
    if (!down) return
    down = false
    recovered()
  })
}
