import { HistogramSeriesCounts } from '../metrics/bucket-histogram.js';
import { histogramQuantile, type Bucket } from '../metrics/histogram-quantile.js';

/**
 * Upper bounds (seconds) of the latency buckets of every named query: doubling from 50 µs to
 * 105 s, so a quantile is read within a factor of two anywhere from a prepared point lookup on
 * loopback to a COPY of a large batch or a query stuck behind a lock. Fixed, so memory per name
 * is 23 numbers however many queries run.
 */
export const QUERY_SECONDS_BOUNDS: readonly number[] = Array.from({ length: 22 }, (_, k) => 0.00005 * 2 ** k);

/** Names kept apart at most; further names are counted together under OVERFLOW_NAME. */
export const MAX_QUERY_NAMES = 256;
export const OVERFLOW_NAME = 'other';

/** Calls, errors and time of one named query. */
export interface QueryStats { calls: number; errors: number; seconds: number }

/** QueryStats with latency quantiles (seconds; null before the first call). */
export interface QueryLatencyReport extends QueryStats { p50: number | null; p95: number | null; p99: number | null }

interface Series extends QueryStats { histogram: HistogramSeriesCounts }

/**
 * Per query name: calls, errors, total seconds and a fixed-bucket latency histogram. Names come
 * from code, not input, but a bug that builds names from data must not grow memory without end:
 * past MAX_QUERY_NAMES they share one series.
 */
export class QueryLatency {
  private readonly series = new Map<string, Series>();

  /** The series of a name, created on first use. */
  private of(name: string): Series {
    let s = this.series.get(name);
    if (s) return s;
    const key = this.series.size < MAX_QUERY_NAMES ? name : OVERFLOW_NAME;
    s = this.series.get(key);
    if (!s) this.series.set(key, (s = { calls: 0, errors: 0, seconds: 0, histogram: new HistogramSeriesCounts(QUERY_SECONDS_BOUNDS) }));
    return s;
  }

  record(name: string, seconds: number, failed: boolean): void {
    const s = this.of(name);
    s.calls++;
    if (failed) s.errors++;
    s.seconds += seconds;
    s.histogram.observe(seconds);
  }

  /** Calls, errors and seconds by name (what the Prometheus counters read). */
  stats(): Record<string, QueryStats> {
    return Object.fromEntries([...this.series].map(([name, s]) => [name, { calls: s.calls, errors: s.errors, seconds: s.seconds }]));
  }

  /** With p50/p95/p99 from the buckets (interpolated within one, as Prometheus' histogram_quantile does). */
  report(): Record<string, QueryLatencyReport> {
    return Object.fromEntries([...this.series].map(([name, s]) => {
      const buckets = cumulative(s.histogram);
      const q = (p: number) => histogramQuantile(p, buckets) ?? null;
      return [name, { calls: s.calls, errors: s.errors, seconds: s.seconds, p50: q(0.5), p95: q(0.95), p99: q(0.99) }];
    }));
  }

  /** The histograms themselves, for the `supernova_db_query_seconds` Prometheus histogram. */
  histograms(): ReadonlyMap<string, HistogramSeriesCounts> {
    return new Map([...this.series].map(([name, s]) => [name, s.histogram]));
  }
}

function cumulative(h: HistogramSeriesCounts): Bucket[] {
  let total = 0;
  return Array.from(h.counts, (n, i) => {
    total += n;
    return { le: i < QUERY_SECONDS_BOUNDS.length ? (QUERY_SECONDS_BOUNDS[i] as number) : Number.POSITIVE_INFINITY, count: total };
  });
}
