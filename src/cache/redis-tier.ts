import { Cluster, type Redis } from 'ioredis';
import type { RedisClient, RedisConnector } from '../redis/index.js';
import { CacheError, messageOf } from './errors.js';
import { emptyStats, type CacheTier, type TierStats } from './tier.js';
import { decodeStored, type ValueCodec } from './value-codec.js';

export interface RedisTierOptions {
  connector: RedisConnector;
  /** SUPERNOVA_REDIS_PREFIX: entries are PREFIX:cache:KEY. */
  prefix: string;
  ttlMs: number;
  /** An encoded value over this is not stored (tooLarge). */
  maxEntryBytes: number;
  /** A command unanswered this long fails (ioredis commandTimeout). */
  timeoutMs: number;
  codec: ValueCodec;
  /** Each time the connection is (again) ready. */
  onReady?: () => void;
  /** Connection errors, which ioredis recovers from by reconnecting; for logs. */
  onConnectionError?: (err: Error) => void;
}

/** Keys examined at most by one size sample (SCAN pages of 1,000): the figure is a lower bound past it. */
const SAMPLE_MAX_SCANNED = 200_000;

/** `*`, `?`, `[`, `]` and `\` are SCAN MATCH's: escaped, a caller's prefix matches only itself. */
const escapeGlob = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&');

/**
 * L2: Redis, shared by every node. Values are msgpack strings with a PX expiry, under
 * PREFIX:cache:. The connection has no offline queue and does not resend on reconnect, so while
 * Redis is away an operation fails at once instead of waiting for it (the cache skips L2 then);
 * ioredis reconnects by itself. Its size is sampled by SCAN (`sampleSize`), its bytes are not
 * known (Redis keeps no per-prefix figure): Redis' maxmemory with a volatile-* policy bounds it,
 * every entry having a TTL.
 */
export class RedisTier<V = unknown> implements CacheTier<V> {
  readonly name = 'l2' as const;
  private readonly base: string;
  private client: RedisClient | undefined;
  private readonly stats_ = emptyStats();
  private sampled: number | null = null;

  constructor(private readonly o: RedisTierOptions) {
    this.base = `${o.prefix}:cache:`;
    this.stats_.items = null;
    this.stats_.bytes = null;
  }

  /** Opens the connection; a Redis that is down does not fail this (the tier is then unavailable until it answers). */
  async start(): Promise<void> {
    if (this.client) return;
    const client = this.o.connector.command('cache', {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      commandTimeout: this.o.timeoutMs,
      connectTimeout: Math.max(1_000, this.o.timeoutMs),
      enableAutoPipelining: true,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 2_000),
      protocol: 2,
    });
    this.client = client;
    client.on('error', (err: Error) => this.o.onConnectionError?.(err));
    client.on('ready', () => this.o.onReady?.());
    await this.o.connector.connect(client).catch(() => {});
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // quit() would wait in the offline queue for as long as Redis is away: then just drop the connection.
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client.disconnect();
  }

  /** Whether commands can be sent now. */
  get available(): boolean {
    return this.client?.status === 'ready';
  }

  /** The Redis command connection, for the invalidation bus's publishes. */
  get connection(): RedisClient | undefined {
    return this.client;
  }

  describe(): string {
    return this.o.connector.describe();
  }

  async get(key: string): Promise<V | undefined> {
    const raw = await this.run('get', (c) => c.getBuffer(this.base + key));
    return this.decoded(key, raw);
  }

  async getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    // One GET per key, pipelined: MGET would fail across hash slots on a cluster.
    const raws = await this.run('get', (c) => Promise.all(keys.map((k) => c.getBuffer(this.base + k))));
    return Promise.all(keys.map((k, i) => this.decoded(k, raws[i] ?? null)));
  }

  async set(key: string, value: V, ttlMs = this.o.ttlMs): Promise<void> {
    const bytes = this.o.codec.encode(value);
    if (bytes.length > this.o.maxEntryBytes) {
      this.stats_.tooLarge++;
      throw new CacheError('VALUE_TOO_LARGE', `the value is ${bytes.length} bytes encoded, over ${this.o.maxEntryBytes} (SUPERNOVA_CACHE_MAX_ENTRY_BYTES)`, { tier: 'l2' });
    }
    await this.run('set', (c) => c.set(this.base + key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'PX', Math.max(1, Math.round(ttlMs))));
    this.stats_.sets++;
  }

  async delete(key: string): Promise<boolean> {
    const n = await this.run('delete', (c) => c.unlink(this.base + key));
    this.stats_.deletes += n;
    return n > 0;
  }

  async clear(prefix: string): Promise<number> {
    const pattern = `${escapeGlob(this.base + prefix)}*`;
    let removed = 0;
    await this.run('clear', async (c) => {
      for (const node of nodesOf(c)) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          // One key per UNLINK: on a cluster the keys of one page lie in many slots.
          const counts = await Promise.all(keys.map((k) => c.unlink(k)));
          removed += counts.reduce((a, b) => a + b, 0);
        } while (cursor !== '0');
      }
    });
    this.stats_.deletes += removed;
    return removed;
  }

  /** Counts the entries by SCAN (at most SAMPLE_MAX_SCANNED keys examined); kept as `items`. */
  async sampleSize(): Promise<number> {
    const pattern = `${escapeGlob(this.base)}*`;
    let n = 0;
    await this.run('sample', async (c) => {
      for (const node of nodesOf(c)) {
        let cursor = '0';
        let scanned = 0;
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          n += keys.length;
          scanned += 1000;
        } while (cursor !== '0' && scanned < SAMPLE_MAX_SCANNED);
      }
    });
    this.sampled = n;
    return n;
  }

  stats(): TierStats {
    return { ...this.stats_, items: this.sampled };
  }

  private decoded(key: string, raw: Buffer | null): Promise<V | undefined> {
    return decodeStored<V>(this.o.codec, this.stats_, raw ?? undefined, async () => this.client?.unlink(this.base + key));
  }

  private async run<T>(what: string, op: (c: RedisClient) => Promise<T>): Promise<T> {
    const c = this.client;
    if (!c || c.status !== 'ready') {
      throw new CacheError('TIER_UNAVAILABLE', `L2 ${what}: Redis ${this.o.connector.describe()} is not connected (${c?.status ?? 'not started'})`, { tier: 'l2' });
    }
    try {
      return await op(c);
    } catch (err) {
      if (err instanceof CacheError) throw err;
      throw new CacheError('TIER_FAILED', `L2 ${what} on Redis ${this.o.connector.describe()} failed: ${messageOf(err)}`, { cause: err, tier: 'l2' });
    }
  }
}

/** The servers a SCAN must visit: each master of a cluster, or the one server. */
function nodesOf(c: RedisClient): Redis[] {
  return c instanceof Cluster ? c.nodes('master') : [c];
}
