import type { Cluster, Redis } from 'ioredis';

/** Redis' clock in ms, so every node ages history and presence by one clock. */
const NOW_MS = `local now = redis.call('time')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)`;

/**
 * A stream with no meta (new, expired or evicted) starts a new epoch at offset 0; its old entries
 * go with it, since their offsets belong to the old epoch.
 */
const ENSURE_EPOCH = `local epoch = redis.call('hget', KEYS[2], 'e')
local fresh = false
if not epoch then
  epoch = ARGV[1]
  fresh = true
  redis.call('del', KEYS[1])
  redis.call('hset', KEYS[2], 'e', epoch, 's', 0)
end`;

/**
 * Publish with history: the next offset, the stream entry and the PUB/SUB message in one atomic
 * step, so every node sees one order and nobody receives what history lacks.
 * KEYS: stream, meta. ARGV: epoch candidate, payload, MAXLEN, stream TTL ms, meta TTL ms,
 * PUB/SUB channel, publish command (`publish` or `spublish`), the epoch and offset the publishing
 * node saw last of the channel ('' and 0 for none). Returns {offset, epoch, reset}.
 *
 * A stream whose top is behind what the node saw of the same epoch lost writes (a failover to a
 * replica that lacked them): it starts a new epoch (reset 1), so that no offset is given to two
 * publications and a client recovering from a lost position learns it is gone.
 */
const PUBLISH = `${ENSURE_EPOCH}
local reset = 0
if not fresh and ARGV[8] == epoch and tonumber(redis.call('hget', KEYS[2], 's')) < tonumber(ARGV[9]) then
  epoch = ARGV[1]
  reset = 1
  redis.call('del', KEYS[1])
  redis.call('hset', KEYS[2], 'e', epoch, 's', 0)
end
${NOW_MS}
local offset = redis.call('hincrby', KEYS[2], 's', 1)
redis.call('xadd', KEYS[1], 'MAXLEN', ARGV[3], offset .. '-0', 'd', ARGV[2], 't', nowMs)
redis.call('pexpire', KEYS[1], ARGV[4])
redis.call('pexpire', KEYS[2], ARGV[5])
redis.call(ARGV[7], ARGV[6], 'p' .. offset .. ':' .. epoch .. ':' .. ARGV[2])
return {offset, epoch, reset}`;

/**
 * Reads history. Entries past the namespace's TTL are trimmed first (ids grow with time, so they
 * are the oldest), which makes "the entry after the client's offset is retained" the whole
 * recovery check. KEYS: stream, meta. ARGV: epoch candidate, TTL ms, meta TTL ms, mode (`pos`,
 * `since`, `fwd`, `rev`), limit (-1: all), since offset, since epoch.
 * Returns {'ok', epoch, top, offset1, payload1, ...} or {'lost'}.
 */
const HISTORY = `if ARGV[4] == 'since' and redis.call('exists', KEYS[2]) == 0 and (tonumber(ARGV[6]) > 0 or ARGV[7] ~= '') then
  return {'lost'}
end
${ENSURE_EPOCH}
if fresh then
  redis.call('pexpire', KEYS[2], ARGV[3])
  return {'ok', epoch, 0}
end
local top = tonumber(redis.call('hget', KEYS[2], 's'))
${NOW_MS}
local oldest = nowMs - tonumber(ARGV[2])
while true do
  local head = redis.call('xrange', KEYS[1], '-', '+', 'COUNT', 64)
  if #head == 0 then break end
  local keep = nil
  for i = 1, #head do
    if tonumber(head[i][2][4]) >= oldest then keep = head[i][1] break end
  end
  if keep then
    redis.call('xtrim', KEYS[1], 'MINID', keep)
    break
  end
  local last = string.match(head[#head][1], '^(%d+)')
  redis.call('xtrim', KEYS[1], 'MINID', (tonumber(last) + 1) .. '-0')
end
local mode = ARGV[4]
local limit = tonumber(ARGV[5])
local entries
if mode == 'pos' then
  return {'ok', epoch, top}
elseif mode == 'since' then
  local since = tonumber(ARGV[6])
  if ARGV[7] ~= epoch or since > top then return {'lost'} end
  if since == top then return {'ok', epoch, top} end
  if limit < 0 then entries = redis.call('xrange', KEYS[1], '(' .. since .. '-0', '+')
  else entries = redis.call('xrange', KEYS[1], '(' .. since .. '-0', '+', 'COUNT', limit) end
  if #entries == 0 or entries[1][1] ~= (since + 1) .. '-0' then return {'lost'} end
elseif mode == 'rev' then
  if limit < 0 then entries = redis.call('xrevrange', KEYS[1], '+', '-')
  else entries = redis.call('xrevrange', KEYS[1], '+', '-', 'COUNT', limit) end
else
  if limit < 0 then entries = redis.call('xrange', KEYS[1], '-', '+')
  else entries = redis.call('xrange', KEYS[1], '-', '+', 'COUNT', limit) end
end
local out = {'ok', epoch, top}
for i = 1, #entries do
  out[#out + 1] = string.match(entries[i][1], '^(%d+)')
  out[#out + 1] = entries[i][2][2]
end
return out`;

/**
 * Adds or refreshes presence entries (a node refreshes its own, so a dead node's lapse).
 * KEYS: hash, expiry set. ARGV: TTL ms, then client id and packed info pairs.
 */
const PRESENCE_ADD = `${NOW_MS}
local expires = nowMs + tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
  redis.call('hset', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('zadd', KEYS[2], expires, ARGV[i])
end
redis.call('pexpire', KEYS[1], ARGV[1])
redis.call('pexpire', KEYS[2], ARGV[1])
return 1`;

/** Drops entries whose node stopped refreshing them, then returns the rest. KEYS: hash, expiry set. */
const PRESENCE_GET = `${NOW_MS}
local gone = redis.call('zrangebyscore', KEYS[2], '-inf', nowMs)
for i = 1, #gone, 1000 do
  redis.call('hdel', KEYS[1], unpack(gone, i, math.min(i + 999, #gone)))
end
if #gone > 0 then redis.call('zremrangebyscore', KEYS[2], '-inf', nowMs) end
return redis.call('hgetall', KEYS[1])`;

const scripts = {
  snPublish: { numberOfKeys: 2, lua: PUBLISH },
  snHistory: { numberOfKeys: 2, lua: HISTORY },
  snPresenceAdd: { numberOfKeys: 2, lua: PRESENCE_ADD },
  snPresenceGet: { numberOfKeys: 2, lua: PRESENCE_GET },
} as const;

type Arg = string | number | Buffer;

/** A command connection with the broker's scripts defined (ioredis sends EVALSHA, and EVAL once when the script is new to a server). */
export interface ScriptedRedis {
  snPublish(stream: string, meta: string, ...args: Arg[]): Promise<[number, string, number]>;
  snHistoryBuffer(stream: string, meta: string, ...args: Arg[]): Promise<Buffer[]>;
  snPresenceAdd(hash: string, expiry: string, ...args: Arg[]): Promise<number>;
  snPresenceGetBuffer(hash: string, expiry: string): Promise<Buffer[]>;
}

export function defineScripts(redis: Redis | Cluster): ScriptedRedis {
  for (const [name, def] of Object.entries(scripts)) redis.defineCommand(name, def);
  return redis as unknown as ScriptedRedis;
}
