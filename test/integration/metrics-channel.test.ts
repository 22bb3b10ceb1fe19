import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Centrifuge } from 'centrifuge';
import type { MetricsSnapshot } from '../../streams/index.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';

const INTERVAL_MS = 200;

let t: TestEngine;
const clients: Centrifuge[] = [];
beforeAll(async () => {
  t = await startEngine({ metricsIntervalMs: INTERVAL_MS, feed: 'simulated', symbols: 'AAPL,MSFT', simTradesPerSecond: 50 });
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await t.stop();
});

function client(): Centrifuge {
  const c = sdkClient(t.url);
  clients.push(c);
  return c;
}

describe('the metrics channel (centrifuge-js)', () => {
  it('streams snapshots at the configured interval with sane values', async () => {
    const c = client();
    await connected(c);
    const got: MetricsSnapshot[] = [];
    const sub = await subscribed(c, 'metrics');
    sub.on('publication', (ctx) => got.push(ctx.data as MetricsSnapshot));
    // Also subscribe to ticks so deliveries flow to this client.
    await subscribed(c, 'ticks:AAPL');
    await until(() => got.length >= 6, 'six snapshots', 10_000);

    const last = got.at(-1) as MetricsSnapshot;
    expect(last.connections).toBeGreaterThanOrEqual(1);
    expect(last.memory.rssBytes).toBeGreaterThan(0);
    expect(last.memory.heapUsedBytes).toBeGreaterThan(0);
    expect(last.uptimeSec).toBeGreaterThan(0);
    expect(last.namespaces.metrics?.subscribers).toBeGreaterThanOrEqual(1);
    expect(last.namespaces.ticks).toEqual({ channels: 1, subscribers: 1 });
    // 2 symbols at 50 trades/s publish ~100 ticks/s, plus the market and metrics channels.
    expect(last.publicationsPerSec).toBeGreaterThan(50);
    expect(last.deliveriesPerSec).toBeGreaterThan(10);
    expect(last.pipelines.market?.ticksIn).toBeGreaterThan(0);
    expect(last.eventLoopLagMs.max).toBeGreaterThanOrEqual(last.eventLoopLagMs.p50);
    // The subscribes above were commands of this interval or an earlier one.
    expect(got.some((s) => s.commands.count > 0)).toBe(true);

    // Consecutive, about one interval apart (the machine is loaded: generous margins).
    for (let i = 1; i < got.length; i++) {
      const [a, b] = [got[i - 1] as MetricsSnapshot, got[i] as MetricsSnapshot];
      expect(b.seq).toBe(a.seq + 1);
      expect(b.ts - a.ts).toBe(b.intervalMs);
      expect(b.intervalMs).toBeGreaterThanOrEqual(INTERVAL_MS - 5);
      expect(b.intervalMs).toBeLessThan(INTERVAL_MS * 5);
    }
  });

  it('delivers the latest snapshot on subscribe, before the next one is taken', async () => {
    await until(() => t.engine.liveMetrics.latest !== undefined, 'a first snapshot');
    const c = client();
    await connected(c);
    // Subscribe right after a snapshot was taken, so the next one is a whole interval away.
    const seen = t.engine.liveMetrics.latest?.seq;
    await until(() => t.engine.liveMetrics.latest?.seq !== seen, 'a fresh snapshot');
    const latest = t.engine.liveMetrics.latest as MetricsSnapshot;
    const first = new Promise<MetricsSnapshot>((resolve) => {
      const sub = c.newSubscription('metrics');
      sub.once('publication', (ctx) => resolve(ctx.data as MetricsSnapshot));
      sub.subscribe();
    });
    const got = await first;
    expect(got.seq).toBe(latest.seq);
    expect(got).toEqual(JSON.parse(JSON.stringify(latest)));
  });
});
