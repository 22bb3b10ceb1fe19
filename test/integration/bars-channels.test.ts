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
    const received: Bar[] = [];
    const sub = await subscribed(c, 'bars:1s:AAPL');
    sub.on('publication', (ctx) => received.push(ctx.data as Bar));
    await until(() => received.filter((b) => b.final).length >= 3, 'three final 1s bars', 10_000);

    expect(received.every((b) => b.symbol === 'AAPL' && b.interval === '1s' && b.end - b.start === 1_000)).toBe(true);
    const finals = received.filter((b) => b.final);
    for (const final of finals) {
      expect(final.low).toBeLessThanOrEqual(Math.min(final.open, final.close));
      expect(final.high).toBeGreaterThanOrEqual(Math.max(final.open, final.close));
      expect(final.vwap).toBeGreaterThanOrEqual(final.low);
      expect(final.vwap).toBeLessThanOrEqual(final.high);
      expect(final.volume).toBeGreaterThan(0);
      expect(final.trades).toBeGreaterThan(0);
    }
    // After the first (which may have begun before the engine started), a bar holds a full second at 40 trades/s.
    for (const final of finals.slice(1)) expect(final.trades).toBeGreaterThan(5);
    for (let i = 1; i < finals.length; i++) expect(finals[i]!.start).toBe(finals[i - 1]!.start + 1_000);
    // The third bar began after we subscribed, so we saw all of it: partials first, rate-limited,
    // and the final last.
    const whole = finals[2]!;
    const partials = received.filter((b) => !b.final && b.start === whole.start);
    expect(partials.length).toBeGreaterThanOrEqual(2);
    // One at once, then at most one per 250 ms while the bar is open (1 s + 100 ms lateness). The
    // spacing itself is checked in virtual time (market-pipeline.test.ts): arrival times here
    // carry the loaded machine's jitter.
    expect(partials.length).toBeLessThanOrEqual(5);
    expect(partials.at(-1)!.trades).toBeLessThanOrEqual(whole.trades);
    expect(received.indexOf(whole)).toBeGreaterThan(received.indexOf(partials.at(-1)!));
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
