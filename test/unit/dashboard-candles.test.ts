import { describe, expect, it } from 'vitest';
import { CandleStore, type BarLike } from '../../src/web/app/candles.js';

const t0 = Date.UTC(2026, 0, 5, 14, 30, 0);

function bar(startOffset: number, close: number, final?: boolean, volume = 1): BarLike {
  const b: BarLike = { start: t0 + startOffset, open: 10, high: Math.max(10, close), low: Math.min(10, close), close, volume, trades: 1 };
  if (final !== undefined) b.final = final;
  return b;
}

describe('dashboard candle store', () => {
  it('keeps one candle per bar start: partials replace it, and REST history counts as closed', () => {
    const s = new CandleStore(1000);
    s.applyBar(bar(0, 11), true);
    s.applyBar(bar(1000, 12, false));
    s.applyBar(bar(1000, 13, false, 2));
    expect(s.candles()).toEqual([
      { start: t0, open: 10, high: 11, low: 10, close: 11, volume: 1, trades: 1, final: true },
      { start: t0 + 1000, open: 10, high: 13, low: 10, close: 13, volume: 2, trades: 1, final: false },
    ]);
  });

  it('lets the final bar fix a candle: a partial replayed after it is stale and ignored', () => {
    const s = new CandleStore(1000);
    s.applyBar(bar(0, 12, false));
    s.applyBar(bar(0, 14, true));
    s.applyBar(bar(0, 12, false));
    expect(s.candles()).toEqual([expect.objectContaining({ close: 14, final: true })]);
    // A final may still correct a final (the same bar twice: history and live overlap).
    s.applyBar(bar(0, 15, true));
    expect(s.candles()[0]?.close).toBe(15);
  });

  it('reports in-place and appended candles as updates, oldest first, and a new bar inside the series as a reset', () => {
    const s = new CandleStore(1000);
    s.applyBar(bar(0, 11, false));
    s.applyBar(bar(1000, 11, false));
    expect(s.takeChange()).toMatchObject({ kind: 'update', candles: [{ start: t0 }, { start: t0 + 1000 }] });
    s.applyBar(bar(2000, 12, false));
    s.applyBar(bar(0, 13, true)); // the final of a bar behind the live one
    expect(s.takeChange()).toMatchObject({ kind: 'update', candles: [{ start: t0, close: 13 }, { start: t0 + 2000 }] });
    expect(s.takeChange()).toEqual({ kind: 'none' });
    s.applyBar(bar(-5000, 9, true)); // a bar whose partials were never seen, before the others
    expect(s.takeChange()).toEqual({ kind: 'reset' });
    expect(s.candles().map((c) => c.start - t0)).toEqual([-5000, 0, 1000, 2000]);
  });

  it('aligns a bar to its interval', () => {
    const s = new CandleStore(60_000);
    s.applyBar({ ...bar(0, 11, false), start: t0 + 59_999 });
    expect(s.candles()[0]?.start).toBe(t0);
  });

  it('ignores malformed bars instead of drawing NaN', () => {
    const s = new CandleStore(1000);
    s.applyBar({ ...bar(0, 1), close: Number.POSITIVE_INFINITY });
    s.applyBar({ ...bar(0, 1), open: '10' } as unknown as BarLike);
    s.applyBar({ start: t0 } as BarLike);
    expect(s.candles()).toEqual([]);
  });

  it('is bounded: past max plus a tenth, the oldest candles go and the chart resets once', () => {
    const s = new CandleStore(1000, 10);
    for (let i = 0; i < 11; i++) s.applyBar(bar(i * 1000, 1, true));
    expect(s.candles()).toHaveLength(11);
    s.takeChange();
    s.applyBar(bar(11_000, 1, false));
    expect(s.candles()).toHaveLength(10);
    expect(s.candles()[0]?.start).toBe(t0 + 2000);
    expect(s.takeChange()).toEqual({ kind: 'reset' });
    s.applyBar(bar(12_000, 1, false));
    expect(s.takeChange().kind).toBe('update');
  });

  it('clear() forgets every candle, finals included, so a reload starts over', () => {
    const s = new CandleStore(1000);
    s.applyBar(bar(0, 11, true));
    s.clear();
    s.applyBar(bar(0, 12, false));
    expect(s.candles()).toEqual([expect.objectContaining({ close: 12, final: false })]);
  });
});
