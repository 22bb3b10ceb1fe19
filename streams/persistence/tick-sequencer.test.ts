import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LATE_SEQ_BASE, TickSequencer } from './tick-sequencer.js';

const key = (symbol: string, ts: number, seq: number) => `${symbol}|${ts}|${seq}`;

describe('TickSequencer', () => {
  it('numbers the ticks of one symbol and millisecond from 0 in arrival order, each symbol apart', () => {
    const s = new TickSequencer();
    expect([s.next('A', 10), s.next('A', 10), s.next('B', 10), s.next('A', 11), s.next('A', 10), s.next('B', 10)]).toEqual([0, 1, 0, 0, 2, 1]);
  });

  it('floors a fractional event time: the column holds whole ms', () => {
    const s = new TickSequencer();
    expect(s.row({ symbol: 'A', ts: 10.9, price: 1, size: 2 })).toEqual({ symbol: 'A', ts: 10, seq: 0, price: 1, size: 2 });
    expect(s.row({ symbol: 'A', ts: 10.1, price: 1, size: 2 }).seq).toBe(1);
  });

  it('the same ticks in the same order get the same keys (a replay stores nothing twice)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('A', 'B', 'C'), fc.integer({ min: 0, max: 40 })), { maxLength: 300 }), (ticks) => {
      const a = new TickSequencer(4);
      const b = new TickSequencer(4);
      expect(ticks.map(([sym, ts]) => a.next(sym, ts))).toEqual(ticks.map(([sym, ts]) => b.next(sym, ts)));
    }));
  });

  it('never gives two ticks one key, in any order, even past the remembered window', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('A', 'B'), fc.integer({ min: 0, max: 30 })), { maxLength: 400 }), fc.integer({ min: 1, max: 8 }), (ticks, window) => {
      const s = new TickSequencer(window);
      const keys = ticks.map(([sym, ts]) => key(sym, ts, s.next(sym, ts)));
      expect(new Set(keys).size).toBe(keys.length);
    }));
  });

  it('a tick older than every remembered millisecond is numbered from LATE_SEQ_BASE, not from 0 again', () => {
    const s = new TickSequencer(2);
    expect([s.next('A', 1), s.next('A', 2), s.next('A', 3)]).toEqual([0, 0, 0]);
    // 1 was forgotten when 3 came; its millisecond already has seq 0 stored.
    expect(s.next('A', 1)).toBe(LATE_SEQ_BASE);
    expect(s.next('A', 1)).toBe(LATE_SEQ_BASE + 1);
    expect(s.next('A', 0)).toBe(LATE_SEQ_BASE + 2);
    // Remembered ones still count on.
    expect(s.next('A', 3)).toBe(1);
  });
});
