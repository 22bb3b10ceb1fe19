import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRedisConnector } from '../../src/redis/index.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, testPrefix } from '../support/redis-broker.js';
import { testReplicas } from '../../actors/model-replica/test-support.js';

const fleet = testReplicas('ml-l2', { batchMax: 64, cache: { maxItems: 20_000, maxBytes: 16 << 20, ttlMs: 60_000 } });
const replicas = fleet.start;


afterEach(() => fleet.stopAll());

const reachable = await redisReachable();

describe.runIf(reachable)('ModelReplicas inference cache L2 (Redis)', () => {
  const prefix = testPrefix('ml');
  const redis = new Redis(REDIS_URL, { protocol: 2, lazyConnect: true });
  afterAll(async () => {
    await cleanPrefix(prefix);
    redis.disconnect();
  });

  it('a node scores what another node scored from L2, without a batch', async () => {
    const l2 = { connector: createRedisConnector({ url: REDIS_URL }), prefix, timeoutMs: 1_000 };
    const a = await replicas({ redis: l2, replicas: 1 });
    const texts = ['Shares of $AAPL rise on buyback', 'Oil slides as inventories build', 'Boeing wins large order'];
    const first = await a.score(texts);
    await a.testing.cacheSettled();
    await new Promise((r) => setTimeout(r, 50));
    const keys = await redis.keys(`${prefix}:ml:cache:*`);
    expect(keys).toHaveLength(3);
    expect(keys.every((k) => k.startsWith(`${prefix}:ml:cache:${a.report().version}:`))).toBe(true);
    expect(await redis.pttl(keys[0] as string)).toBeGreaterThan(50_000);
    const b = await replicas({ redis: { ...l2, connector: createRedisConnector({ url: REDIS_URL }) }, replicas: 1 });
    expect(await b.score(texts)).toEqual(first);
    const rb = b.report();
    expect(rb.batches).toBe(0);
    expect(rb.cache.l2).toMatchObject({ hits: 3, misses: 0, up: true });
    expect(rb.cache.hitRate).toBe(1);
    // A value that is not three probabilities (another program's, a corrupt one) is not trusted.
    await redis.set(keys[0] as string, 'garbage');
    const c = await replicas({ redis: { ...l2, connector: createRedisConnector({ url: REDIS_URL }) }, replicas: 1 });
    expect(await c.score(texts)).toEqual(first);
    expect(c.report().batches).toBe(1);
  });

  it('a Redis that is not there is skipped and counted; requests are answered', async () => {
    const m = await replicas({ redis: { connector: createRedisConnector({ url: 'redis://127.0.0.1:1' }), prefix, timeoutMs: 200 }, replicas: 1 });
    const texts = ['No Redis here', 'Still scored'];
    const r1 = await m.score(texts);
    expect(r1).toHaveLength(2);
    await m.score(['and again']);
    const r = m.report();
    expect(r.cache.l2?.up).toBe(false);
    expect(r.cache.l2?.skipped).toBeGreaterThan(0);
    expect(await m.score(texts)).toEqual(r1);
  });
});
