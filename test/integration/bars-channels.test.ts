import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bar } from '../../streams/index.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';

let t: TestEngine;
beforeAll(async () => {
  t = await startEngine({ feed: 'simulated', symbols: ['AAPL', 'MSFT'], simTradesPerSecond: 40, barIntervals: ['1s', '1m'], barLatenessMs: 100 });
});
afterAll(async () => {
  await t.stop();
});

describe('bars channels', () => {
  it('delivers partial and final 1s bars to a centrifuge-js subscriber, partials at most 4 per second per bar', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const received: { bar: Bar; at: number }[] = [];
    const sub = await subscribed(c, 'bars:1s:AAPL');
    sub.on('publication', (ctx) => received.push({ bar: ctx.data as Bar, at: Date.now() }));
    await until(() => received.filter((r) => r.bar.final).length >= 3, 'three final 1s bars', 10_000);

    const bars = received.map((r) => r.bar);
    expect(bars.every((b) => b.symbol === 'AAPL' && b.interval === '1s' && b.end - b.start === 1_000)).toBe(true);
    const finals = bars.filter((b) => b.final);
    for (const final of finals) {
      expect(final.low).toBeLessThanOrEqual(Math.min(final.open, final.close));
      expect(final.high).toBeGreaterThanOrEqual(Math.max(final.open, final.close));
      expect(final.vwap).toBeGreaterThanOrEqual(final.low);
      expect(final.vwap).toBeLessThanOrEqual(final.high);
      expect(final.volume).toBeGreaterThan(0);
      expect(final.trades).toBeGreaterThan(10);
    }
    for (let i = 1; i < finals.length; i++) expect(finals[i]!.start).toBe(finals[i - 1]!.start + 1_000);
    // A bar we saw from its start: partials came first, rate-limited, and the final last.
    const whole = finals[1]!;
    const partials = received.filter((r) => !r.bar.final && r.bar.start === whole.start);
    expect(partials.length).toBeGreaterThanOrEqual(2);
    expect(partials.length).toBeLessThanOrEqual(5);
    // 250 ms apart on the server; allow for delivery jitter on a loaded machine.
    for (let i = 1; i < partials.length; i++) expect(partials[i]!.at - partials[i - 1]!.at).toBeGreaterThanOrEqual(150);
    expect(partials.at(-1)!.bar.trades).toBeLessThanOrEqual(whole.trades);
    expect(received.findIndex((r) => r.bar === whole)).toBeGreaterThan(received.indexOf(partials.at(-1)!));
    c.disconnect();
  });

  it('keeps bars in the channel history, so a client that reconnects can recover them', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const sub = await subscribed(c, 'bars:1s:MSFT');
    const history = await sub.history({ limit: 5 });
    expect(history.publications.length).toBeGreaterThan(0);
    expect((history.publications.at(-1)!.data as Bar).symbol).toBe('MSFT');
    c.disconnect();
  });
});
