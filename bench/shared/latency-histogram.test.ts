import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './latency-histogram.js';

describe('LatencyHistogram', () => {
  it('gives percentiles within the bucket error', () => {
    const h = new LatencyHistogram();
    for (let us = 1; us <= 100_000; us++) h.recordUs(us);
    expect(h.count).toBe(100_000);
    expect(Math.abs(h.percentileUs(50) - 50_000) / 50_000).toBeLessThan(0.02);
    expect(Math.abs(h.percentileUs(99) - 99_000) / 99_000).toBeLessThan(0.02);
    expect(h.maxValueUs).toBe(100_000);
  });

  it('is exact below 128 µs, clamps negatives, and merges', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.recordUs(-3);
    a.recordUs(5);
    b.recordMs(60_000);
    a.merge(b.toSparse());
    expect(a.count).toBe(3);
    expect(a.percentileUs(1)).toBe(0);
    expect(a.percentileUs(50)).toBe(5);
    expect(Math.abs(a.percentileUs(100) - 60_000_000) / 60_000_000).toBeLessThan(0.02);
  });
});
