import type { Registry } from 'prom-client';

/** One label set's running figures; what a hot path holds and feeds. */
export class HistogramSeriesCounts {
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

interface HistogramValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * A labelled Prometheus histogram whose per-observation cost is a bucket search and three
 * additions. prom-client's Histogram hashes and validates the label object on every observe,
 * even through `labels()`, which cost more than the rest of a cached HTTP response. Callers look
 * a series up once per label set and keep it; the registry formats it like any other metric.
 */
export class BucketHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, { labels: Record<L, string>; counts: HistogramSeriesCounts }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly bounds: readonly number[],
    registry: Registry,
    /** Distinct label sets kept; beyond it observations go to one `overflow` series. */
    private readonly maxSeries = 1000,
  ) {
    // The registry only reads name, help, type and get(); the cast is to its Metric class type.
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series of a label set, created on first use. Keep it: this is the slow part. */
  for(labels: Record<L, string>): HistogramSeriesCounts {
    const key = this.labelNames.map((l) => labels[l]).join('\u0000');
    const s = this.series.get(key);
    if (s) return s.counts;
    if (this.series.size < this.maxSeries) return this.add(key, { ...labels });
    const overflow = this.labelNames.map(() => 'overflow').join('\u0000');
    return this.series.get(overflow)?.counts ?? this.add(overflow, Object.fromEntries(this.labelNames.map((l) => [l, 'overflow'])) as Record<L, string>);
  }

  private add(key: string, labels: Record<L, string>): HistogramSeriesCounts {
    const counts = new HistogramSeriesCounts(this.bounds);
    this.series.set(key, { labels, counts });
    return counts;
  }

  /** prom-client's metric shape: cumulative `_bucket` values with `le`, then `_sum` and `_count`. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: HistogramValue[] }> {
    const values: HistogramValue[] = [];
    for (const { labels, counts } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += counts.counts[i] as number;
        values.push({ labels: { le: i < this.bounds.length ? (this.bounds[i] as number) : '+Inf', ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { ...labels }, value: counts.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...labels }, value: counts.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Observation counts summed over every label but `by`: counters derived from this histogram. */
  countsBy<K extends L>(by: readonly K[]): { labels: Record<K, string>; count: number }[] {
    const out = new Map<string, { labels: Record<K, string>; count: number }>();
    for (const { labels, counts } of this.series.values()) {
      const key = by.map((l) => labels[l]).join('\u0000');
      const entry = out.get(key);
      if (entry) entry.count += counts.count;
      else out.set(key, { labels: Object.fromEntries(by.map((l) => [l, labels[l]])) as Record<K, string>, count: counts.count });
    }
    return [...out.values()];
  }

  /** Zeroes every series in place: callers keep the series they looked up. */
  reset(): void {
    for (const { counts } of this.series.values()) {
      counts.counts.fill(0);
      counts.sum = 0;
      counts.count = 0;
    }
  }
}
