import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../shared/latency-histogram.js';
import { latencySummary, percentile } from './latency-summary.js';
import { MAX_TIMELINE_POINTS, Recorder } from './recorder.js';

describe('percentile math', () => {
  it('nearest-rank percentiles of raw samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 95)).toBe(95);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile([], 99)).toBe(0);
    expect(percentile([7], 50)).toBe(7);
  });

  it('summarizes a histogram: average exact, percentiles within the bucket error', () => {
    const h = new LatencyHistogram();
    // 1..1000 ms, uniform: avg 500.5, p50 500, p95 950, p99 990.
    for (let ms = 1; ms <= 1000; ms++) h.recordMs(ms);
    const s = latencySummary(h);
    expect(s.count).toBe(1000);
    expect(s.avgMs).toBeCloseTo(500.5, 6);
    for (const [got, want] of [[s.p50Ms, 500], [s.p95Ms, 950], [s.p99Ms, 990], [s.maxMs, 1000]] as const) {
      expect(Math.abs(got - want) / want).toBeLessThan(0.016);
    }
  });

  it('histogram buckets list midpoints in ascending order with their counts', () => {
    const h = new LatencyHistogram();
    h.recordUs(5);
    h.recordUs(5);
    h.recordUs(10_000);
    const b = h.buckets();
    expect(b[0]).toEqual([5, 2]);
    expect(b).toHaveLength(2);
    expect(Math.abs((b[1]?.[0] ?? 0) - 10_000) / 10_000).toBeLessThan(0.016);
  });
});

describe('Recorder', () => {
  it('rates per interval, errors by kind, and totals', () => {
    const r = new Recorder(0);
    for (let i = 0; i < 10; i++) r.requestDone(2);
    r.requestFailed('publish:111');
    r.error('connect:timeout');
    for (let i = 0; i < 40; i++) r.delivered(1);
    const p = r.tick({ serverRssMiB: 50 }, 2000);
    expect(p).toMatchObject({ t: 2, requestsPerS: 5.5, messagesPerS: 20, errors: 2, serverRssMiB: 50 });
    expect(r.tick({}, 3000)).toMatchObject({ requestsPerS: 0, messagesPerS: 0, errors: 0, responseP99Ms: 0 });
    const t = r.totals();
    expect(t).toMatchObject({ requests: 11, messages: 40, errors: 2, errorsByKind: { 'publish:111': 1, 'connect:timeout': 1 } });
    expect(t.response.count).toBe(10);
  });

  it('keeps the timeline bounded by merging neighbours', () => {
    const r = new Recorder(0);
    for (let i = 1; i <= MAX_TIMELINE_POINTS + 1; i++) r.tick({}, i * 1000);
    expect(r.timeline.length).toBeLessThanOrEqual(MAX_TIMELINE_POINTS / 2 + 1);
    expect(r.timeline[r.timeline.length - 1]?.t).toBe(MAX_TIMELINE_POINTS + 1);
  });
});
