import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { concatAll, type Subscription } from 'rxjs';
import { RedisFeedError, RedisStreamFeed, type Tick } from '../../streams/index.js';
import type { RedisStreamFeedOptions } from '../../streams/index.js';
import { createRedisConnector, RedisConnectionError } from '../../src/redis/index.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { startEngine } from '../support/engine.js';

const reachable = await redisReachable();
const GROUP = 'engines';

describe.skipIf(!reachable)('Redis Streams feed (real Redis)', () => {
  let redis: Redis;
  let stream: string;
  const started: { feed: RedisStreamFeed; sub: Subscription | undefined }[] = [];

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await redis.quit();
  });
  afterEach(async () => {
    for (const s of started.splice(0)) {
      s.sub?.unsubscribe();
      await s.feed.stop();
    }
    await redis.del(stream);
  });

  /** A started feed on this test's stream, its ticks collected. */
  async function feed(consumer: string, options: Partial<RedisStreamFeedOptions> = {}): Promise<{ feed: RedisStreamFeed; ticks: Tick[] }> {
    const f = new RedisStreamFeed({ redis: createRedisConnector({ url: REDIS_URL }), stream, group: GROUP, consumer, newGroupStartId: '0', blockMs: 200, ...options });
    await f.start();
    const ticks: Tick[] = [];
    const entry: { feed: RedisStreamFeed; sub: Subscription | undefined } = { feed: f, sub: undefined };
    started.push(entry);
    entry.sub = f.batches().pipe(concatAll()).subscribe((t) => ticks.push(t));
    return { feed: f, ticks };
  }

  const base = Date.UTC(2026, 0, 2);
  async function add(n: number, from = 0): Promise<void> {
    const pipe = redis.pipeline();
    for (let i = from; i < from + n; i++) pipe.xadd(stream, '*', 'symbol', 'AAPL', 'price', String(100 + i / 100), 'size', '10', 'ts', String(base + i));
    await pipe.exec();
  }
  const pendingCount = async () => ((await redis.xpending(stream, GROUP)) as [number, ...unknown[]])[0];

  beforeEach(() => {
    stream = `supernova:test:ticks:${randomUUID()}`;
  });

  it('two consumers in one group share the stream without loss or duplicates', async () => {
    const a = await feed('a', { batchSize: 7 });
    const b = await feed('b', { batchSize: 7 });
    for (let k = 0; k < 10; k++) {
      await add(30, k * 30);
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => a.ticks.length + b.ticks.length >= 300, '300 ticks between the two consumers', 10_000);
    await new Promise((r) => setTimeout(r, 100)); // a duplicate would arrive now
    const seen = [...a.ticks, ...b.ticks].map((t) => t.ts - base).sort((x, y) => x - y);
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(a.ticks.length).toBeGreaterThan(0);
    expect(b.ticks.length).toBeGreaterThan(0);
    expect(a.ticks[0]).toEqual({ symbol: 'AAPL', price: expect.any(Number) as unknown, size: 10, ts: expect.any(Number) as unknown });
    expect(a.feed.delivered + b.feed.delivered).toBe(300);
    await expect.poll(pendingCount).toBe(0);
  });

  it('claims the pending entries of a consumer that read them and died', async () => {
    await redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
    await add(20);
    // The "crashed" engine: it read 20 entries and never acknowledged them.
    const read = (await redis.xreadgroup('GROUP', GROUP, 'crashed', 'COUNT', 100, 'STREAMS', stream, '>')) as [string, unknown[]][];
    expect(read[0]?.[1]).toHaveLength(20);
    expect(await pendingCount()).toBe(20);
    await new Promise((r) => setTimeout(r, 300));
    const survivor = await feed('survivor', { claimIdleMs: 250 });
    await until(() => survivor.ticks.length === 20, 'the 20 claimed ticks');
    expect(survivor.ticks.map((t) => t.ts - base)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(survivor.feed.claimed).toBe(20);
    await expect.poll(pendingCount).toBe(0);
  });

  it('acknowledges and counts malformed entries, and keeps reading', async () => {
    const c = await feed('c');
    await redis.xadd(stream, '*', 'symbol', 'MSFT', 'price', '400', 'size', '1', 'ts', String(base));
    await redis.xadd(stream, '*', 'symbol', 'MSFT', 'price', '400', 'size', '1'); // no ts
    await redis.xadd(stream, '*', 'symbol', 'MSFT', 'price', 'abc', 'size', '1', 'ts', String(base));
    await redis.xadd(stream, '*', 'tick', '{"symbol":"MSFT"}');
    await redis.xadd(stream, '*', 'symbol', 'MSFT', 'price', '401', 'size', '2', 'ts', String(base + 1));
    await until(() => c.feed.malformed === 3 && c.ticks.length === 2, 'two ticks and three malformed entries');
    expect(c.ticks.map((t) => t.price)).toEqual([400, 401]);
    // Acked after the batch is handed on: nothing may stay pending, malformed included.
    await expect.poll(pendingCount).toBe(0);
    expect(c.feed.delivered).toBe(2);
  });

  it('resumes after its connections are killed (Redis lost while running)', async () => {
    const d = await feed('resilient', { retryDelayMs: 50 });
    await add(5);
    await until(() => d.ticks.length === 5, 'five ticks before the outage');
    const clients = await redis.client('LIST') as string;
    const ids = clients.split('\n').filter((l) => l.includes('name=supernova-feed-') && l.includes('-resilient')).map((l) => /id=(\d+)/.exec(l)?.[1]);
    expect(ids).toHaveLength(2);
    for (const id of ids) await redis.client('KILL', 'ID', id as string);
    await add(5, 5);
    await until(() => d.ticks.length === 10, 'five ticks after the outage', 10_000);
    expect(d.ticks.map((t) => t.ts - base)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('pauses reading while the pipeline is busy, leaving the entries in the stream', async () => {
    let busy = true;
    const p = await feed('patient', { busy: () => busy, retryDelayMs: 20 });
    await add(5);
    await new Promise((r) => setTimeout(r, 300));
    expect(p.ticks).toHaveLength(0);
    expect(await redis.xlen(stream)).toBe(5);
    busy = false;
    await until(() => p.ticks.length === 5, 'the five ticks once no longer busy');
  });

  it('stop() cuts a blocked read at once and releases both connections', async () => {
    const e = await feed('stopper', { blockMs: 30_000 });
    await new Promise((r) => setTimeout(r, 100)); // now inside XREADGROUP BLOCK
    const t0 = performance.now();
    const entry = started.pop();
    entry?.sub?.unsubscribe();
    await e.feed.stop();
    expect(performance.now() - t0).toBeLessThan(2_000);
    const clients = await redis.client('LIST') as string;
    expect(clients).not.toContain('-stopper');
  });

  it('fails start with a RedisFeedError naming the variable when Redis is unreachable', async () => {
    const f = new RedisStreamFeed({ redis: createRedisConnector({ url: 'redis://:secret@127.0.0.1:1' }), stream, group: GROUP, consumer: 'x' });
    const err = await f.start().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RedisFeedError);
    expect((err as Error).message).toMatch(/redis:\/\/:\*\*\*@127\.0\.0\.1:1 .*SUPERNOVA_REDIS_URL/);
    expect((err as Error).message).not.toContain('secret');
    expect((err as Error).cause).toBeInstanceOf(RedisConnectionError);
    await f.stop();
  });
});

describe.skipIf(!reachable)('engine with SUPERNOVA_FEED=redis', () => {
  it('publishes stream entries to ticks:SYM and the snapshot, next to HTTP ingest', async () => {
    const stream = `supernova:test:ticks:${randomUUID()}`;
    const redis = new Redis(REDIS_URL);
    const t = await startEngine({ feed: 'redis', redisUrl: REDIS_URL, feedStream: stream, feedGroup: 'engine-test', feedBlockMs: 100, apiKey: 'test-key' });
    const c = sdkClient(t.url);
    try {
      await connected(c);
      const got: unknown[] = [];
      (await subscribed(c, 'ticks:RDS')).on('publication', (ctx) => got.push(ctx.data));
      const ts = Date.now();
      await redis.xadd(stream, '*', 'symbol', 'RDS', 'price', '12.5', 'size', '3', 'ts', String(ts));
      await redis.xadd(stream, '*', 'symbol', 'RDS', 'price', '-1', 'size', '3', 'ts', String(ts)); // refused by validation
      await fetch(`${t.http}/api/v1/ingest/ticks`, { method: 'POST', headers: { authorization: 'apikey test-key', 'content-type': 'application/json' }, body: JSON.stringify([{ symbol: 'RDS', price: 13, size: 1, ts: ts + 1 }]) });
      await until(() => got.length === 2, 'the stream tick and the ingested one');
      expect(got).toEqual([{ price: [12.5], size: [3], ts: [ts] }, { price: [13], size: [1], ts: [ts + 1] }]);
      expect(await (await fetch(`${t.http}/api/v1/market/RDS`)).json()).toMatchObject({ last: 13, volume: 4, trades: 2 });
      await expect.poll(async () => ((await redis.xpending(stream, 'engine-test')) as [number])[0]).toBe(0);
    } finally {
      c.disconnect();
      await t.stop();
      await redis.del(stream);
      await redis.quit();
    }
  });

  it('fails start with an error naming SUPERNOVA_REDIS_URL when Redis is unreachable, and stops cleanly', async () => {
    const err = await startEngine({ feed: 'redis', redisUrl: 'redis://127.0.0.1:1' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RedisFeedError);
    expect((err as Error).message).toMatch(/SUPERNOVA_REDIS_URL/);
  });
});
