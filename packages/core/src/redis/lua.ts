/**
 * The Lua source of the scripts that hold a resource's permits in Redis.
 * Every step that reads and then changes the queue or the holders is one
 * script, so Redis runs it atomically; replicas never see each other's
 * half-done steps.
 *
 * Per resource, under one hash tag (so a Redis Cluster keeps them on one
 * shard):
 *
 * - `holders`: sorted set, member = lease id, score = lease expiry (Redis ms;
 *   a lease granted from the queue expires with its waiter's heartbeat);
 * - `waiters`: sorted set, member = waiter id, score = arrival sequence;
 * - `alive`: sorted set, member = waiter id, score = heartbeat expiry, so a
 *   dead replica's waiters leave the queue;
 * - `seq`: the arrival counter;
 * - `fence`: hash, the Redis server the resource was last used on, and
 *   until when no permit is granted after Redis lost its state (see
 *   `PREAMBLE`);
 * - the channels on which grants are published, one per replica
 *   (`granted:<replica>`): the ids granted to that replica's guards,
 *   space-separated. A replica hears only its own grants.
 *
 * Time is Redis's own (`TIME`), so replicas' clocks do not matter. The
 * keys are named in `keys.ts`; the arguments are laid out, and the replies
 * read, in `scripts.ts`.
 */

/**
 * Shared by every script. ARGV[1..4]: channel, capacity, lease TTL (ms),
 * queue heartbeat TTL (ms).
 *
 * The fence. Holders granted by a Redis that then lost its state (a restart
 * without persistence, or a failover to a replica that had not received
 * the latest writes) may still run; their replicas re-register their leases
 * at their next renewal. Until one lease TTL after the change, when every
 * holder that could not renew has been interrupted by its replica, no new
 * permit is granted. The `fence` hash records which Redis server (`run_id`)
 * the resource was last used on, and until when it is fenced:
 *
 * - same server: the recorded fence;
 * - another server (a restart that reloaded data, a failover): fenced for
 *   one TTL from now;
 * - no record: a resource never used, or a Redis that lost everything. A
 *   Redis up for longer than a TTL needs no fence; a younger one is fenced
 *   until a TTL after its start. Its uptime is in whole seconds, counted
 *   between whole-second readings of the clock (a Redis started at 0.9 s
 *   says 1 at 1.0 s), so the fence assumes the youngest it could be and
 *   may last up to 2 s longer than needed.
 */
const PREAMBLE = `
local holders, waiters, alive, seqKey, fenceKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local channel = ARGV[1]
local capacity = tonumber(ARGV[2])
local leaseTtl = tonumber(ARGV[3])
local queueTtl = tonumber(ARGV[4])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local server = redis.call('INFO', 'server')
local runId = string.match(server, 'run_id:(%x+)')
local fence = redis.call('HMGET', fenceKey, 'run', 'until')
local fencedUntil
if fence[1] == runId then
  fencedUntil = tonumber(fence[2])
else
  if fence[1] then
    fencedUntil = now + leaseTtl
  else
    local uptime = tonumber(string.match(server, 'uptime_in_seconds:(%d+)'))
    fencedUntil = 0
    if (uptime - 1) * 1000 < leaseTtl then fencedUntil = now - (uptime - 1) * 1000 + leaseTtl end
  end
  redis.call('HSET', fenceKey, 'run', runId, 'until', fencedUntil)
end
local fenced = now < fencedUntil

local function removeAll(key, ids)
  for i = 1, #ids, 1000 do
    redis.call('ZREM', key, unpack(ids, i, math.min(i + 999, #ids)))
  end
end

-- Expired leases (a dead or cut-off replica's) and dead waiters go.
local function purge()
  redis.call('ZREMRANGEBYSCORE', holders, '-inf', now)
  local dead = redis.call('ZRANGEBYSCORE', alive, '-inf', now)
  if #dead > 0 then
    removeAll(waiters, dead)
    removeAll(alive, dead)
  end
end

-- Free permits go to the waiters at the head of the queue, who are told on
-- their replica's channel: their replicas need no round trip of their own
-- to learn it, and other replicas do not hear of it.
local function grant()
  if fenced then return end
  local free = capacity - redis.call('ZCARD', holders)
  if free <= 0 then return end
  local heads = redis.call('ZRANGE', waiters, 0, free - 1)
  if #heads == 0 then return end
  local byReplica, replicas = {}, {}
  for i = 1, #heads do
    local id = heads[i]
    -- The lease lasts what is left of the waiter's heartbeat (its replica
    -- renews it at its next beat): a dead replica's waiter, still queued
    -- until its heartbeat expires, holds the permit no longer than that,
    -- so its permits are back within one TTL of its death.
    local expiry = now + leaseTtl
    local aliveUntil = tonumber(redis.call('ZSCORE', alive, id))
    if aliveUntil and aliveUntil < expiry then expiry = aliveUntil end
    redis.call('ZADD', holders, expiry, id)
    local replica = string.match(id, '^(.*):') or ''
    if not byReplica[replica] then
      byReplica[replica] = {}
      replicas[#replicas + 1] = replica
    end
    table.insert(byReplica[replica], id)
  end
  removeAll(waiters, heads)
  removeAll(alive, heads)
  for i = 1, #replicas do
    redis.call('PUBLISH', channel .. ':' .. replicas[i], table.concat(byReplica[replicas[i]], ' '))
  end
end
`

/**
 * ARGV[5] id, ARGV[6] maxWaiting (-1: no bound), ARGV[7] "1" if the caller
 * may wait. Returns 1 granted, 0 queued (or still queued), -1 queue full,
 * -2 no permit free and the caller may not wait.
 *
 * A newcomer is granted only when nobody queues: no barging past waiters.
 */
export const ACQUIRE = `${PREAMBLE}
purge()
grant()
local id = ARGV[5]
if redis.call('ZSCORE', holders, id) then return 1 end
if redis.call('ZSCORE', waiters, id) then
  redis.call('ZADD', alive, now + queueTtl, id)
  return 0
end
local queued = redis.call('ZCARD', waiters)
if queued == 0 and not fenced and redis.call('ZCARD', holders) < capacity then
  redis.call('ZADD', holders, now + leaseTtl, id)
  return 1
end
if ARGV[7] ~= '1' then return -2 end
local maxWaiting = tonumber(ARGV[6])
if maxWaiting >= 0 and queued >= maxWaiting then return -1 end
redis.call('ZADD', waiters, redis.call('INCR', seqKey), id)
redis.call('ZADD', alive, now + queueTtl, id)
return 0
`

/**
 * ARGV[5..]: ids that are done, holders or waiters alike (a waiter that gave
 * up may have been granted meanwhile: its permit goes on to the next).
 * Returns the number of ids that held a permit.
 */
export const RELEASE = `${PREAMBLE}
local ids = {}
for i = 5, #ARGV do ids[#ids + 1] = ARGV[i] end
local held = 0
for i = 1, #ids do held = held + redis.call('ZREM', holders, ids[i]) end
removeAll(waiters, ids)
removeAll(alive, ids)
purge()
grant()
return held
`

/**
 * The periodic step of one replica for one resource: renews its holders'
 * leases and its waiters' heartbeats, and hands on permits freed by expiry.
 * ARGV[5] the number n of holder ids that follow; then n holder ids, then
 * waiter ids. Returns one status per id: for a holder 1 renewed, 2
 * re-registered (Redis lost it, within the fence), 0 lost; for a waiter 1
 * granted, 0 waiting, -1 unknown (Redis lost it: queue again).
 */
export const TICK = `${PREAMBLE}
purge()
local out = {}
local n = tonumber(ARGV[5])
for i = 6, 5 + n do
  local id = ARGV[i]
  if redis.call('ZSCORE', holders, id) then
    redis.call('ZADD', holders, now + leaseTtl, id)
    out[#out + 1] = 1
  elseif fenced and redis.call('ZCARD', holders) < capacity then
    redis.call('ZADD', holders, now + leaseTtl, id)
    out[#out + 1] = 2
  else
    out[#out + 1] = 0
  end
end
grant()
for i = 6 + n, #ARGV do
  local id = ARGV[i]
  if redis.call('ZSCORE', holders, id) then
    out[#out + 1] = 1
  elseif redis.call('ZSCORE', waiters, id) then
    redis.call('ZADD', alive, now + queueTtl, id)
    out[#out + 1] = 0
  else
    out[#out + 1] = -1
  end
end
return out
`
