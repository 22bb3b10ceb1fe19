import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Centrifuge } from 'centrifuge';
import { startEngine, type TestEngine } from '../support/engine.js';
import { api, connected, sdkClient, subscribed, until } from '../support/client.js';
import { RedisServer, redisServerInstalled } from '../support/redis-server.js';

const installed = redisServerInstalled();

/**
 * Redis dies mid-stream and comes back. Its append-only file is fsynced on every write, as a
 * deployment that promises "acknowledged means kept" runs it: what a publisher was told is
 * stored must reach a subscriber that recovers, in order, once.
 */
describe.runIf(installed)('losing Redis', () => {
  let redis: RedisServer;
  let a: TestEngine;
  let b: TestEngine;
  let client: Centrifuge;
  beforeAll(async () => {
    redis = await RedisServer.start({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    a = await startEngine({ apiKey: 'test-key', redisUrl: redis.url, redisPrefix: 'fault' });
    b = await startEngine({ apiKey: 'test-key', redisUrl: redis.url, redisPrefix: 'fault' });
  });
  afterAll(async () => {
    client?.disconnect();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('no publication acknowledged to its publisher is lost for a subscriber, and publishes fail clearly meanwhile', async () => {
    client = sdkClient(a.url, { minReconnectDelay: 100, maxReconnectDelay: 300 });
    await connected(client);
    const sub = await subscribed(client, 'public:fault');
    const ticks = await subscribed(client, 'ticks:AAPL');
    const prices: number[] = [];
    ticks.on('publication', (ctx) => prices.push(...(ctx.data as { price: number[] }).price));
    const received: number[] = [];
    sub.on('publication', (ctx) => received.push((ctx.data as { n: number }).n));

    const acked: number[] = [];
    const refused: { status: number; code: unknown }[] = [];
    let n = 0;
    let running = true;
    const publisher = (async () => {
      while (running) {
        const i = n++;
        const res = await api(b.http, 'publish', { channel: 'public:fault', data: { n: i } });
        if (res.status === 200) acked.push(i);
        else refused.push({ status: res.status, code: (res.json.error as { code?: unknown } | undefined)?.code });
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await until(() => acked.length >= 100, 'publications before Redis dies', 10_000);
    await redis.kill();
    await until(() => refused.length >= 5, 'publishes refused while Redis is down', 10_000);
    const health = (await (await fetch(`${b.http}/performance/health`)).json()) as { status: string; components?: unknown };
    expect(health.status).toBe('degraded');
    // The node's own pipeline keeps its subscribers live while Redis is away.
    const ingest = await fetch(`${a.http}/api/v1/ingest/ticks`, {
      method: 'POST', headers: { authorization: 'apikey test-key', 'content-type': 'application/json' },
      body: JSON.stringify([{ symbol: 'AAPL', price: 123.45, size: 10, ts: Date.now() }]),
    });
    expect(ingest.status).toBe(200);
    await until(() => prices.includes(123.45), 'a tick ingested while Redis is down, delivered on its node');
    await new Promise((r) => setTimeout(r, 500));
    await redis.restart();
    const before = acked.length;
    await until(() => acked.length >= before + 100, 'publications after Redis is back', 15_000);
    running = false;
    await publisher;

    await until(() => acked.every((i) => received.includes(i)), 'every acknowledged publication at the subscriber', 10_000);
    // In publish order, each once (a publication stored just as Redis died may be there unacknowledged).
    expect(received).toEqual([...received].sort((x, y) => x - y));
    expect(new Set(received).size).toBe(received.length);
    expect(refused.every((r) => r.status === 503 && r.code === 100)).toBe(true);
    // Each of the node's Redis connections (broker, cache L2, rate limits, tasks) comes back on its own reconnect.
    const deadline = Date.now() + 10_000;
    let healthAfter: { status: string; components?: unknown };
    for (;;) {
      healthAfter = (await (await fetch(`${b.http}/performance/health`)).json()) as { status: string; components?: unknown };
      if (healthAfter.status === 'ok' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(healthAfter.status, JSON.stringify(healthAfter.components)).toBe('ok');
  });
});
