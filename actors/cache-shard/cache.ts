import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import {
  CacheError, CacheLatency, checkKey, checkPrefix, InvalidationBus, MAX_KEY_LENGTH, messageOf, MsgpackValueCodec, PostgresTier, RedisTier, TierGuard,
  type Invalidation, type TierName,
} from '../../src/cache/index.js';
import type { RedisConnector } from '../../src/redis/index.js';
import type { Database } from '../../src/storage/index.js';
import { ActorStoppedError, ask, AskTimeoutError, MailboxFullError, type Supervisor } from '../runtime/index.js';
import { HOT_KEYS_KEY, mergeHotKeys, readHotKeys } from './hot-keys.js';
import { shardOf } from './hash.js';
import type { Loader, Settled, ShardMsg } from './messages.js';
import { CacheShard, type ShardContext } from './shard.js';
import { cacheReport, cacheStats, type CacheReport, type CacheStats, type WarmupState } from './stats.js';

export interface CacheOptions {
  /** Where the shard actors live (the engine's ActorRuntime); asked at start(). */
  runtime: { supervisor(name: string): Supervisor };
  /** SUPERNOVA_CACHE_SHARDS. */
  shards: number;
  /** L1 over all shards (each shard has an equal slice). */
  l1: { maxItems: number; maxBytes: number; ttlMs: number; now?: () => number };
  maxEntryBytes: number;
  maxPending: number;
  /** How long a get, set or invalidate waits for its shard, and a loader may run. */
  timeoutMs: number;
  /** L3 purge and bounds, L2 size sample: every this long (0: never). */
  maintenanceMs: number;
  /** Hot keys recorded at stop and read back into L1 at start (0: no warm-up). */
  warmKeys: number;
  /** L2, when Redis is configured. */
  redis?: { connector: RedisConnector; prefix: string; ttlMs: number };
  /** L3, when PostgreSQL is configured (started, i.e. migrated, before the cache starts). */
  database?: { database: Database; ttlMs: number; maxRows: number; maxBytes: number };
  /** A Redis or PostgreSQL operation slower than this fails, and the tier is skipped for a while. */
  tierTimeoutMs: number;
  /** Where the supernova_cache_* metrics go (the engine's); a registry of its own otherwise. */
  registry?: Registry;
  /** This node's id on the invalidation channel. */
  node?: string;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

type Phase = 'new' | 'running' | 'stopping' | 'stopped';

/** How often a read of L1 is timed: one in 64 (timing costs as much as the read). */
const L1_SAMPLE_MASK = 63;

/**
 * The engine's cache: L1 in this process (N shard actors, each owning a slice), L2 Redis and L3
 * PostgreSQL when configured. `get(key, load)` reads through the tiers with one lookup per key
 * however many callers wait for it, filling the tiers above where the value was found; `peek`
 * reads L1 synchronously; `set` writes through every tier and `invalidate` deletes from every
 * tier and from the other nodes' L1. A tier that is down is skipped (counted, and the `cache`
 * health component says so) until it answers again; the cache never fails a get because of it.
 */
export class Cache {
  private readonly shards: CacheShard[];
  private readonly codec = new MsgpackValueCodec();
  readonly latency: CacheLatency;
  readonly registry: Registry;
  private readonly l2Tier: RedisTier | undefined;
  private readonly l3Tier: PostgresTier | undefined;
  private readonly l2: TierGuard<unknown> | undefined;
  private readonly l3: TierGuard<unknown> | undefined;
  private readonly bus: InvalidationBus | undefined;
  private readonly node: string;
  private phase: Phase = 'new';
  private supervisor: Supervisor | undefined;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private maintaining: Promise<void> | undefined;
  private warming: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private reads = 0;
  readonly counts = { l1Hits: 0, invalidatedLocal: 0, invalidatedRemote: 0, l1Clears: 0, timeouts: 0, refused: 0 };
  readonly warmup: WarmupState;

  constructor(private readonly o: CacheOptions) {
    for (const [what, n] of [['shards', o.shards], ['maxPending', o.maxPending], ['timeoutMs', o.timeoutMs], ['maxEntryBytes', o.maxEntryBytes]] as const) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`cache ${what} must be a positive integer, got ${n}`);
    }
    this.node = o.node ?? randomUUID();
    this.registry = o.registry ?? new Registry();
    this.latency = new CacheLatency(this.registry);
    this.warmup = { state: o.warmKeys > 0 && (o.redis || o.database) ? 'pending' : 'off', listed: 0, warmed: 0, recorded: 0 };
    const guardEvents = {
      onDown: (tier: TierName, err: CacheError) => o.log?.warn({ tier, err: err.message }, `cache ${tier} is skipped until it answers again`),
      onUp: (tier: TierName, repaired: readonly string[] | 'all') => this.recovered(tier, repaired),
    };
    if (o.redis) {
      const tier = (this.l2Tier = new RedisTier({
        connector: o.redis.connector, prefix: o.redis.prefix, ttlMs: o.redis.ttlMs, maxEntryBytes: o.maxEntryBytes, timeoutMs: o.tierTimeoutMs, codec: this.codec,
        onReady: () => this.l2?.poke(),
      }));
      this.l2 = new TierGuard({ tier, available: () => tier.available, ...guardEvents });
      this.bus = new InvalidationBus({
        connector: o.redis.connector, prefix: o.redis.prefix, node: this.node, publisher: () => tier.connection,
        onInvalidation: (inv) => this.remoteInvalidation(inv),
        onResubscribed: () => this.clearL1('the invalidation channel was lost and is back: invalidations sent meanwhile were missed'),
      });
    }
    if (o.database) {
      const tier = (this.l3Tier = new PostgresTier({
        database: o.database.database, ttlMs: o.database.ttlMs, maxEntryBytes: o.maxEntryBytes, maxRows: o.database.maxRows, maxBytes: o.database.maxBytes,
        timeoutMs: o.tierTimeoutMs, codec: this.codec,
      }));
      this.l3 = new TierGuard({ tier, ...guardEvents });
    }
    const perShard = (n: number) => Math.max(1, Math.floor(n / o.shards));
    const ctx: ShardContext = {
      l2: this.l2, l3: this.l3, codec: this.codec, latency: this.latency,
      l1: { maxItems: perShard(o.l1.maxItems), maxBytes: perShard(o.l1.maxBytes), ttlMs: o.l1.ttlMs, ...(o.l1.now ? { now: o.l1.now } : {}) },
      maxEntryBytes: o.maxEntryBytes, maxPending: o.maxPending, loadTimeoutMs: o.timeoutMs,
    };
    this.shards = Array.from({ length: o.shards }, (_, i) => new CacheShard(i, ctx));
  }

  /** Which tiers this cache has. */
  get tiers(): { l1: true; l2: boolean; l3: boolean } {
    return { l1: true, l2: this.l2 !== undefined, l3: this.l3 !== undefined };
  }

  /** Spawns the shards and connects L2 and the invalidation channel (a Redis that is down does not fail it); warms up in the background. */
  async start(): Promise<void> {
    if (this.phase !== 'new') throw new CacheError('NOT_RUNNING', `the cache cannot start: it is ${this.phase}`);
    this.supervisor = this.o.runtime.supervisor('cache');
    for (const shard of this.shards) shard.spawn(this.supervisor);
    await Promise.all([this.l2Tier?.start(), this.bus?.start()]);
    this.phase = 'running';
    if (this.o.maintenanceMs > 0 && (this.l2 || this.l3)) {
      this.maintenanceTimer = setInterval(() => void this.maintain(), this.o.maintenanceMs);
      this.maintenanceTimer.unref();
    }
    if (this.warmup.state === 'pending') this.warming = this.warm();
  }

  /**
   * The value of `key`: from L1, else L2, else L3, else `load()` (whose value is stored in every
   * tier). One lookup per key at a time: every get of a key that comes while its lookup runs
   * waits for that one. Rejects with CacheError: LOAD_FAILED (the loader's error as cause, shared
   * by its waiters, nothing stored), TIMEOUT, OVERLOADED, KEY_INVALID, NOT_RUNNING.
   */
  async get<T>(key: string, load: Loader<T>): Promise<T> {
    if (this.phase !== 'running') throw this.notRunning();
    // Before hashing: a hostile key of megabytes must not cost its length.
    if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH) checkKey(key);
    const shard = this.shardFor(key);
    const entry = this.readL1(shard, key);
    if (entry !== undefined) {
      this.counts.l1Hits++;
      return entry.value as T;
    }
    checkKey(key);
    const t0 = performance.now();
    const settled = await this.ask<unknown>(shard, (reply) => ({ type: 'fetch', key, load, reply }));
    this.latency.observe('get', (performance.now() - t0) / 1000);
    return settled as T;
  }

  /** L1 only, synchronously, from the shard's map (no mailbox): undefined on a miss or when not running. */
  peek<T>(key: string): T | undefined {
    if (this.phase !== 'running' || typeof key !== 'string' || key.length > MAX_KEY_LENGTH) return undefined;
    return this.readL1(this.shardFor(key), key)?.value as T | undefined;
  }

  /**
   * Stores `value` in every tier (L1 at once, then L2 and L3, resolving once they took it or were
   * skipped) and tells the other nodes to drop the key from their L1. A value whose encoding is
   * over the entry bound is refused (VALUE_TOO_LARGE) and the key invalidated.
   */
  async set<T>(key: string, value: T): Promise<void> {
    if (this.phase !== 'running') throw this.notRunning();
    checkKey(key);
    if (value === undefined) throw new CacheError('ENCODE_FAILED', 'undefined is what a miss reads as: it cannot be stored (null can)');
    const bytes = this.codec.encode(value).length;
    if (bytes > this.o.maxEntryBytes) {
      await this.invalidate(key);
      throw new CacheError('VALUE_TOO_LARGE', `the value of ${key} is ${bytes} bytes encoded, over ${this.o.maxEntryBytes} (SUPERNOVA_CACHE_MAX_ENTRY_BYTES); the key was invalidated`);
    }
    await this.ask<undefined>(this.shardFor(key), (reply) => ({ type: 'set', key, value, bytes, reply }));
    await this.bus?.publish({ keys: [key] });
  }

  /** Deletes `key` from every tier and from the other nodes' L1. */
  async invalidate(key: string): Promise<void> {
    if (this.phase !== 'running') throw this.notRunning();
    checkKey(key);
    this.counts.invalidatedLocal++;
    await this.ask<undefined>(this.shardFor(key), (reply) => ({ type: 'invalidate', key, reply }));
    await this.bus?.publish({ keys: [key] });
  }

  /**
   * Deletes every key starting with `prefix` from every tier and the other nodes' L1 (a walk of
   * L1 and of Redis' keys: for rare, wide changes). Not ordered against writes of those keys
   * running at the same time.
   */
  async invalidatePrefix(prefix: string): Promise<number> {
    if (this.phase !== 'running') throw this.notRunning();
    checkPrefix(prefix);
    this.counts.invalidatedLocal++;
    const inL1 = await Promise.all(this.shards.map((s) => this.ask<number>(s, (reply) => ({ type: 'evictPrefix', prefix, reply }))));
    await Promise.all([this.l2?.write('all', (t) => t.clear(prefix)), this.l3?.write('all', (t) => t.clear(prefix))]);
    await this.bus?.publish({ prefix });
    return inL1.reduce((a, b) => a + b, 0);
  }

  /** Gives memory back: every shard drops the least recently used `fraction` of its L1. */
  shed(fraction: number): number {
    if (this.phase !== 'running') return 0;
    return this.shards.reduce((n, s) => n + s.state.l1.shed(fraction), 0);
  }

  /** The `cache` health component: down while a configured tier is skipped. */
  health(): { up: boolean; detail: string } {
    const down: string[] = [];
    const describe = (name: string, target: string, guard: TierGuard<unknown>) => {
      const s = guard.stats();
      if (s.up) return;
      const since = s.downSince === undefined ? '' : ` since ${new Date(s.downSince).toISOString()}`;
      down.push(`${name} (${target}) is skipped${since} (${s.skipped} operations skipped): ${s.lastError ?? 'not connected'}`);
    };
    if (this.l2 && this.l2Tier) describe('L2 Redis', this.l2Tier.describe(), this.l2);
    if (this.l3 && this.l3Tier) describe('L3 PostgreSQL', this.l3Tier.describe(), this.l3);
    if (down.length > 0) return { up: false, detail: down.join('; ') };
    return { up: true, detail: ['L1', ...(this.l2 ? ['L2 Redis'] : []), ...(this.l3 ? ['L3 PostgreSQL'] : [])].join(' + ') };
  }

  stats(): CacheStats {
    return cacheStats({
      shards: this.shards, counts: this.counts, warmup: this.warmup,
      l2: this.l2 && this.l2Tier ? { tier: this.l2Tier.stats(), guard: this.l2.stats(), ttlMs: this.o.redis?.ttlMs ?? 0 } : undefined,
      l3: this.l3 && this.l3Tier ? { tier: this.l3Tier.stats(), guard: this.l3.stats(), ttlMs: this.o.database?.ttlMs ?? 0 } : undefined,
      bus: this.bus?.stats(),
      l1: this.o.l1,
    });
  }

  /** What GET /performance/metrics/cache answers. */
  report(): CacheReport {
    return cacheReport(this.stats(), this.latency, { shards: this.o.shards, maxEntryBytes: this.o.maxEntryBytes, maxPending: this.o.maxPending });
  }

  /** L3 purge and bounds, L2 size sample; one pass at a time. */
  maintain(): Promise<void> {
    this.maintaining ??= (async () => {
      await this.l3?.read(async () => (this.l3Tier as PostgresTier).maintain());
      await this.l2?.read(async () => (this.l2Tier as RedisTier).sampleSize());
    })().finally(() => {
      this.maintaining = undefined;
    });
    return this.maintaining;
  }

  /**
   * Stops taking requests, lets lookups and writes under way finish (at most timeoutMs), records
   * the hot keys, then stops the shards and closes the Redis connections. The database is the
   * engine's to close, after this.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const wasRunning = this.phase === 'running';
    this.phase = 'stopping';
    clearInterval(this.maintenanceTimer);
    this.maintenanceTimer = undefined;
    if (wasRunning) {
      await this.within(Promise.all([this.warming, this.maintaining, ...this.shards.map((s) => s.idle(this.o.timeoutMs))]), this.o.timeoutMs);
      if (this.warmup.state !== 'off') await this.within(this.recordHotKeys(), this.o.timeoutMs);
    }
    this.supervisor?.stop();
    for (const shard of this.shards) shard.state?.l1.removePrefix('');
    await Promise.all([this.bus?.stop(), this.l2Tier?.stop()]);
    this.phase = 'stopped';
  }

  private readL1(shard: CacheShard, key: string) {
    if ((++this.reads & L1_SAMPLE_MASK) !== 0) return shard.state.l1.peekEntry(key);
    const t0 = performance.now();
    const entry = shard.state.l1.peekEntry(key);
    this.latency.observe('l1', (performance.now() - t0) / 1000);
    return entry;
  }

  private shardFor(key: string): CacheShard {
    return this.shards[shardOf(key, this.shards.length)] as CacheShard;
  }

  private async ask<T>(shard: CacheShard, make: (reply: (s: Settled<T>) => void) => ShardMsg): Promise<T> {
    let settled: Settled<T>;
    try {
      settled = await ask(shard.ref, make, this.o.timeoutMs);
    } catch (err) {
      if (err instanceof AskTimeoutError) {
        this.counts.timeouts++;
        throw new CacheError('TIMEOUT', `cache shard ${shard.index} did not answer within ${this.o.timeoutMs} ms (SUPERNOVA_CACHE_TIMEOUT_MS)`, { cause: err });
      }
      if (err instanceof MailboxFullError) {
        this.counts.refused++;
        throw new CacheError('OVERLOADED', `cache shard ${shard.index} has a full mailbox (SUPERNOVA_CACHE_MAX_PENDING)`, { cause: err });
      }
      if (err instanceof ActorStoppedError) throw new CacheError('NOT_RUNNING', 'the cache stopped', { cause: err });
      throw err;
    }
    if (!settled.ok) throw settled.error;
    return settled.value;
  }

  private notRunning(): CacheError {
    return new CacheError('NOT_RUNNING', this.phase === 'new' ? 'the cache has not been started' : `the cache is ${this.phase}`);
  }

  private remoteInvalidation(inv: Invalidation): void {
    if (this.phase !== 'running') return;
    this.counts.invalidatedRemote++;
    if ('prefix' in inv) {
      for (const shard of this.shards) shard.deliver({ type: 'evictPrefix', prefix: inv.prefix });
      return;
    }
    const byShard = new Map<CacheShard, string[]>();
    for (const key of inv.keys) {
      const shard = this.shardFor(key);
      const keys = byShard.get(shard);
      if (keys) keys.push(key);
      else byShard.set(shard, [key]);
    }
    for (const [shard, keys] of byShard) shard.deliver({ type: 'evict', keys });
  }

  private clearL1(why: string): void {
    if (this.phase !== 'running') return;
    this.counts.l1Clears++;
    this.o.log?.info({ why }, 'cache L1 cleared');
    for (const shard of this.shards) shard.deliver({ type: 'evictPrefix', prefix: '' });
  }

  /**
   * A tier is back. Keys written while L2 was away were deleted from it; other nodes may hold
   * them in L1 (the invalidations could not be sent), so they are told now.
   */
  private recovered(tier: TierName, repaired: readonly string[] | 'all'): void {
    this.o.log?.info({ tier, repaired: repaired === 'all' ? 'all' : repaired.length }, `cache ${tier} answers again`);
    if (tier !== 'l2') return;
    if (repaired === 'all') void this.bus?.publish({ prefix: '' });
    else if (repaired.length > 0) void this.bus?.publish({ keys: repaired });
  }

  /** Reads the hot-key list (L2, else L3) and the values of those keys (L2, else L3) into L1; loads nothing. */
  private async warm(): Promise<void> {
    this.warmup.state = 'running';
    try {
      const listed = await this.readList(HOT_KEYS_KEY);
      const keys = readHotKeys(listed, this.o.warmKeys);
      this.warmup.listed = keys.length;
      for (let i = 0; i < keys.length && this.phase === 'running'; i += 100) {
        const chunk = keys.slice(i, i + 100);
        const fromL2 = this.l2 ? await this.l2.read((t) => t.getMany(chunk)) : undefined;
        const values: unknown[] = fromL2?.ok ? fromL2.value : chunk.map(() => undefined);
        const missing = chunk.filter((_, j) => values[j] === undefined);
        if (missing.length > 0 && this.l3) {
          const fromL3 = await this.l3.read((t) => t.getMany(missing));
          if (fromL3.ok) missing.forEach((k, j) => { values[chunk.indexOf(k)] = fromL3.value[j]; });
        }
        chunk.forEach((key, j) => {
          const value = values[j];
          if (value === undefined || this.phase !== 'running') return;
          this.warmup.warmed++;
          this.shardFor(key).deliver({ type: 'warm', key, value, bytes: this.codec.encode(value).length });
        });
      }
      // Done means in L1: each shard has handled the warm messages sent to it.
      await Promise.all(this.shards.map((s) => s.idle(this.o.timeoutMs)));
      this.warmup.state = 'done';
    } catch (err) {
      this.warmup.state = 'failed';
      this.warmup.error = messageOf(err);
    }
  }

  private async readList(key: string): Promise<unknown> {
    const l2 = this.l2 ? await this.l2.read((t) => t.get(key)) : undefined;
    if (l2?.ok && l2.value !== undefined) return l2.value;
    const l3 = this.l3 ? await this.l3.read((t) => t.get(key)) : undefined;
    return l3?.ok ? l3.value : undefined;
  }

  /** This node's most read L1 keys, merged with the stored list, written to L2 and L3 for the next start. */
  private async recordHotKeys(): Promise<void> {
    const own = this.shards.flatMap((s) => s.state.l1.hottest(this.o.warmKeys));
    const list = mergeHotKeys(own, readHotKeys(await this.readList(HOT_KEYS_KEY), this.o.warmKeys), this.o.warmKeys);
    const ttl = Math.max(this.o.redis?.ttlMs ?? 0, this.o.database?.ttlMs ?? 0);
    await Promise.all([this.l2?.write(HOT_KEYS_KEY, (t) => t.set(HOT_KEYS_KEY, list, ttl)), this.l3?.write(HOT_KEYS_KEY, (t) => t.set(HOT_KEYS_KEY, list, ttl))]);
    this.warmup.recorded = list.length;
  }

  private async within(p: Promise<unknown>, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([p.catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }
}
