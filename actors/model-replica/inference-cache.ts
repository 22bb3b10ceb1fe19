import { createHash } from 'node:crypto';
import { MemoryTier, MsgpackValueCodec, RedisTier, TierGuard, type GuardStats, type TierStats } from '../../src/cache/index.js';
import type { RedisConnector } from '../../src/redis/index.js';

/** A cached result: the three class probabilities (labels.ts order). */
export type CachedProbabilities = readonly [number, number, number];

export interface InferenceCacheOptions {
  maxItems: number;
  maxBytes: number;
  ttlMs: number;
  /** L2, when Redis is configured: keys PREFIX:ml:cache:VERSION:HASH, each with the same TTL. */
  redis?: { connector: RedisConnector; prefix: string; timeoutMs: number } | undefined;
  log?: { warn(obj: object, msg: string): void } | undefined;
}

export interface InferenceCacheStats {
  l1: TierStats;
  l2?: TierStats & { guard: GuardStats };
}

/** msgpack of three float64s and the array header. */
const ENTRY_BYTES = 28;

/**
 * Results by model version and SHA-1 of the text (the text as the tokenizer reads it): L1 in
 * this process, L2 in Redis shared by the nodes. The version in the key means a new model never
 * answers with an old one's results, and nothing needs clearing at a swap: the old entries age
 * out. A Redis that fails or is away is skipped (TierGuard, counted), never failing a request.
 */
export class InferenceCache {
  private readonly l1: MemoryTier<CachedProbabilities>;
  private readonly l2Tier: RedisTier<CachedProbabilities> | undefined;
  private readonly l2: TierGuard<CachedProbabilities> | undefined;

  constructor(o: InferenceCacheOptions) {
    this.l1 = new MemoryTier<CachedProbabilities>({ maxItems: o.maxItems, maxBytes: o.maxBytes, ttlMs: o.ttlMs, sizeOf: () => ENTRY_BYTES });
    if (o.redis) {
      const tier = (this.l2Tier = new RedisTier<CachedProbabilities>({
        connector: o.redis.connector, prefix: `${o.redis.prefix}:ml`, ttlMs: o.ttlMs, maxEntryBytes: 1024, timeoutMs: o.redis.timeoutMs,
        codec: new MsgpackValueCodec(), onReady: () => this.l2?.poke(),
      }));
      this.l2 = new TierGuard({ tier, available: () => tier.available, onDown: (_t, err) => o.log?.warn({ err: err.message }, 'ml inference cache L2 is skipped until Redis answers again') });
    }
  }

  static key(version: string, text: string): string {
    return `${version}:${createHash('sha1').update(text).digest('base64url')}`;
  }

  get hasL2(): boolean {
    return this.l2 !== undefined;
  }

  async start(): Promise<void> {
    await this.l2Tier?.start();
  }

  async stop(): Promise<void> {
    this.l1.removePrefix('');
    await this.l2Tier?.stop();
  }

  peek(key: string): CachedProbabilities | undefined {
    return this.l1.peek(key);
  }

  /** L2 reads in one pipeline; a miss, a skipped or a failed read is undefined. Hits are copied into L1. */
  async fromL2(keys: readonly string[]): Promise<(CachedProbabilities | undefined)[]> {
    if (!this.l2 || keys.length === 0) return keys.map(() => undefined);
    const r = await this.l2.read((t) => t.getMany(keys));
    if (!r.ok) return keys.map(() => undefined);
    return r.value.map((v, i) => {
      if (!isProbabilities(v)) return undefined;
      this.l1.put(keys[i] as string, v, ENTRY_BYTES);
      return v;
    });
  }

  put(key: string, probs: CachedProbabilities): void {
    this.l1.put(key, probs, ENTRY_BYTES);
    if (this.l2) void this.l2.write(key, (t) => t.set(key, probs)).catch(() => undefined);
  }

  /** Waits for L2 writes and repairs under way (tests). */
  async settled(): Promise<void> {
    await this.l2?.settled();
  }

  stats(): InferenceCacheStats {
    const s: InferenceCacheStats = { l1: { ...this.l1.stats(), items: this.l1.size, bytes: this.l1.bytes } };
    if (this.l2 && this.l2Tier) s.l2 = { ...this.l2Tier.stats(), guard: this.l2.stats() };
    return s;
  }
}

/** What another version of the engine (or a stranger) left under the key is not trusted. */
function isProbabilities(v: unknown): v is CachedProbabilities {
  return Array.isArray(v) && v.length === 3 && v.every((p) => typeof p === 'number' && p >= 0 && p <= 1);
}
