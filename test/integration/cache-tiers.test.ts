import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Packr } from 'msgpackr';
import { ActorRuntime } from '../../actors/runtime/index.js';
import { Cache, type CacheOptions } from '../../actors/cache-shard/index.js';
import { MsgpackValueCodec, PostgresTier } from '../../src/cache/index.js';
import { createRedisConnector } from '../../src/redis/index.js';
import { Database } from '../../src/storage/index.js';
import { postgresReachable, testDatabase } from '../support/postgres.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, testPrefix } from '../support/redis-broker.js';

const reachable = (await redisReachable()) && (await postgresReachable());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const packr = new Packr({ useRecords: false });

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Nodes of one deployment: caches sharing a Redis prefix and a database, each with its own runtime. */
describe.runIf(reachable)('Cache on Redis and PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let database: Database;
  let redis: Redis;
  const prefix = testPrefix('cache');
  const nodes: { cache: Cache; rt: ActorRuntime }[] = [];

  beforeAll(async () => {
    db = await testDatabase('cache_tiers');
    database = new Database({ url: db.url, poolSize: 4 });
    await database.start();
    redis = new Redis(REDIS_URL, { protocol: 2 });
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) {
      await n.cache.stop();
      await n.rt.stop();
    }
    await cleanPrefix(prefix);
    await database.sql`delete from cache_entries`;
  });
  afterAll(async () => {
    redis?.disconnect();
    await database?.stop();
    await db?.drop();
  });

  async function node(o: Partial<CacheOptions> = {}): Promise<Cache> {
    const rt = new ActorRuntime({ name: 'cache-node' });
    rt.start();
    const cache = new Cache({
      runtime: rt, shards: 2, l1: { maxItems: 1_000, maxBytes: 1 << 20, ttlMs: 60_000 }, maxEntryBytes: 64 * 1024, maxPending: 1_000,
      timeoutMs: 3_000, tierTimeoutMs: 1_000, maintenanceMs: 0, warmKeys: 0,
      redis: { connector: createRedisConnector({ url: REDIS_URL }), prefix, ttlMs: 60_000 },
      database: { database, ttlMs: 120_000, maxRows: 10_000, maxBytes: 1 << 24 },
      ...o,
    });
    await cache.start();
    nodes.push({ cache, rt });
    return cache;
  }
  const inRedis = async (key: string) => {
    const raw = await redis.getBuffer(`${prefix}:cache:${key}`);
    return raw === null ? undefined : packr.unpack(raw);
  };
  const inPostgres = async (key: string) => {
    const [row] = await database.sql<{ value: Buffer; ttl: number }[]>`select value, extract(epoch from expires_at - now()) as ttl from cache_entries where key = ${key}`;
    return row === undefined ? undefined : { value: packr.unpack(row.value), ttl: Number(row.ttl) };
  };

  it('reads through: a load fills L2 and L3 (their TTLs), another node then reads L2, and one that finds only L3 fills L2 back', async () => {
    const a = await node();
    let loads = 0;
    expect(await a.get('bars:AAPL', () => { loads++; return { close: [1, 2, 3] }; })).toEqual({ close: [1, 2, 3] });
    await until(async () => (await inRedis('bars:AAPL')) !== undefined && (await inPostgres('bars:AAPL')) !== undefined, 'the fills');
    expect(await inRedis('bars:AAPL')).toEqual({ close: [1, 2, 3] });
    expect(await redis.pttl(`${prefix}:cache:bars:AAPL`)).toBeGreaterThan(55_000);
    expect((await inPostgres('bars:AAPL'))?.ttl).toBeGreaterThan(110);

    const b = await node();
    expect(await b.get('bars:AAPL', () => { loads++; return 'wrong'; })).toEqual({ close: [1, 2, 3] });
    expect(b.stats().requests.fromL2).toBe(1);

    await redis.del(`${prefix}:cache:bars:AAPL`);
    const c = await node();
    expect(await c.get('bars:AAPL', () => { loads++; return 'wrong'; })).toEqual({ close: [1, 2, 3] });
    expect(c.stats().requests.fromL3).toBe(1);
    await until(async () => (await inRedis('bars:AAPL')) !== undefined, 'L2 filled from L3');
    expect(loads).toBe(1);
  });

  it('writes through and invalidates across nodes: the other node\'s L1 stops serving the old value', async () => {
    const a = await node();
    const b = await node();
    await a.set('k', 'v1');
    // The invalidation of a's set would also drop what b reads before it comes (safe, but not what this checks).
    await until(() => b.stats().invalidations.remote === 1, 'b hearing of the first set');
    expect(await b.get('k', () => 'loaded')).toBe('v1');
    expect(b.peek('k')).toBe('v1');
    await a.set('k', 'v2');
    await until(() => b.peek('k') === undefined, 'b dropping k from L1 on a\'s set');
    expect(await b.get('k', () => 'loaded')).toBe('v2');
    await a.invalidate('k');
    await until(() => b.peek('k') === undefined, 'b dropping k on a\'s invalidate');
    expect(await inRedis('k')).toBeUndefined();
    expect(await inPostgres('k')).toBeUndefined();
    expect(await b.get('k', () => 'reloaded')).toBe('reloaded');
    expect(a.stats().invalidations.bus).toMatchObject({ sent: 3 });
    expect(b.stats().invalidations.remote).toBe(3);
    // A node ignores its own messages.
    expect(a.stats().invalidations.remote).toBe(0);
    await a.set('bars:1', 1);
    await a.set('bars:2', 2);
    expect(await b.get('bars:1', () => 0)).toBe(1);
    await a.invalidatePrefix('bars:');
    await until(() => b.peek('bars:1') === undefined, 'b dropping bars:* on a\'s prefix invalidation');
    expect(await inRedis('bars:2')).toBeUndefined();
    expect(await inPostgres('bars:2')).toBeUndefined();
  });

  it('ignores invalidation messages it cannot read, counting them', async () => {
    const a = await node();
    await a.set('k', 'v');
    const channel = `${prefix}:cache-invalidate`;
    for (const junk of [Buffer.from('not msgpack \xc1'), packr.pack({ v: 2, n: 'x', k: ['k'] }), packr.pack({ v: 1, n: 'x', k: ['k', 42] }), packr.pack({ v: 1, n: 'x', k: Array(2_000).fill('k') }), packr.pack('k')]) {
      await redis.publish(channel, junk);
    }
    await until(() => (a.stats().invalidations.bus?.malformed ?? 0) === 5, 'five malformed messages');
    expect(a.peek('k')).toBe('v');
    await redis.publish(channel, packr.pack({ v: 1, n: 'someone-else', k: ['k'] }));
    await until(() => a.peek('k') === undefined, 'a well-formed message acted on');
  });

  it('warms up: the most read keys at stop are in L1 at the next start, read from L2 or L3, without loading', async () => {
    const a = await node({ warmKeys: 3 });
    for (const key of ['hot1', 'hot2', 'hot3', 'cold']) await a.set(key, `${key}-value`);
    for (let i = 0; i < 5; i++) for (const key of ['hot1', 'hot2', 'hot3']) a.peek(key);
    const n = nodes.splice(0, 1)[0]!;
    await n.cache.stop();
    await n.rt.stop();
    expect(n.cache.stats().warmup.recorded).toBe(3);
    expect((await inRedis('~hot-keys')) as string[]).toEqual(expect.arrayContaining(['hot1', 'hot2', 'hot3']));
    await redis.del(`${prefix}:cache:hot2`); // only in L3 now
    const b = await node({ warmKeys: 3 });
    await until(() => b.stats().warmup.state === 'done', 'the warm-up');
    expect(b.stats().warmup).toMatchObject({ listed: 3, warmed: 3 });
    expect(['hot1', 'hot2', 'hot3', 'cold'].map((k) => b.peek(k))).toEqual(['hot1-value', 'hot2-value', 'hot3-value', undefined]);
  });

  it('reads a corrupt L2 value as a miss, deletes it and counts it', async () => {
    const a = await node();
    await redis.set(`${prefix}:cache:bad`, Buffer.from([0xc1, 0xc1, 0xc1]));
    expect(await a.get('bad', () => 'loaded')).toBe('loaded');
    expect(a.stats().tiers.l2?.corrupt).toBe(1);
    await until(async () => (await inRedis('bad')) === 'loaded', 'the good value written over it');
  });

  it('L3 never returns an expired row, purges them, and evicts the soonest to expire past its bounds', async () => {
    const codec = new MsgpackValueCodec();
    const tier = new PostgresTier({ database, ttlMs: 60_000, maxEntryBytes: 1 << 20, maxRows: 5, maxBytes: 1 << 20, timeoutMs: 2_000, codec });
    await tier.set('gone', 1, 1);
    for (let i = 0; i < 8; i++) await tier.set(`k${i}`, i, 10_000 + i * 1_000);
    await sleep(20);
    expect(await tier.get('gone')).toBeUndefined();
    const report = await tier.maintain();
    expect(report).toMatchObject({ purged: 1, evicted: 3, rows: 5 });
    expect(await tier.getMany(['k0', 'k1', 'k2', 'k3', 'k7'])).toEqual([undefined, undefined, undefined, 3, 7]);
    expect(tier.stats()).toMatchObject({ expired: 1, evictions: 3, items: 5 });
    const bytes = new PostgresTier({ database, ttlMs: 60_000, maxEntryBytes: 1 << 20, maxRows: 1_000, maxBytes: 2_000, timeoutMs: 2_000, codec });
    for (let i = 0; i < 10; i++) await bytes.set(`b${i}`, 'x'.repeat(500), 10_000 + i * 1_000);
    const r = await bytes.maintain();
    expect(r.bytes).toBeLessThanOrEqual(2_000);
    expect(await bytes.get('b9')).toBe('x'.repeat(500));
    expect(await bytes.get('b0')).toBeUndefined();
  });
});
