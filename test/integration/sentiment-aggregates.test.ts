import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { MemorySentimentAggregates, RedisSentimentAggregates } from '../../streams/index.js';
import { createRedisConnector } from '../../src/redis/index.js';
import { sentimentAggregatesContract } from '../contract/sentiment-aggregates-contract.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, testPrefix } from '../support/redis-broker.js';
import { redisServerInstalled, startRedisServer } from '../support/redis-server.js';
import { startRedisCluster, type RedisClusterHarness } from '../support/redis-cluster.js';

const reachable = await redisReachable();
const T0 = Date.UTC(2026, 0, 5, 14, 30);
const bull = { bearish: 0.1, bullish: 0.8, neutral: 0.1 };

sentimentAggregatesContract('memory', async (o) => {
  const aggregates = new MemorySentimentAggregates(o);
  await aggregates.start();
  return { aggregates, close: () => aggregates.stop() };
});

// A private Redis Cluster of three masters: the script's keys share one hash slot, evicted symbols' included.
describe.runIf(redisServerInstalled())('shared sentiment aggregates on a Redis Cluster', () => {
  let cluster: RedisClusterHarness | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });
  sentimentAggregatesContract('redis (cluster of three)', async (o) => {
    cluster ??= await startRedisCluster(3);
    const aggregates = new RedisSentimentAggregates({ redis: createRedisConnector({ url: cluster.url, topology: 'cluster' }), prefix: testPrefix('sentiment-agg'), rolling: o });
    await aggregates.start();
    return { aggregates, close: () => aggregates.stop() };
  });
});

describe.runIf(reachable)('shared sentiment aggregates (real Redis)', () => {
  sentimentAggregatesContract('redis', async (o) => {
    const prefix = testPrefix('sentiment-agg');
    const aggregates = new RedisSentimentAggregates({ redis: createRedisConnector({ url: REDIS_URL }), prefix, rolling: o });
    await aggregates.start();
    return { aggregates, close: async () => { await aggregates.stop(); await cleanPrefix(prefix); } };
  });

  it('starts while Redis is down, and adds what it held once Redis comes up', async () => {
    const server = await startRedisServer();
    await server.kill();
    const shared = new RedisSentimentAggregates({ redis: createRedisConnector({ url: server.url }), prefix: testPrefix('sentiment-agg'), rolling: { alpha: 0.5, hoursKept: 4, maxSymbols: 10 }, timeoutMs: 300 });
    try {
      await shared.start();
      expect(await shared.add([{ symbol: 'AAPL', ts: T0, label: 'bullish', scores: bull }])).toEqual([]);
      await server.restart();
      let out: Awaited<ReturnType<typeof shared.add>> = [];
      for (let i = 0; i < 100 && out.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        out = await shared.add(i === 0 ? [{ symbol: 'AAPL', ts: T0 + 1, label: 'bullish', scores: bull }] : []);
      }
      expect(out).toMatchObject([{ symbol: 'AAPL', items: 2 }]);
    } finally {
      await shared.stop();
      await server.stop();
    }
  }, 30_000);

  it('a call Redis ran after the caller gave up on it counts once when retried', async () => {
    // A private server: CLIENT PAUSE holds every client of a server, not only this test's.
    const server = await startRedisServer();
    const prefix = testPrefix('sentiment-agg');
    const rolling = { alpha: 0.5, hoursKept: 4, maxSymbols: 10 };
    // A Redis slower than the timeout: CLIENT PAUSE holds the call, which runs when the pause ends.
    const shared = new RedisSentimentAggregates({ redis: createRedisConnector({ url: server.url }), prefix, rolling, timeoutMs: 200 });
    const admin = new Redis(server.url, { protocol: 2 });
    await shared.start();
    try {
      await admin.client('PAUSE', 600, 'WRITE');
      expect(await shared.add([{ symbol: 'AAPL', ts: T0, label: 'bullish', scores: bull }])).toEqual([]);
      expect(shared.stats()).toMatchObject({ pending: 1, errors: 1 });
      await new Promise((r) => setTimeout(r, 800));
      const [after] = await shared.add([{ symbol: 'AAPL', ts: T0 + 1, label: 'bullish', scores: bull }]);
      expect(after).toMatchObject({ items: 2 });
    } finally {
      await admin.client('UNPAUSE');
      admin.disconnect();
      await shared.stop();
      await server.stop();
    }
  }, 20_000);

  it('two engines on one prefix add to the same figures', async () => {
    const prefix = testPrefix('sentiment-agg');
    const rolling = { alpha: 0.5, hoursKept: 4, maxSymbols: 10 };
    const [a, b] = [0, 1].map(() => new RedisSentimentAggregates({ redis: createRedisConnector({ url: REDIS_URL }), prefix, rolling }));
    try {
      await Promise.all([a?.start(), b?.start()]);
      await a?.add([{ symbol: 'AAPL', ts: T0, label: 'bullish', scores: bull }]);
      const [fromB] = (await b?.add([{ symbol: 'AAPL', ts: T0 + 1, label: 'bullish', scores: bull }])) ?? [];
      expect(fromB).toMatchObject({ symbol: 'AAPL', items: 2, hour: { items: 2 } });
      expect(await a?.summary('AAPL')).toEqual(await b?.summary('AAPL'));
    } finally {
      await Promise.all([a?.stop(), b?.stop()]);
      await cleanPrefix(prefix);
    }
  });

  it('holds what a killed Redis did not take, adds it once Redis is back, and answers reads with a named error meanwhile', async () => {
    const server = await startRedisServer();
    const prefix = testPrefix('sentiment-agg');
    const shared = new RedisSentimentAggregates({ redis: createRedisConnector({ url: server.url }), prefix, rolling: { alpha: 0.5, hoursKept: 4, maxSymbols: 10 }, timeoutMs: 300, maxPending: 3 });
    await shared.start();
    try {
      const items = [0, 1, 2, 3, 4, 5].map((i) => ({ symbol: 'AAPL', ts: T0 + i, label: 'bullish' as const, scores: bull }));
      expect(await shared.add(items.slice(0, 1))).toMatchObject([{ items: 1 }]);
      await server.kill();
      expect(await shared.add(items.slice(1, 3))).toEqual([]);
      expect(await shared.add(items.slice(3, 5))).toEqual([]);
      // Two calls of two items held, at most three items kept: the older call went.
      expect(shared.stats()).toMatchObject({ pending: 2, dropped: 2, errors: 2 });
      await expect(shared.summary('AAPL')).rejects.toMatchObject({ name: 'SentimentAggregatesError', code: 'SENTIMENT_AGGREGATES_UNAVAILABLE', message: expect.stringContaining(`127.0.0.1:${server.port}`) });
      // A restart without persistence: Redis comes back empty, and the held items are added first.
      await server.restart();
      let out: Awaited<ReturnType<typeof shared.add>> = [];
      for (let i = 0; i < 50 && out.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        out = await shared.add(i === 0 ? items.slice(5) : []);
      }
      // The held two and the new one, each once (the first item went with the restart).
      expect(out).toMatchObject([{ symbol: 'AAPL', items: 3, ts: T0 + 5 }]);
      expect(shared.stats()).toMatchObject({ pending: 0, dropped: 2 });
    } finally {
      await shared.stop();
      await server.stop();
    }
  }, 30_000);
});
