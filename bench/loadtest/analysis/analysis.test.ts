import { describe, expect, it } from 'vitest';
import { findBreakingPoint, stressLadder, type StressLevel, type StressMeasurement } from './breaking-point.js';
import { leakVerdict, type MemorySample } from './leak-verdict.js';
import { linearFit } from './regression.js';
import { stability } from './stability.js';
import type { TimelinePoint } from '../recorder.js';

describe('linearFit', () => {
  it('finds slope, intercept and a perfect fit', () => {
    const f = linearFit([[0, 1], [1, 3], [2, 5], [3, 7]]);
    expect(f.slope).toBeCloseTo(2, 9);
    expect(f.intercept).toBeCloseTo(1, 9);
    expect(f.r2).toBeCloseTo(1, 9);
  });
  it('says no trend for a flat or a single-point series', () => {
    expect(linearFit([[0, 4], [1, 4], [2, 4]])).toMatchObject({ slope: 0, r2: 0 });
    expect(linearFit([[0, 4]])).toMatchObject({ slope: 0, intercept: 4, r2: 0 });
  });
});

/** A deterministic wobble (GC sawtooth) so tests do not depend on randomness. */
const wobble = (i: number) => ((i * 7919) % 13) / 13 - 0.5;

describe('leakVerdict', () => {
  const series = (f: (t: number, i: number) => number): MemorySample[] => Array.from({ length: 60 }, (_, i) => ({ t: i, rssMiB: f(i, i), heapMiB: undefined }));

  it('flags memory that climbs steadily', () => {
    const v = leakVerdict(series((t, i) => 80 + t * 0.5 + wobble(i)));
    expect(v.verdict).toBe('leak');
    expect(v.trends[0]?.slopeMiBPerMin).toBeCloseTo(30, 0);
  });
  it('does not flag memory that wobbles around a level after warm-up growth', () => {
    const v = leakVerdict(series((t, i) => (t < 10 ? 50 + t * 3 : 80) + 3 * wobble(i)));
    expect(v.verdict).toBe('no-leak');
  });
  it('does not flag a small drift that adds no real share of memory', () => {
    // +0.3 MiB over the window of an 800 MiB server: under 5 %.
    expect(leakVerdict(series((t) => 800 + t * 0.005)).verdict).toBe('no-leak');
  });
  it('is inconclusive with too few samples', () => {
    expect(leakVerdict([{ t: 0, rssMiB: 1, heapMiB: 1 }]).verdict).toBe('inconclusive');
  });
});

/** A model server: p99 grows with offered requests/s and errors appear past a capacity. */
function model(capacity: number) {
  return async (l: StressLevel): Promise<StressMeasurement> => {
    const offered = l.users * l.ratePerUser;
    return { ...l, requestsPerS: offered, messagesPerS: offered * 10, p99Ms: 5 + (offered / capacity) ** 4 * 500, errorRate: offered > capacity * 1.5 ? 0.2 : 0 };
  };
}

describe('breaking-point search', () => {
  const ladder = stressLadder({ users: 10, ratePerUser: 1 }, { usersFactor: 2, rateFactor: 2, maxUsers: 1000, steps: 8 });

  it('builds a geometric ladder with users capped', () => {
    expect(ladder.map((l) => l.users)).toEqual([10, 20, 40, 80, 160, 320, 640, 1000]);
    expect(ladder.map((l) => l.ratePerUser)).toEqual([1, 2, 4, 8, 16, 32, 64, 128]);
  });
  it('stops at the first level past p99 1 s and reports the last that held', async () => {
    // Offered: 10, 40, 160, 640, 2560... capacity 1000: 640 holds (p99 ~ 89 ms), 2560 breaks.
    const r = await findBreakingPoint(ladder, model(1000));
    expect(r.steps).toHaveLength(5);
    expect(r.lastHeld).toMatchObject({ users: 80, ratePerUser: 8 });
    expect(r.breakingPoint).toMatchObject({ users: 160, ratePerUser: 16 });
    expect(r.breakingPoint?.broke).toMatch(/error rate 20.0 %/);
    expect(r.summary).toMatch(/breaks at 160 users/);
  });
  it('breaks on latency alone', async () => {
    const r = await findBreakingPoint(ladder, async (l) => ({ ...l, requestsPerS: 1, messagesPerS: 1, errorRate: 0, p99Ms: l.users >= 40 ? 1500 : 10 }));
    expect(r.breakingPoint?.users).toBe(40);
    expect(r.breakingPoint?.broke).toMatch(/p99 1500 ms > 1000 ms/);
  });
  it('reports no breaking point when every level holds, and honours a stop request', async () => {
    const all = await findBreakingPoint(ladder, model(1e12));
    expect(all.breakingPoint).toBeUndefined();
    expect(all.summary).toMatch(/no breaking point within the ladder/);
    let n = 0;
    const stopped = await findBreakingPoint(ladder, async (l) => ((n += 1), model(1e12)(l)), undefined, () => n >= 2);
    expect(stopped.steps).toHaveLength(2);
    expect(stopped.summary).toMatch(/stopped after 2 of 8/);
  });
});

describe('stability', () => {
  const point = (t: number, rss: number, p99: number): TimelinePoint => ({ t, requestsPerS: 10, messagesPerS: 10, errors: 0, connectedUsers: 1, responseP50Ms: 1, responseP99Ms: p99, deliveryP50Ms: 1, deliveryP99Ms: 1, serverRssMiB: rss });
  it('is stable with flat memory, no errors and flat latency', () => {
    const s = stability(Array.from({ length: 30 }, (_, i) => point(i, 100 + wobble(i), 3 + wobble(i))), 0);
    expect(s.stable).toBe(true);
    expect(Math.abs(s.rssGrowthPct ?? 99)).toBeLessThan(2);
  });
  it('names every reason it is not', () => {
    const s = stability(Array.from({ length: 30 }, (_, i) => point(i, 100 + i * 2, 3 + i)), 4);
    expect(s.stable).toBe(false);
    expect(s.reasons.join('; ')).toMatch(/RSS grew .* %.*4 errors.*p99 drifted/);
  });
});
