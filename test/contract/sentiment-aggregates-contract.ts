import { afterEach, describe, expect, it } from 'vitest';
import type { AggregateInput, RollingSentimentOptions, SentimentAggregates } from '../../streams/index.js';

/** Fresh, empty aggregates under contract, started; `close` stops them and removes what they stored. */
export type AggregatesFactory = (o: RollingSentimentOptions) => Promise<{ aggregates: SentimentAggregates; close(): Promise<void> }>;

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5, 14, 30);
const bull = { bearish: 0.1, bullish: 0.8, neutral: 0.1 };
const bear = { bearish: 0.9, bullish: 0.05, neutral: 0.05 };
const item = (symbol: string, ts: number, label: AggregateInput['label'], scores = label === 'bullish' ? bull : bear): AggregateInput => ({ symbol, ts, label, scores });

/** A seeded sequence of scored items over a few symbols and hours, late ones included. */
export function scoredSequence(n: number, seed = 7): AggregateInput[] {
  let x = seed;
  const next = () => ((x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => {
    const bearish = next();
    const bullish = (1 - bearish) * next();
    const neutral = 1 - bearish - bullish;
    const label = bullish > bearish && bullish > neutral ? 'bullish' : bearish > neutral ? 'bearish' : 'neutral';
    return { symbol: ['AAPL', 'MSFT', 'BRK.B'][i % 3] as string, ts: T0 + Math.floor((next() - 0.2) * 5 * HOUR), label, scores: { bearish, bullish, neutral } };
  });
}

/**
 * The SentimentAggregates contract: in memory and on Redis, the same items give the same
 * figures (EMA, counts, hourly buckets, bounds), so an engine publishes the same aggregates
 * whichever holds them.
 */
export function sentimentAggregatesContract(name: string, make: AggregatesFactory): void {
  describe(`SentimentAggregates contract: ${name}`, () => {
    const open: { close(): Promise<void> }[] = [];
    const aggregates = async (o: Partial<RollingSentimentOptions> = {}) => {
      const a = await make({ alpha: 0.5, hoursKept: 4, maxSymbols: 10, ...o });
      open.push(a);
      return a.aggregates;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((a) => a.close()));
    });

    it('keeps an EMA of bullish - bearish and hourly buckets by event time, and answers one aggregate per symbol touched', async () => {
      const a = await aggregates();
      const out = await a.add([item('AAPL', T0, 'bullish'), item('MSFT', T0, 'bearish'), item('AAPL', T0 + 1000, 'bearish')]);
      expect(out.map((m) => m.symbol)).toEqual(['AAPL', 'MSFT']);
      // 0.7, then 0.7 + 0.5 * (-0.85 - 0.7)
      expect(out[0]).toEqual({
        type: 'aggregate', symbol: 'AAPL', ema: -0.075, label: 'neutral', items: 2, ts: T0 + 1000,
        hour: { hour: Date.UTC(2026, 0, 5, 14), items: 2, labels: { bearish: 1, bullish: 1, neutral: 0 }, mean: { bearish: 0.5, bullish: 0.425, neutral: 0.075 }, sentiment: -0.075 },
      });
      expect(await a.summary('AAPL')).toEqual({ ema: -0.075, label: 'neutral', items: 2, ts: T0 + 1000 });
      expect(await a.summary('TSLA')).toBeUndefined();
      expect(await a.hours('TSLA', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
      expect(await a.add([])).toEqual([]);
      expect(a.stats()).toMatchObject({ symbols: 2, evicted: 0, unbucketed: 0, pending: 0 });
    });

    it('keeps hoursKept hours per symbol, and an item older than all of them only in the EMA', async () => {
      const a = await aggregates({ alpha: 0.1, hoursKept: 2 });
      await a.add([0, 1, 2].map((h) => item('AAPL', T0 + h * HOUR, 'bullish')));
      expect((await a.hours('AAPL', 0, Number.MAX_SAFE_INTEGER)).map((b) => b.hour)).toEqual([Date.UTC(2026, 0, 5, 15), Date.UTC(2026, 0, 5, 16)]);
      const [late] = await a.add([item('AAPL', T0 - HOUR, 'bearish')]);
      expect(a.stats().unbucketed).toBe(1);
      // The newest hour stays the aggregate's hour; the late item counts in items and the EMA only.
      expect(late).toMatchObject({ items: 4, ts: T0 + 2 * HOUR, hour: { hour: Date.UTC(2026, 0, 5, 16), items: 1 } });
      expect((await a.hours('AAPL', Date.UTC(2026, 0, 5, 16), Date.UTC(2026, 0, 5, 17))).map((b) => b.hour)).toEqual([Date.UTC(2026, 0, 5, 16)]);
    });

    it('forgets the symbol updated longest ago past maxSymbols', async () => {
      const a = await aggregates({ maxSymbols: 2 });
      await a.add([item('A', T0, 'bullish'), item('B', T0, 'bullish'), item('A', T0, 'bullish')]);
      await a.add([item('C', T0, 'bullish')]);
      expect(await a.summary('B')).toBeUndefined();
      expect((await a.summary('A'))?.items).toBe(2);
      expect(a.stats()).toMatchObject({ symbols: 2, evicted: 1 });
      // B comes back as new.
      const [b] = await a.add([item('B', T0, 'bearish')]);
      expect(b).toMatchObject({ symbol: 'B', items: 1, ema: -0.85 });
      expect(await a.summary('A')).toBeUndefined();
    });

    for (const o of [{ alpha: 0.05, hoursKept: 3, maxSymbols: 10 }, { alpha: 0.3, hoursKept: 2, maxSymbols: 2 }]) {
      it(`gives the figures of the reference in memory for a long mixed sequence, whatever the batch sizes (hoursKept ${o.hoursKept}, maxSymbols ${o.maxSymbols})`, async () => {
        const { MemorySentimentAggregates } = await import('../../streams/index.js');
        const reference = new MemorySentimentAggregates(o);
        const a = await aggregates(o);
        const items = scoredSequence(700);
        const got = [];
        const want = [];
        // Batches of 1 to 1,093 items: the Redis side splits a large one in several script calls.
        for (let i = 0, size = 1; i < items.length; i += size, size = size * 3 + 1) {
          const batch = items.slice(i, i + size);
          got.push(...(await a.add(batch)));
          want.push(...(await reference.add(batch)));
        }
        expect(got).toEqual(want);
        for (const symbol of ['AAPL', 'MSFT', 'BRK.B']) {
          expect(await a.summary(symbol)).toEqual(await reference.summary(symbol));
          expect(await a.hours(symbol, 0, Number.MAX_SAFE_INTEGER)).toEqual(await reference.hours(symbol, 0, Number.MAX_SAFE_INTEGER));
        }
        const { pending: _p, dropped: _d, errors: _e, where: _w, ...figures } = a.stats();
        const { pending: _rp, dropped: _rd, errors: _re, where: _rw, ...expected } = reference.stats();
        expect(figures).toEqual(expected);
        // Each setting reaches its bound: hours past the kept ones, or symbols past maxSymbols (each of the three evicts another).
        if (o.maxSymbols === 2) expect(expected.evicted).toBeGreaterThan(100);
        else expect(expected.unbucketed).toBeGreaterThan(0);
      });
    }
  });
}
