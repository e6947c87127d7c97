import type { RedisClientType } from 'redis'
import type { PresenceStore } from './presence.store'

type Redis = RedisClientType

const LOST = 'lost:'

// Counts distinct people over live instances in one round trip, reaping instances whose heartbeat
// is older than the TTL (a crashed instance's people disappear within one TTL); also says which it reaped.
// KEYS[1] = instances zset; ARGV = now ms, ttl ms, per-instance hash key prefix.
const COUNT_SCRIPT = `
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
for _, id in ipairs(dead) do
  redis.call('DEL', ARGV[3] .. id)
  redis.call('ZREM', KEYS[1], id)
end
local seen, guests, users = {}, 0, 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  for _, person in ipairs(redis.call('HKEYS', ARGV[3] .. id)) do
    if not seen[person] then
      seen[person] = true
      if string.sub(person, 1, 2) == 'u:' then users = users + 1 else guests = guests + 1 end
    end
  end
end
return { guests, users, dead }`

// Which of ARGV[4..] have a socket on an instance whose heartbeat is within the TTL (issue 19).
// KEYS[1] = instances zset; ARGV = now ms, ttl ms, per-instance hash key prefix, people...
const ONLINE_SCRIPT = `
local live = redis.call('ZRANGEBYSCORE', KEYS[1], tonumber(ARGV[1]) - tonumber(ARGV[2]), '+inf')
local found = {}
for i = 4, #ARGV do
  for _, id in ipairs(live) do
    if redis.call('HEXISTS', ARGV[3] .. id, ARGV[i]) == 1 then
      table.insert(found, ARGV[i])
      break
    end
  end
end
return found`

/**
 * Redis layout (prefix `P`):
 * - `P:presence:instances` zset: instance id → last heartbeat (ms)
 * - `P:presence:conn:<instance>` hash: person → sockets on that instance (expires if never refreshed)
 * - channel `P:presence:changed`: "counts may have changed", payload = announcing instance; or
 *   `lost:<reaper>`: a dead instance was just reaped (its sockets are gone from every room)
 */
export function createRedisPresenceStore({
  redis,
  subscriber,
  prefix,
  instanceId,
  ttlMs,
  fence = async () => {},
}: {
  redis: Redis
  subscriber: Redis
  prefix: string
  instanceId: string
  ttlMs: number
  /**
   * Runs after this instance reaped dead instances and before it announces them: makes sure nothing
   * they left in flight can still take effect once the others react to the announcement.
   */
  fence?: (instanceIds: string[]) => Promise<void>
}): PresenceStore {
  const instancesKey = `${prefix}:presence:instances`
  const connPrefix = `${prefix}:presence:conn:`
  const connKey = connPrefix + instanceId
  const channel = `${prefix}:presence:changed`

  return {
    async set(changes) {
      const present: Record<string, number> = {}
      const gone: string[] = []
      for (const [person, sockets] of changes) {
        if (sockets > 0) present[person] = sockets
        else gone.push(person)
      }
      const multi = redis.multi()
      if (gone.length > 0) multi.hDel(connKey, gone)
      if (Object.keys(present).length > 0) multi.hSet(connKey, present)
      await multi.publish(channel, instanceId).exec()
    },
    async heartbeat(local) {
      const multi = redis.multi().del(connKey)
      if (local.size > 0) multi.hSet(connKey, Object.fromEntries(local)).pExpire(connKey, ttlMs * 3)
      await multi.zAdd(instancesKey, { score: Date.now(), value: instanceId }).exec()
    },
    async counts() {
      const [guests, users, dead] = (await redis.eval(COUNT_SCRIPT, {
        keys: [instancesKey],
        arguments: [String(Date.now()), String(ttlMs), connPrefix],
      })) as [number, number, string[]]
      if (dead.length > 0) {
        // Only this instance reaped them (ZREM in the script), so only it fences and announces.
        await fence(dead)
        await redis.publish(channel, `${LOST}${instanceId}`)
      }
      return { guests, users }
    },
    async online(people) {
      if (people.length === 0) return new Set()
      const found = (await redis.eval(ONLINE_SCRIPT, {
        keys: [instancesKey],
        arguments: [String(Date.now()), String(ttlMs), connPrefix, ...people],
      })) as string[]
      return new Set(found)
    },
    async subscribe(listener, onInstanceLost) {
      await subscriber.subscribe(channel, (from) => {
        if (from.startsWith(LOST))
          onInstanceLost() // the reaper hears it too
        else if (from !== instanceId) listener()
      })
    },
    async close() {
      await redis.multi().del(connKey).zRem(instancesKey, instanceId).exec()
      await redis.publish(channel, instanceId)
    },
  }
}
