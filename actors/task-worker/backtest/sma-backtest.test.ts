import { describe, expect, it } from 'vitest';
import { smaBacktest } from './sma-kernel.js';

describe('smaBacktest by hand', () => {
  it('matches a hand-worked example (fast 2, slow 3, eight bars)', () => {
    // Buy at bar 2 (12: fast 11.5 > slow 11), sell at bar 4 (10: 10.5 < 11), buy at bar 6 (12), closed at 13.
    const r = smaBacktest({ starts: [0, 1, 2, 3, 4, 5, 6, 7], closes: [10, 11, 12, 11, 10, 11, 12, 13], fast: 2, slow: 3, capital: 100, periodsPerYear: 1, maxCurvePoints: 100 });
    expect(r.trades.map((t) => [t.entryTs, t.entryPrice, t.exitTs, t.exitPrice])).toEqual([[2, 12, 4, 10], [6, 12, 7, 13]]);
    expect(r.trades[0]?.return).toBeCloseTo(10 / 12 - 1, 12);
    expect(r.winRate).toBe(0.5);
    const final = 100 * (11 / 12) * (10 / 11) * (13 / 12);
    expect(r.finalEquity).toBeCloseTo(final, 10);
    expect(r.pnl).toBeCloseTo(final - 100, 10);
    expect(r.maxDrawdown).toBeCloseTo(1 / 6, 12);
    const returns = [0, 0, 11 / 12 - 1, 10 / 11 - 1, 0, 0, 13 / 12 - 1];
    const mean = returns.reduce((a, b) => a + b) / 7;
    const sd = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / 6);
    expect(r.sharpe).toBeCloseTo(mean / sd, 12);
    expect(r.equity).toHaveLength(8);
  });

  it('samples a long equity curve down, keeping the last point', () => {
    const closes = Array.from({ length: 1001 }, (_, i) => 100 + Math.sin(i / 10));
    const r = smaBacktest({ starts: closes.map((_, i) => i), closes, fast: 5, slow: 20, capital: 1, periodsPerYear: 1, maxCurvePoints: 100 });
    expect(r.equity.length).toBeLessThanOrEqual(101);
    expect(r.equity.at(-1)?.ts).toBe(1000);
  });
});
