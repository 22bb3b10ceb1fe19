import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Centrifuge } from 'centrifuge';
import { startEngine, type TestEngine } from '../support/engine.js';
import { api, connected, sdkClient, until } from '../support/client.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, testPrefix } from '../support/redis-broker.js';
import { PubSubDelayProxy } from '../support/pubsub-delay-proxy.js';

const reachable = await redisReachable();
const DELAY_MS = 150;

/**
 * A node whose PUB/SUB messages come 150 ms after its command replies (a proxy slows its
 * subscriber connection) takes subscribes while another node publishes every few milliseconds.
 * The publications made between its Redis SUBSCRIBE and its history read are in the subscribe
 * reply and, 150 ms later, arrive as messages: the subscriber must get each exactly once.
 */
describe.runIf(reachable)('subscribing while messages are on their way', () => {
  const prefix = testPrefix('subsync');
  const redis = new URL(REDIS_URL);
  const proxy = new PubSubDelayProxy({ host: redis.hostname, port: Number(redis.port || 6379) }, DELAY_MS);
  let publisher: TestEngine;
  let slow: TestEngine;
  const clients: Centrifuge[] = [];
  beforeAll(async () => {
    const proxied = await proxy.start();
    publisher = await startEngine({ apiKey: 'test-key', redisUrl: REDIS_URL, redisPrefix: prefix });
    slow = await startEngine({ apiKey: 'test-key', redisUrl: proxied, redisPrefix: prefix });
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await slow?.stop();
    await publisher?.stop();
    await proxy.stop();
    await cleanPrefix(prefix);
  });

  /** Publishes to `channel` on the other node until stopped; resolves with the offsets it was given. */
  function publishing(channel: string): { stop: () => Promise<number[]> } {
    let running = true;
    const offsets: number[] = [];
    const loop = (async () => {
      for (let n = 0; running; n++) {
        const res = await api(publisher.http, 'publish', { channel, data: { n } });
        expect(res.status).toBe(200);
        offsets.push((res.json.result as { offset: number }).offset);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    return { stop: async () => { running = false; await loop; return offsets; } };
  }

  for (const recover of [true, false]) {
    it(`${recover ? 'a recovering' : 'a fresh'} subscriber gets every publication once, in order`, async () => {
      const channel = `public:sync-${recover ? 'recover' : 'fresh'}`;
      const first = await api(publisher.http, 'publish', { channel, data: { n: -1 } });
      const since = first.json.result as { offset: number; epoch: string };
      const pub = publishing(channel);
      await new Promise((r) => setTimeout(r, 50));
      const c = sdkClient(slow.url);
      clients.push(c);
      await connected(c);
      const got: number[] = [];
      const live: number[] = [];
      let position = 0;
      // The SDK hands the reply's publications over right after 'subscribed', in the same call.
      let inReply = false;
      const sub = c.newSubscription(channel, recover ? { since } : {});
      sub.on('publication', (ctx) => {
        got.push(ctx.offset as number);
        if (!inReply) live.push(ctx.offset as number);
      });
      sub.on('subscribed', (ctx) => {
        position = ctx.streamPosition?.offset ?? 0;
        inReply = true;
        queueMicrotask(() => { inReply = false; });
      });
      sub.subscribe();
      await until(() => position > 0, 'subscribed');
      // Long enough for every message in flight at the subscribe to have arrived.
      await new Promise((r) => setTimeout(r, DELAY_MS * 3));
      const published = await pub.stop();
      const last = published.at(-1) as number;
      await until(() => got.at(-1) === last, `the last publication (${last})`, 5000);
      // A fresh subscriber starts at its position, or before it with what its reply carried
      // (publications that reached the node between the history read and the subscribe).
      const from = recover ? since.offset + 1 : (got[0] as number);
      if (!recover) expect(from).toBeGreaterThan(since.offset);
      if (!recover) expect(from).toBeLessThanOrEqual(position + 1);
      // What came after the reply is newer than the position the reply gave.
      expect(live[0]).toBe(position + 1);
      expect(got.length, `offsets received: ${got.join(',')}`).toBe(last - from + 1);
      expect(got).toEqual(Array.from({ length: last - from + 1 }, (_, i) => from + i));
      c.disconnect();
    });
  }
});
