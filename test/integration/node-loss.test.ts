import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Centrifuge } from 'centrifuge';
import { startEngine, type TestEngine } from '../support/engine.js';
import { EngineProcess } from '../support/engine-process.js';
import { api, connected, sdkClient, subscribed, until } from '../support/client.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, testPrefix } from '../support/redis-broker.js';
import { TcpBalancer } from '../support/tcp-balancer.js';

const reachable = await redisReachable();

/**
 * A node behind the load balancer goes away, killed or drained, while a publisher on another
 * node keeps publishing; the client reconnects through the balancer to a node that is left and
 * must receive every publication, in order, once.
 */
describe.runIf(reachable)('losing a node', () => {
  const prefix = testPrefix('nodeloss');
  let survivor: TestEngine;
  const clients: Centrifuge[] = [];
  beforeAll(async () => {
    survivor = await startEngine({ apiKey: 'test-key', redisUrl: REDIS_URL, redisPrefix: prefix });
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await survivor?.stop();
    await cleanPrefix(prefix);
  });

  for (const how of ['SIGKILL', 'SIGTERM'] as const) {
    it(`a client of a node stopped with ${how} moves to another node and recovers every publication`, async () => {
      const doomed = await EngineProcess.start({ SUPERNOVA_REDIS_URL: REDIS_URL, SUPERNOVA_REDIS_PREFIX: prefix, SUPERNOVA_FEED: 'none' });
      const lb = new TcpBalancer(doomed.port);
      const url = await lb.start();
      try {
        const c = sdkClient(url, { minReconnectDelay: 100, maxReconnectDelay: 300 });
        clients.push(c);
        const codes: number[] = [];
        await connected(c);
        c.on('connecting', (ctx) => codes.push(ctx.code));
        const channel = `public:loss-${how}`;
        const sub = await subscribed(c, channel);
        const values: number[] = [];
        let recovered: boolean | undefined;
        sub.on('subscribed', (ctx) => { if (ctx.wasRecovering) recovered = ctx.recovered; });
        sub.on('publication', (ctx) => values.push((ctx.data as { n: number }).n));
        let n = 0;
        let running = true;
        const publisher = (async () => {
          while (running) {
            const res = await api(survivor.http, 'publish', { channel, data: { n } });
            expect(res.status).toBe(200);
            n++;
            await new Promise((r) => setTimeout(r, 3));
          }
        })();
        await until(() => values.length >= 30, 'publications before the node goes');
        // New connections now land on the survivor, as a Service routes around a dead pod.
        lb.route = survivor.port;
        if (how === 'SIGKILL') {
          doomed.child.kill('SIGKILL');
          await doomed.exited;
          lb.dropAll();
        } else {
          const exit = await doomed.stop(10_000);
          expect(exit.code).toBe(0);
        }
        await until(() => recovered !== undefined, 'resubscribe on the survivor', 10_000);
        await new Promise((r) => setTimeout(r, 200));
        running = false;
        await publisher;
        // Generous: under a loaded CI the recovered backlog and the live tail may take a while.
        await until(() => values.length >= n, `all ${n} publications`, 20_000).catch((err: unknown) => {
          const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !values.includes(i));
          throw new Error(`${(err as Error).message}: got ${values.length}, missing ${missing.slice(0, 20).join(',')}, recovered=${recovered}`, { cause: err });
        });
        expect(recovered).toBe(true);
        expect(values).toEqual(Array.from({ length: n }, (_, i) => i));
        // Drained: told to reconnect (3001); killed: the connection just ends.
        if (how === 'SIGTERM') expect(codes).toContain(3001);
      } finally {
        if (doomed.alive) doomed.child.kill('SIGKILL');
        await lb.stop();
      }
    });
  }
});
