/**
 * Adds scored items to the shared rolling sentiment, atomically, and answers the aggregate of
 * each symbol touched. The arithmetic is RollingSentiment's, in the same order of operations on
 * the same doubles (Lua's numbers are doubles; figures go both ways as %.17g text), so one
 * engine on Redis publishes the same figures as one in memory.
 *
 * KEYS[1]: the symbols by last update (a sorted set, for the SUPERNOVA_SENTIMENT_MAX_SYMBOLS
 * bound), KEYS[2]: the update counter that orders it, KEYS[3]: this call's marker (see below);
 * then per symbol k (from 1): KEYS[2 + 2k] its state hash (ema, items, ts, newest hour) and
 * KEYS[3 + 2k] its hours hash (hour start -> "items,bearish,bullish,neutral,sumBearish,sumBullish,sumNeutral").
 * An evicted symbol's keys are the member's name and that name plus ':h'; they are not declared,
 * but the callers hash-tag every key of the prefix into one slot, so this holds on a cluster too.
 * ARGV: alpha, hoursKept, maxSymbols, n, markerTtlMs; then per item: k, ts, label (1 bearish,
 * 2 bullish, 3 neutral), bearish, bullish, neutral.
 *
 * A call is applied once: its marker (a key named by the caller's id for these items, kept
 * markerTtlMs) is set with the first run, and a run that finds it only answers the figures. So a
 * call the caller gave up on (a timeout) that Redis ran after all, and its retry, count once.
 * Returns {evicted, unbucketed, symbols, applied (0 for a repeat), {k, ema, items, ts, newest, bucket}...}; an aggregate of
 * a symbol evicted later in the same call has an empty ema.
 */
export const SENTIMENT_ADD_SCRIPT = `
local alpha, hoursKept, maxSymbols, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local fresh = redis.call('set', KEYS[3], '1', 'NX', 'PX', ARGV[5])
local HOUR = 3600000
-- The order of updates, as RollingSentiment's map keeps it: the first member is the one to evict.
local seq = fresh and redis.call('incrby', KEYS[2], n) - n or 0
local function f(x) return string.format('%.17g', x) end
local function int(x) return string.format('%.0f', x) end
local evicted, unbucketed = 0, 0
local order, seen = {}, {}
for i = 0, n - 1 do
  local k = tonumber(ARGV[6 + i * 6])
  if not seen[k] then
    seen[k] = true
    order[#order + 1] = k
  end
end
for i = 0, (fresh and n or 0) - 1 do
  local a = 6 + i * 6
  local k = tonumber(ARGV[a])
  local ts, label = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local bear, bull, neu = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
  local stateKey, hoursKey = KEYS[2 + 2 * k], KEYS[3 + 2 * k]
  local value = bull - bear
  local s = redis.call('hmget', stateKey, 'ema', 'items', 'ts', 'newest')
  local ema, items, sts, newest
  if s[1] then
    ema = tonumber(s[1])
    ema = ema + alpha * (value - ema)
    items, sts, newest = tonumber(s[2]), tonumber(s[3]), tonumber(s[4])
  else
    if redis.call('zcard', KEYS[1]) >= maxSymbols then
      local old = redis.call('zpopmin', KEYS[1])
      if old[1] then
        redis.call('del', old[1], old[1] .. ':h')
        evicted = evicted + 1
      end
    end
    ema, items, sts, newest = value, 0, ts, -1
  end
  items = items + 1
  if ts > sts then sts = ts end
  local hour = math.floor(ts / HOUR) * HOUR
  local b = redis.call('hget', hoursKey, int(hour))
  if not b then
    local hours = redis.call('hkeys', hoursKey)
    if #hours >= hoursKept then
      local oldest = math.huge
      for _, h in ipairs(hours) do
        local v = tonumber(h)
        if v < oldest then oldest = v end
      end
      if hour < oldest then
        unbucketed = unbucketed + 1
      else
        redis.call('hdel', hoursKey, int(oldest))
        b = '0,0,0,0,0,0,0'
      end
    else
      b = '0,0,0,0,0,0,0'
    end
    if b and hour > newest then newest = hour end
  end
  if b then
    local c = {}
    for x in string.gmatch(b, '[^,]+') do c[#c + 1] = tonumber(x) end
    c[1] = c[1] + 1
    c[1 + label] = c[1 + label] + 1
    c[5] = c[5] + bear
    c[6] = c[6] + bull
    c[7] = c[7] + neu
    redis.call('hset', hoursKey, int(hour), int(c[1]) .. ',' .. int(c[2]) .. ',' .. int(c[3]) .. ',' .. int(c[4]) .. ',' .. f(c[5]) .. ',' .. f(c[6]) .. ',' .. f(c[7]))
  end
  redis.call('hset', stateKey, 'ema', f(ema), 'items', int(items), 'ts', int(sts), 'newest', int(newest))
  redis.call('zadd', KEYS[1], seq + i + 1, stateKey)
end
local out = { evicted, unbucketed, redis.call('zcard', KEYS[1]), fresh and 1 or 0 }
for _, k in ipairs(order) do
  local s = redis.call('hmget', KEYS[2 + 2 * k], 'ema', 'items', 'ts', 'newest')
  if s[1] then
    out[#out + 1] = { k, s[1], s[2], s[3], s[4], redis.call('hget', KEYS[3 + 2 * k], s[4]) or '' }
  else
    out[#out + 1] = { k, '', '', '', '', '' }
  end
end
return out
`;
