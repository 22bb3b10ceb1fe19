import type { BusStats, CacheLatency, GuardStats, LatencySummary, TierStats } from '../../src/cache/index.js';
import type { CacheShard, ShardCounts } from './shard.js';

export interface WarmupState {
  /** off: no warm-up (SUPERNOVA_CACHE_WARM_KEYS=0, or no L2 or L3); pending until start. */
  state: 'off' | 'pending' | 'running' | 'done' | 'failed';
  /** Keys on the stored hot-key list at start. */
  listed: number;
  /** Of those, found in L2 or L3 and put into L1. */
  warmed: number;
  /** Keys written to the list at stop. */
  recorded: number;
  error?: string;
}

/** A tier beyond L1: its own figures and its guard's (up, skipped, failures). */
export type RemoteTierStats = TierStats & GuardStats & { ttlMs: number };

export interface CacheStats {
  tiers: {
    l1: TierStats & { maxItems: number; maxBytes: number; ttlMs: number };
    l2?: RemoteTierStats;
    l3?: RemoteTierStats;
  };
  /** get() calls by where their value came from, and what happened to loads. */
  requests: ShardCounts & { l1Hits: number; timeouts: number; refused: number };
  invalidations: { local: number; remote: number; l1Clears: number; bus?: BusStats };
  warmup: WarmupState;
  queuedWrites: number;
}

interface Sources {
  shards: readonly CacheShard[];
  counts: { l1Hits: number; invalidatedLocal: number; invalidatedRemote: number; l1Clears: number; timeouts: number; refused: number };
  warmup: WarmupState;
  l1: { maxItems: number; maxBytes: number; ttlMs: number };
  l2: { tier: TierStats; guard: GuardStats; ttlMs: number } | undefined;
  l3: { tier: TierStats; guard: GuardStats; ttlMs: number } | undefined;
  bus: BusStats | undefined;
}

/** The shards' figures summed, with the tiers' and the guards'. */
export function cacheStats(s: Sources): CacheStats {
  const l1 = s.shards.map((sh) => sh.state.l1.stats()).reduce(addTier);
  const counts = s.shards.map((sh) => sh.counts).reduce((a, b) => {
    const out = { ...a };
    for (const k of Object.keys(b) as (keyof ShardCounts)[]) out[k] += b[k];
    return out;
  });
  const stats: CacheStats = {
    tiers: { l1: { ...l1, maxItems: s.l1.maxItems, maxBytes: s.l1.maxBytes, ttlMs: s.l1.ttlMs } },
    requests: { ...counts, fromL1: counts.fromL1 + s.counts.l1Hits, l1Hits: s.counts.l1Hits, timeouts: s.counts.timeouts, refused: s.counts.refused },
    invalidations: { local: s.counts.invalidatedLocal, remote: s.counts.invalidatedRemote, l1Clears: s.counts.l1Clears, ...(s.bus ? { bus: s.bus } : {}) },
    warmup: { ...s.warmup },
    queuedWrites: s.shards.reduce((n, sh) => n + sh.queuedWrites, 0),
  };
  if (s.l2) stats.tiers.l2 = { ...s.l2.tier, ...s.l2.guard, ttlMs: s.l2.ttlMs };
  if (s.l3) stats.tiers.l3 = { ...s.l3.tier, ...s.l3.guard, ttlMs: s.l3.ttlMs };
  return stats;
}

function addTier(a: TierStats, b: TierStats): TierStats {
  const sum = (x: number | null, y: number | null) => (x === null || y === null ? null : x + y);
  return {
    hits: a.hits + b.hits, misses: a.misses + b.misses, sets: a.sets + b.sets, deletes: a.deletes + b.deletes,
    evictions: a.evictions + b.evictions, expired: a.expired + b.expired, tooLarge: a.tooLarge + b.tooLarge, corrupt: a.corrupt + b.corrupt,
    items: sum(a.items, b.items), bytes: sum(a.bytes, b.bytes),
  };
}

/** GET /performance/metrics/cache. */
export interface CacheReport {
  configured: { l1: true; l2: boolean; l3: boolean };
  shards: number;
  maxEntryBytes: number;
  maxPending: number;
  /**
   * Over the tiers: a get is a hit when any tier had the value, a miss when it was loaded; items
   * and bytes add up the tiers that know theirs (an entry in two tiers counts twice).
   */
  combined: { hits: number; misses: number; hitRate: number | null; items: number; bytes: number; latency: LatencySummary };
  tiers: {
    l1: CacheStats['tiers']['l1'] & { hitRate: number | null; latency: LatencySummary };
    l2?: RemoteTierStats & { hitRate: number | null; latency: LatencySummary };
    l3?: RemoteTierStats & { hitRate: number | null; latency: LatencySummary };
  };
  loads: { calls: number; errors: number; timeouts: number; joined: number; uncacheable: number; latency: LatencySummary };
  requests: CacheStats['requests'];
  invalidations: CacheStats['invalidations'];
  warmup: WarmupState;
  queuedWrites: number;
}

const rate = (hits: number, misses: number): number | null => (hits + misses === 0 ? null : Math.round((hits / (hits + misses)) * 10_000) / 10_000);

export function cacheReport(s: CacheStats, latency: CacheLatency, limits: { shards: number; maxEntryBytes: number; maxPending: number }): CacheReport {
  const r = s.requests;
  const hits = r.fromL1 + r.fromL2 + r.fromL3;
  const misses = r.fromLoad;
  const known: TierStats[] = [s.tiers.l1, ...(s.tiers.l2 ? [s.tiers.l2] : []), ...(s.tiers.l3 ? [s.tiers.l3] : [])];
  const report: CacheReport = {
    configured: { l1: true, l2: s.tiers.l2 !== undefined, l3: s.tiers.l3 !== undefined },
    ...limits,
    combined: {
      hits, misses, hitRate: rate(hits, misses),
      items: known.reduce((n, t) => n + (t.items ?? 0), 0), bytes: known.reduce((n, t) => n + (t.bytes ?? 0), 0),
      latency: latency.summary('get'),
    },
    tiers: { l1: { ...s.tiers.l1, hitRate: rate(s.tiers.l1.hits, s.tiers.l1.misses), latency: latency.summary('l1') } },
    loads: { calls: r.loads, errors: r.loadErrors, timeouts: r.loadTimeouts, joined: r.joined, uncacheable: r.uncacheable, latency: latency.summary('load') },
    requests: r,
    invalidations: s.invalidations,
    warmup: s.warmup,
    queuedWrites: s.queuedWrites,
  };
  if (s.tiers.l2) report.tiers.l2 = { ...s.tiers.l2, hitRate: rate(s.tiers.l2.hits, s.tiers.l2.misses), latency: latency.summary('l2') };
  if (s.tiers.l3) report.tiers.l3 = { ...s.tiers.l3, hitRate: rate(s.tiers.l3.hits, s.tiers.l3.misses), latency: latency.summary('l3') };
  return report;
}
