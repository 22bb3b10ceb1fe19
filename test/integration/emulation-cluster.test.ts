import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, subscribed, until } from '../support/client.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, testPrefix } from '../support/redis-broker.js';
import { emulatedClient, type EmulatedTransport } from '../support/emulation-client.js';

// Two engines on one Redis: the stream lives on node A, every later command goes to node B's
// /emulation (as behind a balancer without stickiness) and reaches A through the control channel.

const reachable = await redisReachable();

describe.runIf(reachable)('emulation across nodes (Redis broker)', () => {
  const prefix = testPrefix('emulation');
  let a: TestEngine;
  let b: TestEngine;
  beforeAll(async () => {
    const o = { apiKey: 'test-key', redisUrl: REDIS_URL, redisPrefix: prefix };
    a = await startEngine(o);
    b = await startEngine(o);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await cleanPrefix(prefix);
  });

  it.each(['http_stream', 'sse'] as EmulatedTransport[])('over %s: subscribe, publish, presence and rpc errors through the other node', async (transport) => {
    const c = emulatedClient(a.http, transport, { emulationEndpoint: `${b.http}/emulation` });
    await connected(c);
    expect(a.engine.streamSessions).toBe(1);
    expect(b.engine.streamSessions).toBe(0);
    const channel = `public:cluster-${transport}`;
    const sub = await subscribed(c, channel);
    const got: unknown[] = [];
    sub.on('publication', (ctx) => got.push(ctx.data));
    await sub.publish({ from: transport });
    await b.engine.publish(channel, { from: 'node b' });
    await until(() => got.length === 2, 'both publications');
    expect(got).toEqual([{ from: transport }, { from: 'node b' }]);
    expect(Object.keys((await sub.presence()).clients)).toHaveLength(1);
    await expect(c.publish('metrics', { x: 1 })).rejects.toMatchObject({ code: 103 });
    c.disconnect();
    await until(() => a.engine.streamSessions === 0, 'session released on node A');
  });

  it('a request for a session no node holds is still answered (204 after the broker took it), and unknown ones on a lone node 404', async () => {
    const res = await fetch(`${b.http}/emulation`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ session: 'nobody', node: 'x', data: '{}' }) });
    expect(res.status).toBe(204);
    const lone = await startEngine({});
    try {
      const r = await fetch(`${lone.http}/emulation`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ session: 'nobody', node: 'x', data: '{}' }) });
      expect(r.status).toBe(404);
    } finally {
      await lone.stop();
    }
  });
});
