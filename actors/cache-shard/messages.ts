import type { CacheError } from '../../src/cache/index.js';

/** Where a get's value came from. */
export type Source = 'l1' | 'l2' | 'l3' | 'load';

/** A reply: the value and where it came from (a get), or the error. */
export type Settled<T> = { ok: true; value: T; from?: Source } | { ok: false; error: CacheError };

/** A caller's loader; `undefined` means nothing to cache (the callers get it, nothing is stored). */
export type Loader<T> = () => T | Promise<T>;

/** One lookup of a key under way, shared by every get of the key that comes while it runs. */
export interface Flight {
  readonly key: string;
  readonly waiters: ((s: Settled<unknown>) => void)[];
  /** A set or invalidate came meanwhile: what this flight finds must not be stored anywhere. */
  superseded: boolean;
}

/** The outcome of a flight, and what L1 should keep of it. */
export interface Landing {
  settled: Settled<unknown>;
  /** The encoded size when the value may be kept in L1. */
  keepBytes?: number;
}

/** What a shard's mailbox takes. Replies go to the asker's callback; the rest are told. */
export type ShardMsg =
  | { type: 'fetch'; key: string; load: Loader<unknown>; reply: (s: Settled<unknown>) => void }
  | { type: 'landed'; flight: Flight; landing: Landing }
  | { type: 'set'; key: string; value: unknown; bytes: number; reply: (s: Settled<undefined>) => void }
  | { type: 'invalidate'; key: string; reply: (s: Settled<undefined>) => void }
  /** Another node's invalidation, a resubscribe (prefix ''), or a local prefix: L1 and flights only. */
  | { type: 'evict'; keys: readonly string[] }
  | { type: 'evictPrefix'; prefix: string; reply?: (s: Settled<number>) => void }
  /** A warm-up value: kept in L1 unless the key is there already or being looked up. */
  | { type: 'warm'; key: string; value: unknown; bytes: number }
  /** Answered once every message queued before it has been handled. */
  | { type: 'drain'; reply: (s: Settled<undefined>) => void };
