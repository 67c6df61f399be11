/**
 * Lua scripts of the node lease. Each runs atomically in Redis, so the check and the write it guards cannot be
 * separated by another client. Key layout under the prefix: `node:<id>` (the lease, value = holder token, PX = TTL)
 * and one hash `hwm` holding, per node ID, the highest timestamp any holder may have issued, plus field `epoch`:
 * the end of the quarantine that started when this Redis last came up empty. A missing hash means Redis lost data.
 */

/**
 * Scans `count` node IDs from `start` (mod `total`) and takes the first free one with SET NX PX.
 * KEYS[1] = hwm hash. ARGV = node key prefix, token, ttl ms, start, count, total, window end, quarantine ms.
 * Returns {nodeId, previous high-water mark, quarantine end} or {-1, how many of the scanned IDs are held}.
 */
export const ACQUIRE_SCRIPT = `
local hwmKey, prefix, token, ttl = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local start, count, total = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local untilTs, quarantine = tonumber(ARGV[7]), tonumber(ARGV[8])
for i = 0, count - 1 do
  local node = (start + i) % total
  if redis.call('SET', prefix .. node, token, 'NX', 'PX', ttl) then
    local epoch = tonumber(redis.call('HGET', hwmKey, 'epoch'))
    if not epoch then
      local now = redis.call('TIME')
      epoch = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + quarantine
      redis.call('HSET', hwmKey, 'epoch', epoch)
    end
    local hwm = tonumber(redis.call('HGET', hwmKey, node)) or 0
    if untilTs > hwm then redis.call('HSET', hwmKey, node, untilTs) end
    return {node, hwm, epoch}
  end
end
return {-1, count}
`;

/**
 * Compare-and-extend. KEYS[1] = node key, KEYS[2] = hwm hash. ARGV = token, ttl ms, node ID, new window end.
 * Returns {1} extended, {0} lost (key missing), {-1, value} stolen (another holder's token). Never re-creates the key.
 */
export const REFRESH_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if not value then return {0} end
if value ~= ARGV[1] then return {-1, value} end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local hwm = tonumber(redis.call('HGET', KEYS[2], ARGV[3])) or 0
if tonumber(ARGV[4]) > hwm then redis.call('HSET', KEYS[2], ARGV[3], ARGV[4]) end
return {1}
`;

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
