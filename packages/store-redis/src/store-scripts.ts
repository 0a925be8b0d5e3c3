/**
 * The Lua scripts that make each store operation one atomic step in Redis. Keys of one store:
 * `<prefix>:values` (a hash of JSON values), `<prefix>:keys` (a sorted set of the same keys,
 * for listing by prefix), `<prefix>:leader` (`<token>:<holder>`, expiring with the lease) and
 * `<prefix>:leader-token` (the counter every acquisition increments: the fencing token).
 */

/** A write fenced by the writer's token (empty: unfenced). Returns {1} or {0, current token}. */
export const fencedSetScript = `
if ARGV[1] ~= '' then
  local current = redis.call('GET', KEYS[3])
  if current ~= ARGV[1] then return {0, current or ''} end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
return {1, ''}
`;

export const fencedDeleteScript = `
if ARGV[1] ~= '' then
  local current = redis.call('GET', KEYS[3])
  if current ~= ARGV[1] then return {0, current or ''} end
end
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
return {1, ''}
`;

/** Keys in a lexicographic range with their values, as one flat list [key, value, key, value, …]. */
export const listScript = `
local names = redis.call('ZRANGEBYLEX', KEYS[2], ARGV[1], ARGV[2])
local result = {}
for _, name in ipairs(names) do
  local value = redis.call('HGET', KEYS[1], name)
  if value then
    result[#result + 1] = name
    result[#result + 1] = value
  end
end
return result
`;

/** SET NX PX with a fresh token from the counter; nil when someone holds the lease. */
export const acquireScript = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'NX', 'PX', ARGV[2])
return token
`;

/** Extends the lease only while it is still this holder's with this token. */
export const renewScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

export const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;
