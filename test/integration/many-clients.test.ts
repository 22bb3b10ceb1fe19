import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Centrifuge } from 'centrifuge';
import { startEngine, type TestEngine } from '../support/engine.js';
import { sdkClient, until } from '../support/client.js';

let t: TestEngine;
beforeAll(async () => { t = await startEngine({ apiKey: 'test-key' }); });
afterAll(async () => { await t.stop(); });

describe('2,000 centrifuge-js clients connecting at once', () => {
  it('all connect, subscribe and receive one publication each', { timeout: 60_000 }, async () => {
    const N = 2000;
    const clients: Centrifuge[] = [];
    let received = 0;
    let subscribedCount = 0;
    for (let i = 0; i < N; i++) {
      const c = sdkClient(t.url, { timeout: 30_000 });
      const sub = c.newSubscription('public:crowd');
      sub.on('subscribed', () => subscribedCount++);
      sub.on('publication', () => received++);
      sub.subscribe();
      c.connect();
      clients.push(c);
    }
    await until(() => subscribedCount === N, `${N} subscriptions`, 45_000);
    expect(t.engine.connections).toBe(N);
    await t.engine.publish('public:crowd', { hello: 'all' });
    await until(() => received === N, `${N} deliveries`, 10_000);
    for (const c of clients) c.disconnect();
    await until(() => t.engine.connections === 0, 'all closed', 10_000);
  });
});
