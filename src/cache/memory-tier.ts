import { LRUCache } from 'lru-cache';
import { CacheError } from './errors.js';
import { emptyStats, type CacheTier, type TierStats } from './tier.js';

/**
 * What an L1 entry costs beyond its encoded value: the LRU's slots, the entry object and the key
 * (two bytes per UTF-16 unit). A rough figure, so that a million tiny entries cannot pass for free.
 */
export const ENTRY_OVERHEAD_BYTES = 96;

export interface MemoryTierOptions {
  /** Entries at most; past it the least recently used goes (counted in evictions). */
  maxItems: number;
  /** Bytes at most, as `sizeOf` counts them plus key and overhead; past it the least recently used go. */
  maxBytes: number;
  ttlMs: number;
  /** One entry's bytes at most (default maxBytes): a larger one is not kept (counted in tooLarge). */
  maxEntryBytes?: number;
  /** Bytes of a value; the cache passes its encoded length, so L1 counts what L2 and L3 store. */
  sizeOf: (value: unknown) => number;
  /** Clock of the TTLs in ms (default performance.now); injectable so tests need not sleep. */
  now?: () => number;
}

/** One L1 entry: the value as the caller gave it (not a copy), its size, and reads since it came. */
export interface MemoryEntry {
  readonly value: unknown;
  readonly bytes: number;
  hits: number;
}

/**
 * L1: an LRU in this process's memory, bounded in entries and in bytes, each entry living at
 * most `ttlMs`. Reads are synchronous (`peek`), for paths that cannot wait a microtask; the
 * CacheTier methods wrap them for the contract.
 */
export class MemoryTier<V = unknown> implements CacheTier<V> {
  readonly name = 'l1' as const;
  private readonly lru: LRUCache<string, MemoryEntry>;
  private readonly stats_ = emptyStats();
  private readonly maxEntryBytes: number;
  private readonly sizeOf: (value: unknown) => number;

  constructor(o: MemoryTierOptions) {
    for (const [what, n] of [['maxItems', o.maxItems], ['maxBytes', o.maxBytes], ['ttlMs', o.ttlMs]] as const) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`L1 ${what} must be a positive integer, got ${n}`);
    }
    this.maxEntryBytes = Math.min(o.maxEntryBytes ?? o.maxBytes, o.maxBytes);
    this.sizeOf = o.sizeOf;
    this.lru = new LRUCache<string, MemoryEntry>({
      max: o.maxItems,
      maxSize: o.maxBytes,
      maxEntrySize: this.maxEntryBytes,
      ttl: o.ttlMs,
      // Stale entries are dropped when met or pushed out, not by a timer per entry.
      ttlAutopurge: false,
      allowStale: false,
      updateAgeOnGet: false,
      sizeCalculation: (entry) => entry.bytes,
      dispose: (_entry, _key, reason) => {
        if (reason === 'evict') this.stats_.evictions++;
        else if (reason === 'expire') this.stats_.expired++;
      },
      // lru-cache holds a reading of the clock for a millisecond (real time): an injected clock is read every time.
      ...(o.now ? { perf: { now: o.now }, ttlResolution: 0 } : {}),
    });
  }

  /** The entry under `key`, or undefined; counts a hit or a miss and makes it the most recently used. */
  peekEntry(key: string): MemoryEntry | undefined {
    const entry = this.lru.get(key);
    if (entry === undefined) {
      this.stats_.misses++;
      return undefined;
    }
    this.stats_.hits++;
    entry.hits++;
    return entry;
  }

  /** The entry under `key` without counting a read: for the shard's own checks. */
  entryOf(key: string): MemoryEntry | undefined {
    return this.lru.get(key);
  }

  peek(key: string): V | undefined {
    return this.peekEntry(key)?.value as V | undefined;
  }

  /** Stores `value` of `valueBytes`; false (counted in tooLarge, any older entry dropped) when it is over the entry bound. */
  put(key: string, value: V, valueBytes = this.sizeOf(value), ttlMs?: number): boolean {
    const bytes = valueBytes + key.length * 2 + ENTRY_OVERHEAD_BYTES;
    if (bytes > this.maxEntryBytes) {
      this.stats_.tooLarge++;
      this.lru.delete(key);
      return false;
    }
    this.stats_.sets++;
    this.lru.set(key, { value, bytes, hits: 0 }, ttlMs === undefined ? undefined : { ttl: ttlMs });
    return true;
  }

  remove(key: string): boolean {
    const had = this.lru.delete(key);
    if (had) this.stats_.deletes++;
    return had;
  }

  /** Removes the keys starting with `prefix`; a walk over every entry. */
  removePrefix(prefix: string): number {
    if (prefix === '') {
      const n = this.lru.size;
      this.lru.clear();
      this.stats_.deletes += n;
      return n;
    }
    let n = 0;
    for (const key of [...this.lru.keys()]) if (key.startsWith(prefix) && this.remove(key)) n++;
    return n;
  }

  /** Drops the least recently used `fraction` (0..1) of the entries, to give memory back; counted as evictions. */
  shed(fraction: number): number {
    const drop = Math.floor(this.lru.size * Math.min(1, Math.max(0, fraction)));
    let n = 0;
    for (const key of this.lru.rkeys()) {
      if (n >= drop) break;
      this.lru.delete(key);
      n++;
    }
    this.stats_.evictions += n;
    return n;
  }

  /** The `limit` keys read most since they came, most read first. */
  hottest(limit: number): { key: string; hits: number }[] {
    const all: { key: string; hits: number }[] = [];
    for (const [key, entry] of this.lru.entries()) if (entry.hits > 0) all.push({ key, hits: entry.hits });
    return all.sort((a, b) => b.hits - a.hits).slice(0, limit);
  }

  get size(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  async get(key: string): Promise<V | undefined> {
    return this.peek(key);
  }

  async getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    return keys.map((k) => this.peek(k));
  }

  async set(key: string, value: V, ttlMs?: number): Promise<void> {
    if (!this.put(key, value, this.sizeOf(value), ttlMs)) {
      throw new CacheError('VALUE_TOO_LARGE', `the entry is over L1's bound of ${this.maxEntryBytes} bytes`, { tier: 'l1' });
    }
  }

  async delete(key: string): Promise<boolean> {
    return this.remove(key);
  }

  async clear(prefix: string): Promise<number> {
    return this.removePrefix(prefix);
  }

  stats(): TierStats {
    return { ...this.stats_, items: this.lru.size, bytes: this.lru.calculatedSize };
  }
}
