import { describe, it, expect } from 'vitest';
import { BarStore } from './bar-store.js';
import { queryBars } from './bars-query.js';
import { InvalidOptionError, InvalidParamsError, UnknownIntervalError } from '../errors.js';
import type { Bar } from '../ports.js';

const bar = (start: number, interval = '1m', symbol = 'A'): Bar => ({
  symbol, interval, start, end: start + 60_000, open: 1, high: 1, low: 1, close: 1, volume: 1, vwap: 1, trades: 1, final: true,
});

describe('BarStore', () => {
  it('keeps the newest `capacity` bars per series, oldest dropped, and finds positions by start', () => {
    const store = new BarStore(['1m', '1s'], 3);
    for (let i = 0; i < 5; i++) store.add(bar(i * 60_000));
    store.add(bar(0, '1s'));
    expect(store.size('A', '1m')).toBe(3);
    expect(store.size('A', '1s')).toBe(1);
    expect(store.size('B', '1m')).toBe(0);
    expect(store.slice('A', '1m', 0, 10).map((b) => b.start)).toEqual([120_000, 180_000, 240_000]);
    expect(store.slice('A', '1m', 1, 2).map((b) => b.start)).toEqual([180_000]);
    expect(store.countBefore('A', '1m', 180_000)).toBe(1);
    expect(store.countBefore('A', '1m', 180_001)).toBe(2);
    expect(store.countBefore('A', '1m', 0)).toBe(0);
    expect(store.countBefore('A', '1m', 1e12)).toBe(3);
  });

  it('ignores a bar that is not newer than the newest of its series', () => {
    const store = new BarStore(['1m'], 5);
    store.add(bar(60_000));
    store.add(bar(60_000));
    store.add(bar(0));
    expect(store.size('A', '1m')).toBe(1);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new BarStore(['1m'], 0)).toThrow(InvalidOptionError);
  });
});

describe('queryBars', () => {
  const store = new BarStore(['1s', '1m'], 10);
  for (let i = 0; i < 10; i++) store.add(bar(i * 60_000));
  const source = { store, hasSymbol: (s: string) => s === 'A', symbols: () => ['A'] };

  it('defaults to 1m and the newest 100, and takes numbers as strings', () => {
    expect(queryBars(source, { symbol: 'A' }).items).toHaveLength(10);
    expect(queryBars(source, { symbol: 'A', limit: '2' }).items.map((b) => b.start)).toEqual([480_000, 540_000]);
    expect(queryBars(source, { symbol: 'A', interval: '1s' }).items).toEqual([]);
  });

  it('throws typed errors for bad params', () => {
    expect(() => queryBars(source, null)).toThrow(InvalidParamsError);
    expect(() => queryBars(source, { symbol: 'A', interval: '1h' })).toThrow(UnknownIntervalError);
    expect(() => queryBars(source, { symbol: 'A', fields: '' })).toThrow(/at least one/);
    expect(() => queryBars(source, { symbol: 'A', limit: 2.5 })).toThrow(InvalidParamsError);
  });
});
