import { describe, it, expect } from 'vitest';
import { concatAll, VirtualTimeScheduler } from 'rxjs';
import { SimulatedFeed } from './simulated.js';
import type { SimulatedFeedOptions } from './simulated.js';
import { createFeed } from './index.js';
import { InvalidOptionError, UnknownFeedError } from '../errors.js';
import type { Feed, RedisFeedConnections, Tick } from '../ports.js';

/** Runs a feed for `ms` of virtual time, then unsubscribes; returns the ticks and the scheduler. */
function runFor(ms: number, options: Omit<SimulatedFeedOptions, 'scheduler'>) {
  const scheduler = new VirtualTimeScheduler(undefined, ms);
  const feed = new SimulatedFeed({ ...options, scheduler });
  const ticks: Tick[] = [];
  const subscription = feed.batches().pipe(concatAll()).subscribe((t) => ticks.push(t));
  scheduler.flush();
  subscription.unsubscribe();
  return { ticks, scheduler, feed };
}

function bySymbol(ticks: readonly Tick[]): Map<string, Tick[]> {
  const map = new Map<string, Tick[]>();
  for (const t of ticks) map.set(t.symbol, [...(map.get(t.symbol) ?? []), t]);
  return map;
}

describe('SimulatedFeed', () => {
  const symbols = ['AAPL', 'TSLA', 'ZZZQ'];

  it('trades every symbol at roughly the configured rate', () => {
    const { ticks } = runFor(20_000, { symbols, tradesPerSecond: 5, seed: 42 });
    const groups = bySymbol(ticks);
    expect([...groups.keys()].sort()).toEqual([...symbols].sort());
    for (const group of groups.values()) {
      // 20 s at 5/s = 100 expected; the jitter is uniform, so the count stays close.
      expect(group.length).toBeGreaterThanOrEqual(90);
      expect(group.length).toBeLessThanOrEqual(110);
    }
  });

  it('prints positive prices in cents, positive integer sizes, and event time from the scheduler', () => {
    const { ticks } = runFor(10_000, { symbols, tradesPerSecond: 20, seed: 7 });
    expect(ticks.length).toBeGreaterThan(500);
    let previousTs = -1;
    for (const t of ticks) {
      expect(t.price).toBeGreaterThan(0);
      expect(Math.abs(t.price * 100 - Math.round(t.price * 100))).toBeLessThan(1e-6);
      expect(Number.isInteger(t.size) && t.size > 0).toBe(true);
      expect(t.ts).toBeGreaterThanOrEqual(previousTs);
      expect(t.ts).toBeLessThanOrEqual(10_000);
      previousTs = t.ts;
    }
  });

  it('starts known tickers near their reference price and moves them realistically', () => {
    const { ticks } = runFor(60_000, { symbols: ['AAPL'], seed: 1 });
    const prices = ticks.map((t) => t.price);
    expect(prices[0]).toBeGreaterThan(188);
    expect(prices[0]).toBeLessThan(192);
    // A minute of a 25%-vol stock moves cents to a dollar or so, not tens of percent.
    expect(Math.max(...prices) / Math.min(...prices)).toBeLessThan(1.02);
    expect(new Set(prices).size).toBeGreaterThan(5);
  });

  it('gives unknown symbols a stable price derived from the symbol', () => {
    const a = runFor(1_000, { symbols: ['ZZZQ'], seed: 1 }).ticks[0];
    const b = runFor(1_000, { symbols: ['ZZZQ'], seed: 2 }).ticks[0];
    expect(a?.price).toBeGreaterThanOrEqual(9);
    expect(a?.price).toBeLessThan(1_100);
    expect(Math.abs((a?.price ?? 0) / (b?.price ?? 1) - 1)).toBeLessThan(0.01);
  });

  it('is deterministic for a seed, and differs across seeds', () => {
    const one = runFor(5_000, { symbols, seed: 123 }).ticks;
    const two = runFor(5_000, { symbols, seed: 123 }).ticks;
    const other = runFor(5_000, { symbols, seed: 124 }).ticks;
    expect(two).toEqual(one);
    expect(other).not.toEqual(one);
  });

  it('is cold: each subscription replays the seeded simulation from the start', () => {
    const scheduler = new VirtualTimeScheduler(undefined, 2_000);
    const feed = new SimulatedFeed({ symbols, seed: 9, scheduler });
    const first: Tick[] = [];
    const second: Tick[] = [];
    const s1 = feed.batches().pipe(concatAll()).subscribe((t) => first.push(t));
    const s2 = feed.batches().pipe(concatAll()).subscribe((t) => second.push(t));
    scheduler.flush();
    s1.unsubscribe();
    s2.unsubscribe();
    expect(second).toEqual(first);
  });

  it('cancels every timer on unsubscribe', () => {
    const { scheduler } = runFor(3_000, { symbols, tradesPerSecond: 50, seed: 5 });
    expect(scheduler.actions).toHaveLength(0);
  });

  it('exposes the seed it picked when none was given, so a run can be reproduced', () => {
    const feed = new SimulatedFeed({ symbols });
    expect(Number.isInteger(feed.seed)).toBe(true);
    expect(feed.tradesPerSecond).toBe(5);
  });

  it('rejects bad options with InvalidOptionError', () => {
    expect(() => new SimulatedFeed({ symbols: [] })).toThrow(InvalidOptionError);
    expect(() => new SimulatedFeed({ symbols: [''] })).toThrow(/symbols/);
    expect(() => new SimulatedFeed({ symbols, tradesPerSecond: 0 })).toThrow(/tradesPerSecond/);
    expect(() => new SimulatedFeed({ symbols, tradesPerSecond: Number.POSITIVE_INFINITY })).toThrow(
      InvalidOptionError,
    );
  });
});

describe('createFeed', () => {
  it('builds a simulated feed', () => {
    const feed = createFeed('simulated', { symbols: ['AAPL'], seed: 1 });
    expect(feed).toBeInstanceOf(SimulatedFeed);
    expect(feed.name).toBe('simulated');
  });

  it("builds a 'none' feed that never emits and never completes", () => {
    const feed: Feed = createFeed('none');
    let events = 0;
    const sub = feed.batches().pipe(concatAll()).subscribe({ next: () => events++, complete: () => events++ });
    expect(events).toBe(0);
    expect(sub.closed).toBe(false);
    sub.unsubscribe();
  });

  it('names the valid kinds when given an unknown one', () => {
    const kind = 'kafka' as unknown as 'none';
    expect(() => createFeed(kind)).toThrow(UnknownFeedError);
    expect(() => createFeed(kind)).toThrow(/simulated, replay, redis, none/);
  });

  it('builds the redis feed only with its options', () => {
    expect(() => createFeed('redis', { symbols: ['A'] })).toThrow(/redis feed needs/);
    // Built, not started: nothing connects, so the connections are never asked for.
    const redis: RedisFeedConnections = { command: () => { throw new Error('not started in this test'); }, connect: async () => {}, describe: () => 'unused' };
    expect(createFeed('redis', { symbols: ['A'], redis: { redis, stream: 's', group: 'g', consumer: 'c' } }).name).toBe('redis');
  });
});
