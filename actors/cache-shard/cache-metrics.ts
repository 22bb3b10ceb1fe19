import { Gauge, type Registry } from 'prom-client';
import { sourcedCounter } from '../../src/metrics/index.js';
import type { TierStats } from '../../src/cache/index.js';
import type { CacheStats } from './stats.js';

/**
 * supernova_cache_* in `registry`, read from the cache's own counters at scrape time (nothing
 * runs per read). The latency histogram (supernova_cache_latency_seconds{tier}) is the cache's
 * CacheLatency, registered in the same registry when the cache was made.
 */
export function registerCacheMetrics(registry: Registry, stats: () => CacheStats): void {
  const tiers = (): [string, TierStats][] => {
    const t = stats().tiers;
    return [['l1', t.l1], ...(t.l2 ? [['l2', t.l2] as [string, TierStats]] : []), ...(t.l3 ? [['l3', t.l3] as [string, TierStats]] : [])];
  };
  const byTier = (figure: keyof TierStats) => (): Record<string, number> => Object.fromEntries(tiers().filter(([, t]) => t[figure] !== null).map(([name, t]) => [name, t[figure] as number]));
  const remote = () => ({ l2: stats().tiers.l2, l3: stats().tiers.l3 });
  const byRemote = (figure: 'skipped' | 'failures' | 'recoveries') => (): Record<string, number> =>
    Object.fromEntries(Object.entries(remote()).filter(([, t]) => t !== undefined).map(([name, t]) => [name, t?.[figure] ?? 0]));
  const counter = (name: string, help: string, read: () => Record<string, number>, label = 'tier') => sourcedCounter(`supernova_cache_${name}`, help, registry, read, label);
  counter('hits_total', 'Cache reads that found the key, by tier (l1 counts peek and get)', byTier('hits'));
  counter('misses_total', 'Cache reads that did not find the key, by tier', byTier('misses'));
  counter('sets_total', 'Entries written, by tier (set, and fills on the way back of a read)', byTier('sets'));
  counter('deletes_total', 'Entries deleted by invalidations, by tier', byTier('deletes'));
  counter('evictions_total', 'Entries dropped before their TTL to stay within the tier\'s bounds, by tier (L1: least recently used, or memory pressure; L3: soonest to expire)', byTier('evictions'));
  counter('expired_total', 'Entries found expired (L1) or purged expired (L3), by tier', byTier('expired'));
  counter('too_large_total', 'Writes refused because the entry alone is over the bound, by tier', byTier('tooLarge'));
  counter('corrupt_total', 'Values that did not decode (read as a miss and deleted), by tier', byTier('corrupt'));
  counter('skipped_total', 'Operations not sent to a tier because it was down (Redis not connected, PostgreSQL failing), by tier', byRemote('skipped'));
  counter('tier_failures_total', 'Operations a tier failed or did not answer in SUPERNOVA_CACHE_TIER_TIMEOUT_MS (each takes it down for a while), by tier', byRemote('failures'));
  counter('tier_recoveries_total', 'Times a tier that was down came back (after the keys written meanwhile were deleted from it), by tier', byRemote('recoveries'));
  const requests = () => stats().requests;
  counter('requests_total', 'get() calls by where the value came from (load: the caller\'s loader ran, or the get waited for one that did)', () => {
    const r = requests();
    return { l1: r.fromL1, l2: r.fromL2, l3: r.fromL3, load: r.fromLoad };
  }, 'source');
  counter('loads_total', 'Loader runs by outcome', () => {
    const r = requests();
    return { ok: r.loads - r.loadErrors - r.loadTimeouts, error: r.loadErrors, timeout: r.loadTimeouts };
  }, 'outcome');
  counter('single_flight_joined_total', 'Gets that waited for a lookup of their key already under way instead of starting another', () => ({ '': requests().joined }), '');
  counter('refused_total', 'Requests the cache refused or gave up on, by reason (overloaded: SUPERNOVA_CACHE_MAX_PENDING; timeout: SUPERNOVA_CACHE_TIMEOUT_MS; uncacheable: a loaded value not kept; fill_dropped: a fill of an upper tier not queued)', () => {
    const r = requests();
    return { overloaded: r.overloaded + r.refused, timeout: r.timeouts, uncacheable: r.uncacheable, fill_dropped: r.fillsDropped };
  }, 'reason');
  counter('invalidations_total', 'Invalidations, by origin (local: this node\'s invalidate; remote: another node\'s, from Redis; resubscribe: L1 cleared after the channel was lost)', () => {
    const i = stats().invalidations;
    return { local: i.local, remote: i.remote, resubscribe: i.l1Clears };
  }, 'origin');
  counter('invalidation_messages_total', 'Invalidation messages on Redis PUB/SUB, by outcome (not_sent: Redis away; malformed: ignored)', (): Record<string, number> => {
    const b = stats().invalidations.bus;
    return b ? { sent: b.sent, not_sent: b.notSent, received: b.received, malformed: b.malformed } : {};
  }, 'outcome');
  counter('shard_restarts_total', 'Cache shard handler crashes, each followed by an empty restart of that shard', () => ({ '': requests().restarts }), '');
  const gauge = (name: string, help: string, read: () => Record<string, number>) => new Gauge({
    name: `supernova_cache_${name}`, help, labelNames: ['tier'], registers: [registry],
    collect() {
      this.reset();
      for (const [tier, v] of Object.entries(read())) this.set({ tier }, v);
    },
  });
  gauge('items', 'Entries held, by tier (L2: sampled by SCAN every SUPERNOVA_CACHE_MAINTENANCE_MS; L3: counted then)', byTier('items'));
  gauge('bytes', 'Bytes held, by tier (L1: encoded values, keys and overhead; L3: values and keys; L2 has no such figure)', byTier('bytes'));
  gauge('tier_up', '1 while a tier is used, 0 while it is skipped, by tier', () => {
    const r = remote();
    return { l1: 1, ...(r.l2 ? { l2: r.l2.up ? 1 : 0 } : {}), ...(r.l3 ? { l3: r.l3.up ? 1 : 0 } : {}) };
  });
}
