import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Centrifuge } from 'centrifuge';
import { freeLoopbackPort } from '../../bench/orchestrator/free-port.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { sdkClient, until } from '../support/client.js';

// The scale benchmark (bench/scale.ts) runs several engine processes on one port, because one
// process may not hold 50,000 sockets under a 20,000 open-file limit. That rests on uWebSockets.js
// listening with SO_REUSEPORT on Linux (where CI and the benchmarks run): this checks it with two engines in one process. The port
// is fixed before either listens: a socket the kernel gave port 0 takes no partner on its port.
let a: TestEngine;
let b: TestEngine;
beforeAll(async () => {
  const port = await freeLoopbackPort();
  a = await startEngine({ port });
  b = await startEngine({ port });
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
});

describe('two engines listening on one port (SO_REUSEPORT)', () => {
  it('the kernel spreads SDK clients over both, and each engine publishes to its own subscribers only', { timeout: 30_000 }, async () => {
    expect(b.port).toBe(a.port);
    const N = 40;
    const clients: Centrifuge[] = [];
    let subscribedCount = 0;
    let received = 0;
    for (let i = 0; i < N; i++) {
      const c = sdkClient(a.url);
      const sub = c.newSubscription('public:shared');
      sub.on('subscribed', () => subscribedCount++);
      sub.on('publication', () => received++);
      sub.subscribe();
      c.connect();
      clients.push(c);
    }
    await until(() => subscribedCount === N, `${N} subscriptions`, 20_000);
    // 40 connections hashed over two listeners: all on one side has a chance of 2^-39.
    expect(a.engine.connections + b.engine.connections).toBe(N);
    expect(a.engine.connections).toBeGreaterThan(0);
    expect(b.engine.connections).toBeGreaterThan(0);

    // The embedded broker is per process: a publication reaches the publishing engine's subscribers.
    await a.engine.publish('public:shared', { from: 'a' });
    await until(() => received === a.engine.connections, 'deliveries from engine a', 5000);
    await b.engine.publish('public:shared', { from: 'b' });
    await until(() => received === N, 'deliveries from engine b', 5000);
    for (const c of clients) c.disconnect();
    await until(() => a.engine.connections + b.engine.connections === 0, 'all closed', 10_000);
  });
});
