import { describe, it, expect } from 'vitest';
import { MarketState } from './market-state.js';
import type { MarketSnapshot } from '../ports.js';

describe('MarketState', () => {
  it('tracks the session per symbol: open is the first price, change is measured from it', () => {
    const state = new MarketState();
    state.apply({ symbol: 'AAA', price: 100, size: 10, ts: 1 });
    state.apply({ symbol: 'AAA', price: 103.5, size: 5, ts: 2 });
    state.apply({ symbol: 'AAA', price: 98.25, size: 20, ts: 3 });
    state.apply({ symbol: 'AAA', price: 101.1, size: 1, ts: 4 });
    expect(state.snapshot('AAA')).toEqual({
      symbol: 'AAA',
      last: 101.1,
      change: 1.1,
      changePct: 1.1,
      open: 100,
      high: 103.5,
      low: 98.25,
      volume: 36,
      // (100x10 + 103.5x5 + 98.25x20 + 101.1x1) / 36 = 99.54444..., rounded to a decicent.
      vwap: 99.5444,
      trades: 4,
      ts: 4,
    });
  });

  it('adds up the session VWAP exactly, without binary drift over many prints', () => {
    const state = new MarketState();
    for (let i = 0; i < 100_000; i++) state.apply({ symbol: 'X', price: i % 2 ? 0.1 : 0.2, size: 3, ts: i });
    expect(state.snapshot('X')?.vwap).toBe(0.15);
  });

  it('rounds away binary noise in change', () => {
    const state = new MarketState();
    state.apply({ symbol: 'X', price: 0.1, size: 1, ts: 1 });
    state.apply({ symbol: 'X', price: 0.3, size: 1, ts: 2 });
    expect(state.snapshot('X')?.change).toBe(0.2);
    expect(state.snapshot('X')?.changePct).toBe(200);
  });

  it('keeps symbols apart and lists them sorted', () => {
    const state = new MarketState();
    state.apply({ symbol: 'ZZZ', price: 5, size: 1, ts: 1 });
    state.apply({ symbol: 'AAA', price: 7, size: 2, ts: 2 });
    expect(state.symbols()).toEqual(['AAA', 'ZZZ']);
    expect(state.size).toBe(2);
    expect(state.has('AAA')).toBe(true);
    expect(state.snapshot('ZZZ')?.volume).toBe(1);
    expect(state.snapshot('AAA')?.last).toBe(7);
  });

  it('returns undefined for a symbol it has not seen', () => {
    expect(new MarketState().snapshot('NOPE')).toBeUndefined();
  });

  it('hands out copies that later ticks do not change', () => {
    const state = new MarketState();
    state.apply({ symbol: 'AAA', price: 10, size: 1, ts: 1 });
    const before = state.snapshot('AAA');
    state.apply({ symbol: 'AAA', price: 11, size: 1, ts: 2 });
    expect(before?.last).toBe(10);
    expect(state.snapshot('AAA')?.last).toBe(11);
  });

  it('takes a snapshot computed elsewhere and answers it exactly, VWAP and change included', () => {
    const source = new MarketState();
    for (let i = 0; i < 1_000; i++) source.apply({ symbol: 'AAA', price: 100 + ((i * 7) % 13) * 0.01, size: 1 + (i % 9), ts: i });
    const snapshot = source.snapshot('AAA');
    const mirror = new MarketState();
    mirror.apply({ symbol: 'AAA', price: 1, size: 1, ts: 0 });
    mirror.setSnapshot(snapshot as MarketSnapshot);
    expect(mirror.snapshot('AAA')).toEqual(snapshot);
    expect(mirror.version('AAA')).toEqual(source.version('AAA'));
    expect(mirror.symbols()).toEqual(['AAA']);
    // A tick after it continues the session it took (apply's cached session is the new one); the
    // VWAP's sum is rebuilt from the rounded VWAP, so only it may be a decicent off from here.
    source.apply({ symbol: 'AAA', price: 99, size: 5, ts: 2_000 });
    mirror.apply({ symbol: 'AAA', price: 99, size: 5, ts: 2_000 });
    const { vwap, ...rest } = source.snapshot('AAA') as MarketSnapshot;
    expect(mirror.snapshot('AAA')).toMatchObject(rest);
    expect(Math.abs((mirror.snapshot('AAA')?.vwap ?? 0) - vwap)).toBeLessThan(0.00011);
  });
});
