import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, testPrefix } from '../support/redis-broker.js';

// Two nodes on Redis: each node diffs what it delivers, so delta subscribers on the node that did
// not publish get the same data as those on the node that did.
const reachable = await redisReachable();

describe.runIf(reachable)('fossil delta across nodes on Redis', () => {
  const prefix = testPrefix('delta');
  const nodes: TestEngine[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) nodes.push(await startEngine({ apiKey: 'test-key', redisUrl: REDIS_URL, redisPrefix: prefix }));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await cleanPrefix(prefix);
  });

  it('JSON and protobuf delta subscribers on both nodes reconstruct every snapshot published on one', async () => {
    const [a, b] = nodes as [TestEngine, TestEngine];
    const channel = 'market:XNODE';
    const js = sdkClient(b.url);
    const pb = new ProtobufCentrifuge(b.url, { websocket: WebSocket, minReconnectDelay: 50, maxReconnectDelay: 200, timeout: 5000 });
    const local = sdkClient(a.url);
    await Promise.all([connected(js), connected(pb as never), connected(local)]);
    const got = { js: [] as unknown[], pb: [] as unknown[], local: [] as unknown[] };
    const jsSub = await subscribed(js, channel, { delta: 'fossil' });
    jsSub.on('publication', (ctx) => got.js.push(ctx.data));
    const localSub = await subscribed(local, channel, { delta: 'fossil' });
    localSub.on('publication', (ctx) => got.local.push(ctx.data));
    const pbSub = pb.newSubscription(channel, { delta: 'fossil' });
    pbSub.on('publication', (ctx) => got.pb.push(JSON.parse(new TextDecoder().decode(ctx.data as Uint8Array))));
    pbSub.subscribe();
    await pbSub.ready(5000);
    const sent: unknown[] = [];
    for (let i = 0; i < 25; i++) {
      const s = { symbol: 'XNODE', last: 100 + i / 10, open: 100, high: 103, low: 97, volume: 1000 + i * 7, vwap: 100.5, trades: i, ts: 1_764_000_000_000 + i * 100 };
      sent.push(s);
      await a.engine.publish(channel, s);
    }
    await until(() => got.js.length === 25 && got.pb.length === 25 && got.local.length === 25, 'twenty-five each');
    expect(got.js).toEqual(sent);
    expect(got.pb).toEqual(sent);
    expect(got.local).toEqual(sent);
    expect(jsSub.deltaStats().numDeltaPayloads).toBe(24);
    expect(pbSub.deltaStats().numDeltaPayloads).toBe(24);
    js.disconnect();
    pb.disconnect();
    local.disconnect();
  });
});
