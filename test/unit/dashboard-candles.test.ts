import { describe, expect, it } from 'vitest';
import { CandleStore } from '../../src/web/app/candles.js';

const t0 = Date.UTC(2026, 0, 5, 14, 30, 0);

describe('dashboard candle store', () => {
  it('folds trades into OHLCV candles by event-time second', () => {
    const s = new CandleStore(1000);
    s.applyTrade({ price: 10, size: 1, ts: t0 + 100 }, 1);
    s.applyTrade({ price: 12, size: 2, ts: t0 + 400 }, 2);
    s.applyTrade({ price: 9, size: 3, ts: t0 + 900 }, 3);
    s.applyTrade({ price: 11, size: 4, ts: t0 + 1200 }, 4);
    expect(s.source).toBe('ticks');
    expect(s.candles()).toEqual([
      { start: t0, open: 10, high: 12, low: 9, close: 9, volume: 6, trades: 3 },
      { start: t0 + 1000, open: 11, high: 11, low: 11, close: 11, volume: 4, trades: 1 },
    ]);
  });

  it('skips trades at or below the last applied offset, so history and live never double-count', () => {
    const s = new CandleStore(1000);
    for (const [offset, ts] of [[1, 100], [2, 200], [2, 200], [1, 100], [3, 300]] as const) s.applyTrade({ price: 10, size: 1, ts: t0 + ts }, offset);
    expect(s.candles()[0]?.trades).toBe(3);
    expect(s.tickOffset).toBe(3);
  });

  it('reports tail changes for cheap chart updates and a reset for an out-of-order candle', () => {
    const s = new CandleStore(1000);
    s.applyTrade({ price: 10, size: 1, ts: t0 + 2000 });
    expect(s.takeChange()).toMatchObject({ kind: 'tail', candles: [{ start: t0 + 2000 }] });
    expect(s.takeChange()).toEqual({ kind: 'none' });
    s.applyTrade({ price: 11, size: 1, ts: t0 + 2500 });
    s.applyTrade({ price: 12, size: 1, ts: t0 + 3100 });
    // Both the updated candle and the new one, oldest first.
    expect(s.takeChange()).toMatchObject({ kind: 'tail', candles: [{ start: t0 + 2000, close: 11 }, { start: t0 + 3000 }] });
    s.applyTrade({ price: 9, size: 1, ts: t0 + 500 });
    expect(s.takeChange()).toEqual({ kind: 'reset' });
    expect(s.candles().map((c) => c.start)).toEqual([t0, t0 + 2000, t0 + 3000]);
  });

  it('prefers bars: the first bar drops tick-built candles, later trades are ignored, bars upsert', () => {
    const s = new CandleStore(60_000);
    s.applyTrade({ price: 10, size: 1, ts: t0 + 5 });
    s.applyBar({ start: t0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, trades: 3 });
    s.applyTrade({ price: 99, size: 1, ts: t0 + 10 });
    s.applyBar({ start: t0, open: 1, high: 3, low: 0.5, close: 2.5, volume: 12, trades: 4 });
    expect(s.source).toBe('bars');
    expect(s.candles()).toEqual([{ start: t0, open: 1, high: 3, low: 0.5, close: 2.5, volume: 12, trades: 4 }]);
    expect(s.takeChange()).toEqual({ kind: 'reset' });
  });

  it('ignores malformed input instead of drawing NaN', () => {
    const s = new CandleStore(1000);
    s.applyTrade({ price: Number.NaN, size: 1, ts: t0 });
    s.applyTrade({ price: '10', size: 1, ts: t0 } as unknown as { price: number; size: number; ts: number });
    s.applyBar({ start: t0, open: 1, high: 1, low: 1, close: Number.POSITIVE_INFINITY, volume: 1 });
    expect(s.candles()).toEqual([]);
    expect(s.source).toBe('none');
  });

  it('is bounded: past max plus a tenth, the oldest candles go and the chart resets once', () => {
    const s = new CandleStore(1000, 10);
    for (let i = 0; i < 11; i++) s.applyTrade({ price: 1, size: 1, ts: t0 + i * 1000 });
    expect(s.candles()).toHaveLength(11);
    s.takeChange();
    s.applyTrade({ price: 1, size: 1, ts: t0 + 11_000 });
    expect(s.candles()).toHaveLength(10);
    expect(s.candles()[0]?.start).toBe(t0 + 2000);
    expect(s.takeChange()).toEqual({ kind: 'reset' });
    s.applyTrade({ price: 1, size: 1, ts: t0 + 12_000 });
    expect(s.takeChange().kind).toBe('tail');
  });

  it('clear() forgets candles and offsets so a reload starts over', () => {
    const s = new CandleStore(1000);
    s.applyTrade({ price: 1, size: 1, ts: t0 }, 7);
    s.clear();
    s.applyTrade({ price: 2, size: 1, ts: t0 }, 1);
    expect(s.candles()).toEqual([{ start: t0, open: 2, high: 2, low: 2, close: 2, volume: 1, trades: 1 }]);
  });
});
