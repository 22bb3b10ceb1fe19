import type { Registry } from 'prom-client';
import { BucketHistogram, type HistogramSeriesCounts } from '../metrics/bucket-histogram.js';
import { histogramQuantile } from '../metrics/histogram-quantile.js';

/** What is timed: a read of each tier, a caller's load, and a whole get that missed L1. */
export type TimedOp = 'l1' | 'l2' | 'l3' | 'load' | 'get';
export const TIMED_OPS: readonly TimedOp[] = ['l1', 'l2', 'l3', 'load', 'get'];

/** 1 µs to 5 s in 1-2-5 steps: an L1 read is well under the first, a slow load near the last. */
const BOUNDS = [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1, 2, 5];

/** Quantiles in microseconds, interpolated inside the fixed buckets (so within one 1-2-5 step). */
export interface LatencySummary {
  count: number;
  meanUs: number | null;
  p50Us: number | null;
  p95Us: number | null;
  p99Us: number | null;
}

/**
 * Latencies as one fixed-bucket histogram per operation: `supernova_cache_latency_seconds{tier}`
 * in Prometheus, quantiles in /performance/metrics/cache. An observation is a bucket search
 * and three additions (BucketHistogram).
 */
export class CacheLatency {
  private readonly series: Record<TimedOp, HistogramSeriesCounts>;

  constructor(registry: Registry) {
    const h = new BucketHistogram('supernova_cache_latency_seconds', 'Cache operation latency: a read of each tier (l1 sampled, one read in 64), a caller\'s load, and a whole get that missed L1', ['tier'], BOUNDS, registry);
    this.series = Object.fromEntries(TIMED_OPS.map((op) => [op, h.for({ tier: op })])) as Record<TimedOp, HistogramSeriesCounts>;
  }

  observe(op: TimedOp, seconds: number): void {
    this.series[op].observe(seconds);
  }

  summary(op: TimedOp): LatencySummary {
    const s = this.series[op];
    let cumulative = 0;
    const buckets = BOUNDS.map((le, i) => ({ le, count: (cumulative += s.counts[i] as number) }));
    buckets.push({ le: Number.POSITIVE_INFINITY, count: cumulative + (s.counts[BOUNDS.length] as number) });
    const us = (q: number) => {
      const v = histogramQuantile(q, buckets);
      return v === undefined ? null : round(v * 1e6);
    };
    return { count: s.count, meanUs: s.count === 0 ? null : round((s.sum / s.count) * 1e6), p50Us: us(0.5), p95Us: us(0.95), p99Us: us(0.99) };
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;
