import type { LatencyHistogram } from '../shared/latency-histogram.js';

/** The response-time figures of a summary, in milliseconds. */
export interface LatencySummary {
  count: number;
  avgMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function latencySummary(h: LatencyHistogram): LatencySummary {
  return {
    count: h.count,
    avgMs: h.meanUs / 1000,
    p50Ms: h.percentileUs(50) / 1000,
    p95Ms: h.percentileUs(95) / 1000,
    p99Ms: h.percentileUs(99) / 1000,
    maxMs: h.maxValueUs / 1000,
  };
}

/**
 * Exact percentile of raw samples (nearest rank): for the few values a report computes directly,
 * like per-step figures of tests. Returns 0 for no samples.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length));
  return sorted[rank - 1] ?? 0;
}
