/** L1 is this process's memory, L2 Redis, L3 PostgreSQL. */
export type TierName = 'l1' | 'l2' | 'l3';

/** What every tier counts since it was made. */
export interface TierStats {
  hits: number;
  misses: number;
  sets: number;
  deletes: number;
  /** Entries dropped before their TTL to stay within the bounds (L1: least recently used; L3: soonest to expire). */
  evictions: number;
  /** Entries found expired (L1) or purged expired (L3). */
  expired: number;
  /** Writes refused because the entry alone is over the tier's entry bound. */
  tooLarge: number;
  /** Values that did not decode; each is treated as a miss and deleted. */
  corrupt: number;
  /** Entries held now, or null when the tier cannot tell cheaply (see each tier). */
  items: number | null;
  /** Bytes held now (values and keys as the tier counts them), or null when it cannot tell. */
  bytes: number | null;
}

/**
 * One level of the cache. Values go in and come out as the caller's type; a tier that leaves the
 * process (L2, L3) encodes them with msgpack. A miss is `undefined`, so `undefined` itself is
 * never stored (null is). Failures reject with a CacheError naming the tier.
 */
export interface CacheTier<V> {
  readonly name: TierName;
  get(key: string): Promise<V | undefined>;
  /** In the order of `keys`. */
  getMany(keys: readonly string[]): Promise<(V | undefined)[]>;
  /** Stores for `ttlMs`, or the tier's own TTL. */
  set(key: string, value: V, ttlMs?: number): Promise<void>;
  /** Whether there was an entry. */
  delete(key: string): Promise<boolean>;
  /** Deletes every entry whose key starts with `prefix` ('' is everything); how many went. */
  clear(prefix: string): Promise<number>;
  stats(): TierStats;
}

export function emptyStats(): TierStats {
  return { hits: 0, misses: 0, sets: 0, deletes: 0, evictions: 0, expired: 0, tooLarge: 0, corrupt: 0, items: 0, bytes: 0 };
}
