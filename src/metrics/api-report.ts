import type { EngineMetrics } from './engine-metrics.js';
import { histogramQuantile, histogramSeries, type Bucket } from './histogram-quantile.js';

export interface LatencyPercentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** `GET /performance/metrics/api`. */
export interface ApiReport {
  /** How the percentiles are computed, for whoever reads the JSON without the README. */
  percentiles: string;
  routes: { route: string; method: string; requests: number; byStatus: Record<string, number>; meanMs: number; latencyMs: LatencyPercentiles }[];
  commands: { method: string; count: number; meanMs: number; latencyMs: LatencyPercentiles }[];
}

const HOW = 'cumulative since start, from the Prometheus histograms, interpolated within buckets as histogram_quantile() does';

/**
 * Per-route HTTP and per-method WebSocket command figures, read from the engine's Prometheus
 * histograms so this endpoint and a Prometheus server agree.
 */
export async function apiReport(metrics: EngineMetrics): Promise<ApiReport> {
  const http = await metrics.httpDuration.get();
  const byStatus = new Map<string, Record<string, number>>();
  for (const s of histogramSeries(http, ['route', 'method', 'status'] as const)) {
    const key = `${s.labels.method} ${s.labels.route}`;
    const counts = byStatus.get(key) ?? {};
    counts[s.labels.status] = s.count;
    byStatus.set(key, counts);
  }
  const routes = histogramSeries(http, ['route', 'method'] as const).map((s) => ({
    route: s.labels.route,
    method: s.labels.method.toUpperCase(),
    requests: s.count,
    byStatus: byStatus.get(`${s.labels.method} ${s.labels.route}`) ?? {},
    meanMs: mean(s.sum, s.count),
    latencyMs: percentiles(s.buckets),
  }));
  const commands = histogramSeries(await metrics.commandLatency.get(), ['method'] as const).map((s) => ({
    method: s.labels.method,
    count: s.count,
    meanMs: mean(s.sum, s.count),
    latencyMs: percentiles(s.buckets),
  }));
  routes.sort((a, b) => a.route.localeCompare(b.route) || a.method.localeCompare(b.method));
  commands.sort((a, b) => a.method.localeCompare(b.method));
  return { percentiles: HOW, routes, commands };
}

function percentiles(buckets: Bucket[]): LatencyPercentiles {
  const ms = (q: number) => {
    const seconds = histogramQuantile(q, buckets);
    return seconds === undefined ? null : seconds * 1000;
  };
  return { p50: ms(0.5), p95: ms(0.95), p99: ms(0.99) };
}

function mean(sumSeconds: number, count: number): number {
  return count === 0 ? 0 : (sumSeconds / count) * 1000;
}
