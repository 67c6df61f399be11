/**
 * Lua scripts of the node lease. Each runs atomically in Redis, so the check and the write it guards cannot be
 * separated by another client. Key layout under the prefix: `node:<id>` (the lease, value = holder token, PX = TTL)
 * and one hash `hwm` holding, per node ID, the highest timestamp any holder may have issued, plus field `epoch`:
 * the end of the quarantine that started when this Redis last came up empty or under a new primary, and field
 * `primary`: the identity of the Redis process and replication history that last wrote the hash.
 */

/**
 * Shared prelude. `identity()` is `run_id:master_replid`: a restart changes the run ID, a promotion (failover) the
 * replication ID, so the same value means the same memory and the same history of writes. `checkPrimary` starts a
 * quarantine (`epoch` = Redis TIME + quarantine ms) when the hash was last written under another identity, or is
 * missing: the writes of an earlier primary may not all have reached this one. A server whose INFO lacks either
 * field (a proxy in front of Redis) fails the script with one line instead of a Lua nil error.
 */
const PRELUDE = `
local function identity()
  local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
  local replid = string.match(redis.call('INFO', 'replication'), 'master_replid:(%x+)')
  if not run or not replid then
    error({err = 'ERR TSID lease: this Redis INFO lacks run_id/master_replid (a proxy such as twemproxy or Envoy is not supported)'})
  end
  return run .. ':' .. replid
end
local function checkPrimary(hwmKey, quarantine)
  local id = identity()
  if redis.call('HGET', hwmKey, 'primary') == id then return id end
  local now = redis.call('TIME')
  local epoch = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(quarantine)
  if epoch > (tonumber(redis.call('HGET', hwmKey, 'epoch')) or 0) then redis.call('HSET', hwmKey, 'epoch', epoch) end
  redis.call('HSET', hwmKey, 'primary', id)
  return id
end
`;

/**
 * Scans `count` node IDs from `start` (mod `total`) and takes the first free one with SET NX PX.
 * KEYS[1] = hwm hash. ARGV = node key prefix, token, ttl ms, start, count, total, window end, quarantine ms.
 * Returns {nodeId, previous high-water mark, quarantine end, identity} or {-1, how many scanned IDs are held, identity}.
 */
export const ACQUIRE_SCRIPT = `${PRELUDE}
local hwmKey, prefix, token, ttl = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local start, count, total = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local untilTs = tonumber(ARGV[7])
local id = checkPrimary(hwmKey, ARGV[8])
for i = 0, count - 1 do
  local node = (start + i) % total
  if redis.call('SET', prefix .. node, token, 'NX', 'PX', ttl) then
    local epoch = tonumber(redis.call('HGET', hwmKey, 'epoch')) or 0
    local hwm = tonumber(redis.call('HGET', hwmKey, node)) or 0
    if untilTs > hwm then redis.call('HSET', hwmKey, node, untilTs) end
    return {node, hwm, epoch, id}
  end
end
return {-1, count, id}
`;

/**
 * Compare-and-extend. KEYS[1] = node key, KEYS[2] = hwm hash. ARGV = token, ttl ms, node ID, new window end,
 * quarantine ms, identity of the primary that granted the holder's window.
 * Returns {1, identity} extended, {0} lost (key missing), {-1, value} stolen (another holder's token), or
 * {-2, identity} when this is not the primary that granted the window: writes the holder relies on may be lost,
 * so its key is deleted (it must lease again) and nothing is extended. Never re-creates the key.
 */
export const REFRESH_SCRIPT = `${PRELUDE}
local id = checkPrimary(KEYS[2], ARGV[5])
local value = redis.call('GET', KEYS[1])
if id ~= ARGV[6] then
  if value == ARGV[1] then redis.call('DEL', KEYS[1]) end
  return {-2, id}
end
if not value then return {0} end
if value ~= ARGV[1] then return {-1, value} end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local hwm = tonumber(redis.call('HGET', KEYS[2], ARGV[3])) or 0
if tonumber(ARGV[4]) > hwm then redis.call('HSET', KEYS[2], ARGV[3], ARGV[4]) end
return {1, id}
`;

/**
 * `INFO` (server and replication) of the node serving KEYS[1]: a script, so that a Cluster client routes it by the
 * key to the node that holds the lease (a plain `INFO` would go to any node).
 */
export const INFO_SCRIPT = `return redis.call('INFO', 'server') .. redis.call('INFO', 'replication')`;

/**
 * Compare-and-delete. KEYS[1] = node key, KEYS[2] = hwm hash. ARGV = token, node ID, highest timestamp issued.
 * Lowers the high-water mark to what was really issued, so the next holder need not wait out the unused window.
 * Returns 1 when released, 0 when the key was no longer ours (left untouched).
 */
export const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
`;
