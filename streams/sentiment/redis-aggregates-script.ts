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
local order, seen, byKey = {}, {}, {}
for i = 0, n - 1 do
  local k = tonumber(ARGV[6 + i * 6])
  if not seen[k] then
    seen[k] = true
    order[#order + 1] = k
    byKey[KEYS[2 + 2 * k]] = k
  end
end
-- Each symbol is read once and written once per call: its figures live in this table meanwhile.
local cache, gone = {}, {}
local function load(k)
  local s = redis.call('hmget', KEYS[2 + 2 * k], 'ema', 'items', 'ts', 'newest')
  local c = { exists = s[1] and true or false, hours = {}, count = 0, dirty = {}, dropped = {} }
  if c.exists then
    c.ema, c.items, c.ts, c.newest = tonumber(s[1]), tonumber(s[2]), tonumber(s[3]), tonumber(s[4])
  end
  local flat = redis.call('hgetall', KEYS[3 + 2 * k])
  for j = 1, #flat, 2 do
    local b = {}
    for x in string.gmatch(flat[j + 1], '[^,]+') do b[#b + 1] = tonumber(x) end
    c.hours[tonumber(flat[j])] = b
    c.count = c.count + 1
  end
  return c
end
for i = 0, (fresh and n or 0) - 1 do
  local a = 6 + i * 6
  local k = tonumber(ARGV[a])
  local ts, label = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local bear, bull, neu = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
  local value = bull - bear
  local c = cache[k]
  if not c then
    c = load(k)
    cache[k] = c
    gone[k] = nil
  end
  if c.exists then
    c.ema = c.ema + alpha * (value - c.ema)
  else
    if redis.call('zcard', KEYS[1]) >= maxSymbols then
      local old = redis.call('zpopmin', KEYS[1])
      if old[1] then
        redis.call('del', old[1], old[1] .. ':h')
        evicted = evicted + 1
        -- A symbol of this call: what it holds here went with it.
        local ok = byKey[old[1]]
        if ok and ok ~= k then
          cache[ok] = nil
          gone[ok] = true
        end
      end
    end
    c.exists, c.ema, c.items, c.ts, c.newest = true, value, 0, ts, -1
  end
  c.items = c.items + 1
  if ts > c.ts then c.ts = ts end
  local hour = math.floor(ts / HOUR) * HOUR
  local b = c.hours[hour]
  if not b then
    if c.count >= hoursKept then
      local oldest = math.huge
      for h in pairs(c.hours) do
        if h < oldest then oldest = h end
      end
      if hour < oldest then
        unbucketed = unbucketed + 1
      else
        c.hours[oldest] = nil
        c.dirty[oldest] = nil
        c.dropped[oldest] = true
        b = { 0, 0, 0, 0, 0, 0, 0 }
      end
    else
      b = { 0, 0, 0, 0, 0, 0, 0 }
      c.count = c.count + 1
    end
    if b then
      c.hours[hour] = b
      c.dropped[hour] = nil
      if hour > c.newest then c.newest = hour end
    end
  end
  if b then
    b[1] = b[1] + 1
    b[1 + label] = b[1 + label] + 1
    b[5] = b[5] + bear
    b[6] = b[6] + bull
    b[7] = b[7] + neu
    c.dirty[hour] = true
  end
  redis.call('zadd', KEYS[1], seq + i + 1, KEYS[2 + 2 * k])
end
local function csv(b)
  return int(b[1]) .. ',' .. int(b[2]) .. ',' .. int(b[3]) .. ',' .. int(b[4]) .. ',' .. f(b[5]) .. ',' .. f(b[6]) .. ',' .. f(b[7])
end
for k, c in pairs(cache) do
  redis.call('hset', KEYS[2 + 2 * k], 'ema', f(c.ema), 'items', int(c.items), 'ts', int(c.ts), 'newest', int(c.newest))
  local drop = {}
  for h in pairs(c.dropped) do drop[#drop + 1] = int(h) end
  if #drop > 0 then redis.call('hdel', KEYS[3 + 2 * k], unpack(drop)) end
  local set = {}
  for h in pairs(c.dirty) do
    set[#set + 1] = int(h)
    set[#set + 1] = csv(c.hours[h])
  end
  if #set > 0 then redis.call('hset', KEYS[3 + 2 * k], unpack(set)) end
end
local out = { evicted, unbucketed, redis.call('zcard', KEYS[1]), fresh and 1 or 0 }
for _, k in ipairs(order) do
  local c = cache[k]
  if not c and not gone[k] then c = load(k) end
  if c and c.exists then
    local b = c.hours[c.newest]
    out[#out + 1] = { k, f(c.ema), int(c.items), int(c.ts), int(c.newest), b and csv(b) or '' }
  else
    out[#out + 1] = { k, '', '', '', '', '' }
  end
end
return out
`;
