import { createClient, type RedisClientType } from 'redis'
import type { Logger } from '../lib/logger'

/** Redis connections: commands, presence subscriptions, and the Socket.IO adapter's subscriber. */
export type RedisClients = { client: RedisClientType; subscriber: RedisClientType; adapterSubscriber: RedisClientType }

/**
 * The one place Redis connections are made (main.ts and the test harness). Commands fail at once
 * while Redis is down instead of queueing; the clients reconnect forever, backing off to 2 s.
 */
export async function connectRedis(url: string, log?: Logger): Promise<RedisClients> {
  const make = (name: string) => {
    const client: RedisClientType = createClient({
      url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2_000) },
    })
    let down = false
    client.on('error', (err) => {
      if (!down) log?.warn({ err, client: name }, 'redis connection lost')
      down = true
    })
    client.on('ready', () => {
      if (down) log?.info({ client: name }, 'redis reconnected')
      down = false
    })
    return client
  }
  const clients = {
    client: make('commands'),
    subscriber: make('presence-subscriber'),
    adapterSubscriber: make('adapter-subscriber'),
  }
  await Promise.all(Object.values(clients).map((c) => c.connect()))
  return clients
}
