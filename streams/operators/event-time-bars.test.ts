import { describe, it, expect } from 'vitest';
import { NEVER, VirtualTimeScheduler, concat, from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { eventTimeBars } from './event-time-bars.js';
import type { EventTimeBarsOptions } from './event-time-bars.js';
import { barInterval } from './bar-interval.js';
import type { BarInterval } from './bar-interval.js';
import { InvalidOptionError } from '../errors.js';
import type { Bar, Tick, TickBatch } from '../ports.js';

const SECOND: BarInterval = { name: '1s', ms: 1_000 };
const MINUTE: BarInterval = { name: '1m', ms: 60_000 };

const t = (ts: number, price: number, size = 100, symbol = 'A', condition?: string): Tick =>
  condition === undefined ? { symbol, price, size, ts } : { symbol, price, size, ts, condition };

/** Marble values of one tick each, as a feed that batches nothing would hand them over. */
const single = (values: Record<string, Tick>): Record<string, TickBatch> => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, [v]]));

/** A bar as the operator emits it; `prints` are [price, size] for the VWAP. */
function bar(symbol: string, interval: BarInterval, start: number, ohlc: [number, number, number, number], prints: [number, number][], final: boolean): Bar {
  const volume = prints.reduce((v, [, s]) => v + s, 0);
  const vwap = Math.round((prints.reduce((n, [p, s]) => n + p * s, 0) / volume) * 10_000) / 10_000;
  const [open, high, low, close] = ohlc;
  return { symbol, interval: interval.name, start, end: start + interval.ms, open, high, low, close, volume, vwap, trades: prints.length, final };
}

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

const run = (options: Partial<EventTimeBarsOptions> = {}) => eventTimeBars({ intervals: [SECOND], latenessMs: 0, partialMs: 100, ...options });

describe('eventTimeBars', () => {
  it('builds OHLCV, VWAP and trades per event-time window, and the watermark closes each bar', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // Event time runs far ahead of the clock (a fast replay), so only the watermark closes bars.
      const ticks = cold('a 9ms b 9ms c 9ms d 9ms |', single({ a: t(100, 10), b: t(900, 12, 300), c: t(1_500, 11), d: t(3_100, 9) }));
      // Partials of the series at most every 100 ms: after a leads, the partials of later bars
      // are held back and dropped when their own final goes out, 10 ms later each time.
      expectObservable(ticks.pipe(run())).toBe('a 19ms b 9ms d 9ms (f|)', {
        a: bar('A', SECOND, 0, [10, 10, 10, 10], [[10, 100]], false),
        // c's time (1500) passes the end of [0, 1000): the bar is final, then [1000, 2000) opens.
        b: bar('A', SECOND, 0, [10, 12, 10, 12], [[10, 100], [12, 300]], true),
        // d jumps to 3100: [1000, 2000) closes; no bar is made for the empty [2000, 3000).
        d: bar('A', SECOND, 1_000, [11, 11, 11, 11], [[11, 100]], true),
        f: bar('A', SECOND, 3_000, [9, 9, 9, 9], [[9, 100]], true),
      });
    });
  });

  it('emits each bar a batch changed once, after the finals the batch released, in the order first changed', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // One batch: [0, 1000) of A gets two prints, then B opens [0, 1000), then A's 1500 closes
      // A's and B's first bars (their finals go out at once) and opens [1000, 2000) of A.
      const batch = [t(100, 10), t(200, 12), t(300, 50, 5, 'B'), t(1_500, 11), t(1_600, 13)];
      const ticks = cold('a 9ms |', { a: batch });
      expectObservable(ticks.pipe(run())).toBe('(FGp) 5ms (Q|)', {
        F: bar('A', SECOND, 0, [10, 12, 10, 12], [[10, 100], [12, 100]], true),
        G: bar('B', SECOND, 0, [50, 50, 50, 50], [[50, 5]], true),
        p: bar('A', SECOND, 1_000, [11, 13, 11, 13], [[11, 100], [13, 100]], false),
        Q: bar('A', SECOND, 1_000, [11, 13, 11, 13], [[11, 100], [13, 100]], true),
      });
    });
  });

  it('keeps a bar open for the allowed lateness, so a tick that far behind still counts', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // Lateness 500: b (1200) moves the watermark to 700 only; c (900) still belongs to [0, 1000);
      // d (1600) moves it to 1100 and closes [0, 1000) with a and c in it. The partials after a
      // are held back by the series' rate, the latest (c's, then d's) dropped by its bar's final.
      const ticks = cold('a 9ms b 9ms c 9ms d 9ms |', single({ a: t(100, 10), b: t(1_200, 20), c: t(900, 8), d: t(1_600, 21) }));
      expectObservable(ticks.pipe(run({ latenessMs: 500 }))).toBe('a 29ms F 9ms (G|)', {
        a: bar('A', SECOND, 0, [10, 10, 10, 10], [[10, 100]], false),
        F: bar('A', SECOND, 0, [10, 10, 8, 8], [[10, 100], [8, 100]], true),
        G: bar('A', SECOND, 1_000, [20, 21, 20, 21], [[20, 100], [21, 100]], true),
      });
    });
  });

  it('drops a tick whose bar has closed, reports it, and never changes the closed bar', () => {
    const late: [number, string][] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const ticks = cold('a 9ms b 9ms c 9ms d 9ms |', single({ a: t(100, 10), b: t(1_300, 20), c: t(950, 99), d: t(1_250, 22) }));
      const onLate = (tick: Tick, interval: BarInterval) => late.push([tick.ts, interval.name]);
      expectObservable(ticks.pipe(run({ latenessMs: 200, onLate }))).toBe('a 9ms F 29ms (G|)', {
        a: bar('A', SECOND, 0, [10, 10, 10, 10], [[10, 100]], false),
        F: bar('A', SECOND, 0, [10, 10, 10, 10], [[10, 100]], true),
        // The partials of [1000, 2000) (b's, then d's) were held back by the series' rate when
        // the bar closed: only the final goes out.
        G: bar('A', SECOND, 1_000, [20, 22, 20, 22], [[20, 100], [22, 100]], true),
      });
    });
    expect(late).toEqual([[950, '1s']]);
  });

  it('sends partial updates of a bar at most once per partialMs, the latest state wins', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const prices = { a: 10, b: 11, c: 12, d: 13, e: 14, f: 15, g: 16 };
      const values = Object.fromEntries(Object.entries(prices).map(([k, p], i) => [k, t(i * 10, p)]));
      const ticks = cold('abc 1ms de 1ms fg 20ms |', single(values));
      const upTo = (n: number, final = false) => {
        const seen = Object.values(prices).slice(0, n);
        return bar('A', SECOND, 0, [10, Math.max(...seen), 10, seen.at(-1) as number], seen.map((p) => [p, 100]), final);
      };
      // a leads at 0; windows of 3: c at 3, e at 6, g at 9; the final flushes at completion.
      expectObservable(ticks.pipe(run({ partialMs: 3 }))).toBe('a 2ms c 2ms e 2ms g 19ms (F|)', {
        a: upTo(1),
        c: upTo(3),
        e: upTo(5),
        g: upTo(7),
        F: upTo(7, true),
      });
    });
  });

  it('closes the last bar of a quiet stream on the idle timer, lateness after its end', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // Event time = the clock here (a live feed). Nothing follows a at 2; [0, 10) ends at 10,
      // and with lateness 3 the timer closes it at 13 without waiting for another tick.
      const ten: BarInterval = { name: '10ms', ms: 10 };
      const ticks = cold('--a 30ms |', single({ a: t(2, 10) }));
      expectObservable(ticks.pipe(run({ intervals: [ten], latenessMs: 3 }))).toBe('--a 10ms F 19ms |', {
        a: bar('A', ten, 0, [10, 10, 10, 10], [[10, 100]], false),
        F: bar('A', ten, 0, [10, 10, 10, 10], [[10, 100]], true),
      });
    });
  });

  it('flushes every open bar on completion, per symbol and interval', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const ticks = cold('a 9ms b 9ms |', single({ a: t(100, 10), b: t(200, 50, 5, 'B') }));
      const a = (iv: BarInterval, final: boolean) => bar('A', iv, 0, [10, 10, 10, 10], [[10, 100]], final);
      const b = (iv: BarInterval, final: boolean) => bar('B', iv, 0, [50, 50, 50, 50], [[50, 5]], final);
      expectObservable(ticks.pipe(run({ intervals: [SECOND, MINUTE] }))).toBe('(pq) 6ms (rs) 6ms (ABCD|)', {
        p: a(SECOND, false),
        q: a(MINUTE, false),
        r: b(SECOND, false),
        s: b(MINUTE, false),
        A: a(SECOND, true),
        B: a(MINUTE, true),
        C: b(SECOND, true),
        D: b(MINUTE, true),
      });
    });
  });

  it('forwards an error at once and drops open bars', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const ticks = cold('a 9ms #', single({ a: t(100, 10) }));
      expectObservable(ticks.pipe(run())).toBe('a 9ms #', { a: bar('A', SECOND, 0, [10, 10, 10, 10], [[10, 100]], false) });
    });
  });

  it('lets prints that do not count for price add volume, VWAP and trades only', async () => {
    const excluded = (tick: Tick) => tick.condition !== 'X';
    const ticks = [t(100, 10, 100, 'A', 'X'), t(200, 11), t(300, 20, 100, 'A', 'X'), t(400, 9, 200, 'A', 'X'), t(1_100, 30, 10, 'A', 'X'), t(1_200, 31, 10, 'A', 'X')];
    const scheduler = new VirtualTimeScheduler();
    const bars = await lastValueFrom(from(ticks.map((x) => [x])).pipe(run({ countsForPrice: excluded, scheduler }), toArray()));
    expect(bars.filter((b) => b.final)).toEqual([
      bar('A', SECOND, 0, [11, 11, 11, 11], [[10, 100], [11, 100], [20, 100], [9, 200]], true),
      // No print of [1000, 2000) counts for price: its prices come from the prints it has.
      bar('A', SECOND, 1_000, [30, 31, 30, 31], [[30, 10], [31, 10]], true),
    ]);
  });

  it('leaves no timer behind after unsubscribe', () => {
    const scheduler = new VirtualTimeScheduler();
    const sub = concat(from([[t(100, 10), t(200, 11)]]), NEVER).pipe(run({ scheduler, latenessMs: 5_000 })).subscribe();
    expect(scheduler.actions.length).toBeGreaterThan(0);
    sub.unsubscribe();
    expect(scheduler.actions).toHaveLength(0);
  });

  it('rejects bad options', () => {
    expect(() => eventTimeBars({ intervals: [], latenessMs: 0 })).toThrow(InvalidOptionError);
    expect(() => eventTimeBars({ intervals: [SECOND], latenessMs: -1 })).toThrow(/latenessMs/);
    expect(() => eventTimeBars({ intervals: [SECOND], latenessMs: 0, partialMs: 0 })).toThrow(/partialMs/);
  });
});

describe('barInterval', () => {
  it('parses lengths and keeps the name for the channel', () => {
    expect(barInterval('1s')).toEqual({ name: '1s', ms: 1_000 });
    expect(barInterval('5m')).toEqual({ name: '5m', ms: 300_000 });
    expect(barInterval('250ms')).toEqual({ name: '250ms', ms: 250 });
    expect(barInterval('1h')).toEqual({ name: '1h', ms: 3_600_000 });
  });

  it.each(['', '1', 's', '0s', '1d', '10ms', '25h', '1.5s', ' 1s'])('rejects %j', (name) => {
    expect(() => barInterval(name)).toThrow(InvalidOptionError);
  });
});
