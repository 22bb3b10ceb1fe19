/** One cumulative bucket: observations at or below `le` (the last is +Infinity). */
export interface Bucket {
  le: number;
  count: number;
}

/** What prom-client's Histogram.get() resolves to, as far as this file reads it. */
export interface HistogramValues {
  values: readonly { value: number; labels: object; metricName?: string }[];
}

/** One label set of a histogram, its `le` buckets summed into one cumulative series. */
export interface HistogramSeries<L extends string> {
  labels: Record<L, string>;
  buckets: Bucket[];
  count: number;
  sum: number;
}

/**
 * The q-quantile (0..1) of cumulative buckets, as Prometheus' histogram_quantile() computes it:
 * find the bucket holding rank q*count and interpolate linearly inside it (the first bucket starts
 * at 0). A rank in the +Inf bucket answers the highest finite bound. No observations: undefined.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | undefined {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0 || buckets.length < 2) return undefined;
  const rank = Math.min(1, Math.max(0, q)) * total;
  let i = buckets.findIndex((b) => b.count >= rank);
  if (i < 0) i = buckets.length - 1;
  const bucket = buckets[i] as Bucket;
  if (bucket.le === Number.POSITIVE_INFINITY) return (buckets[buckets.length - 2] as Bucket).le;
  const start = i === 0 ? 0 : (buckets[i - 1] as Bucket).le;
  const below = i === 0 ? 0 : (buckets[i - 1] as Bucket).count;
  const inBucket = bucket.count - below;
  if (inBucket === 0) return bucket.le;
  return start + (bucket.le - start) * ((rank - below) / inBucket);
}

/**
 * Groups a prom-client histogram's values by the chosen labels, adding up the series that differ
 * only in other labels (e.g. per route and method, summing the statuses).
 */
export function histogramSeries<L extends string>(metric: HistogramValues, by: readonly L[]): HistogramSeries<L>[] {
  const series = new Map<string, { labels: Record<L, string>; byLe: Map<number, number>; count: number; sum: number }>();
  for (const v of metric.values) {
    const labels = Object.fromEntries(by.map((l) => [l, String((v.labels as Record<string, unknown>)[l] ?? '')])) as Record<L, string>;
    const key = JSON.stringify(labels);
    let s = series.get(key);
    if (!s) series.set(key, (s = { labels, byLe: new Map(), count: 0, sum: 0 }));
    const name = v.metricName ?? '';
    if (name.endsWith('_bucket')) {
      const raw = (v.labels as Record<string, unknown>).le;
      const le = raw === '+Inf' ? Number.POSITIVE_INFINITY : Number(raw);
      s.byLe.set(le, (s.byLe.get(le) ?? 0) + v.value);
    } else if (name.endsWith('_count')) s.count += v.value;
    else if (name.endsWith('_sum')) s.sum += v.value;
  }
  return [...series.values()].map((s) => ({
    labels: s.labels,
    buckets: [...s.byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le),
    count: s.count,
    sum: s.sum,
  }));
}
