import { describe, expect, it } from 'vitest';
import { MAX_QUERY_NAMES, OVERFLOW_NAME, QUERY_SECONDS_BOUNDS, QueryLatency } from './query-latency.js';

describe('QueryLatency', () => {
  it('reads p50/p95/p99 per name within a bucket of the true value', () => {
    const l = new QueryLatency();
    // 1..1000 ms: p50 ~ 500 ms, p95 ~ 950 ms, p99 ~ 990 ms; buckets double, so within a factor of 2.
    for (let ms = 1; ms <= 1000; ms++) l.record('slow', ms / 1000, ms % 100 === 0);
    for (let i = 0; i < 100; i++) l.record('fast', 0.0002, false);
    const r = l.report();
    expect(r.slow).toMatchObject({ calls: 1000, errors: 10 });
    expect(r.slow?.seconds).toBeCloseTo(500.5, 6);
    for (const [q, truth] of [[r.slow?.p50, 0.5], [r.slow?.p95, 0.95], [r.slow?.p99, 0.99]] as const) {
      expect(q).toBeGreaterThan(truth / 2);
      expect(q).toBeLessThan(truth * 2);
    }
    expect(r.fast?.p99).toBeLessThanOrEqual(0.0004);
    expect(r.fast?.p50).toBeGreaterThan(0.0001);
  });

  it('a name never called has no entry; a name past the limit shares one series', () => {
    const l = new QueryLatency();
    expect(l.report()).toEqual({});
    for (let i = 0; i < MAX_QUERY_NAMES + 50; i++) l.record(`q${i}`, 0.001, false);
    const names = Object.keys(l.stats());
    expect(names.length).toBe(MAX_QUERY_NAMES + 1);
    expect(l.stats()[OVERFLOW_NAME]?.calls).toBe(50);
  });

  it('a latency past the last bound lands in +Inf and reports the highest bound, not infinity', () => {
    const l = new QueryLatency();
    l.record('stuck', 1_000, true);
    const top = QUERY_SECONDS_BOUNDS.at(-1) as number;
    expect(l.report().stuck?.p99).toBe(top);
    expect(l.histograms().get('stuck')?.counts.at(-1)).toBe(1);
  });
});
