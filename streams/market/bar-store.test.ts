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

  it('grows a series past its first rows, then keeps the newest `capacity` in order, values exact', () => {
    const store = new BarStore(['1s'], 200);
    const priced = (i: number): Bar => ({ ...bar(i * 1_000, '1s'), end: i * 1_000 + 1_000, open: 168.83 + i / 100, high: 169.01, low: 168.7, close: 168.9, volume: 100 * i, vwap: 168.8731, trades: i });
    for (let i = 0; i < 150; i++) store.add(priced(i));
    expect(store.size('A', '1s')).toBe(150);
    expect(store.slice('A', '1s', 0, 150)).toEqual(Array.from({ length: 150 }, (_, i) => priced(i)));
    for (let i = 150; i < 450; i++) store.add(priced(i));
    expect(store.size('A', '1s')).toBe(200);
    expect(store.slice('A', '1s', 0, 200).map((b) => b.start)).toEqual(Array.from({ length: 200 }, (_, i) => (250 + i) * 1_000));
    expect(store.slice('A', '1s', 199, 200)).toEqual([priced(449)]);
    expect(store.countBefore('A', '1s', 300_000)).toBe(50);
    expect(store.countBefore('A', '1s', 300_001)).toBe(51);
  });

  it('keeps only closed bars', () => {
    const store = new BarStore(['1m'], 5);
    store.add({ ...bar(0), final: false });
    expect(store.size('A', '1m')).toBe(0);
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
