import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SentimentAggregateMessage, SentimentMessage } from '../../streams/index.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, testPrefix } from '../support/redis-broker.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { startRedisServer } from '../support/redis-server.js';

const reachable = await redisReachable();
const KEY = 'shared-aggregates-key';

/**
 * Two engines on the Redis broker, each scoring the news sent to it: the aggregates either
 * publishes on sentiment:SYM, and the sentiment route of either, count the items of both.
 */
describe.runIf(reachable)('the rolling sentiment of engines sharing their channels (real Redis)', () => {
  const prefix = testPrefix('shared-agg');
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  const common = { apiKey: KEY, redisUrl: REDIS_URL, redisPrefix: prefix, broker: 'redis', sentiment: true, httpRateApi: '100000/1s', httpRateIngest: '100000/1s', httpRatePublic: '100000/1s' } as const;
  const ingest = async (t: TestEngine | undefined, ids: string[]) => {
    const now = Date.now();
    const body = ids.map((id, i) => ({ id, symbols: ['SHRD'], headline: `SHRD ${i % 2 ? 'beats estimates, shares jump' : 'misses forecasts, stock slides'} (${id})`, ts: now - i }));
    const res = await fetch(`${t?.http}/api/v1/ingest/news`, { method: 'POST', headers: { authorization: `apikey ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(await res.json()).toMatchObject({ accepted: ids.length });
  };
  const route = async (t: TestEngine | undefined) => (await (await fetch(`${t?.http}/api/v1/sentiment/SHRD?timeframe=1h`)).json()) as { items: number; ema: number; hours: { items: number }[] };

  beforeAll(async () => {
    [a, b] = await Promise.all([startEngine(common), startEngine(common)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await cleanPrefix(prefix);
  });

  it('publish aggregates, and answer the route, with the items of both', async () => {
    const c = sdkClient(a?.url as string);
    await connected(c);
    const got: SentimentMessage[] = [];
    (await subscribed(c, 'sentiment:SHRD')).on('publication', (ctx) => got.push(ctx.data as SentimentMessage));
    const aggregates = () => got.filter((m): m is SentimentAggregateMessage => m.type === 'aggregate');
    await ingest(a, ['sh-1', 'sh-2']);
    await until(() => aggregates().some((m) => m.items === 2), 'the aggregate of engine A\'s two items', 15_000);
    await ingest(b, ['sh-3', 'sh-4', 'sh-5']);
    // Engine B's aggregate, through Redis to A's subscriber: it counts A's items too.
    await until(() => aggregates().some((m) => m.items === 5), 'an aggregate of all five items', 15_000);
    expect(got.filter((m) => m.type === 'score')).toHaveLength(5);
    const last = aggregates().at(-1) as SentimentAggregateMessage;
    expect(last).toMatchObject({ items: 5, hour: { items: 5 } });
    const [fromA, fromB] = await Promise.all([route(a), route(b)]);
    expect(fromA).toMatchObject({ items: 5, ema: last.ema });
    expect(fromB).toEqual(fromA);
    c.disconnect();
  }, 40_000);

  it('the sentiment route answers 503 JSON naming the shared aggregates while their Redis is gone', async () => {
    const server = await startRedisServer();
    const own = await startEngine({ ...common, redisUrl: server.url, redisPrefix: testPrefix('shared-agg-down'), symbols: ['SHRD'] });
    try {
      expect((await fetch(`${own.http}/api/v1/sentiment/SHRD`)).status).toBe(200);
      await server.kill();
      const res = await fetch(`${own.http}/api/v1/sentiment/SHRD`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: 'SENTIMENT_AGGREGATES_UNAVAILABLE', message: expect.stringContaining('retry later') } });
      // The engine is up, and says what is down.
      expect((await fetch(`${own.http}/performance/health/live`)).status).toBe(200);
    } finally {
      await own.stop();
      await server.stop();
    }
  }, 40_000);
});
