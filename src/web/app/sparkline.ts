/**
 * Recent prices of one symbol for its sparkline: one point per bucket of `bucketMs` (the latest
 * price in it), at most `capacity` points; the oldest point is dropped when full. History (bar
 * closes) and live prices meet in the same buckets, so seeding after live prices arrived is safe.
 */
export class SparklineSeries {
  private buckets: number[] = [];
  private points: number[] = [];

  constructor(private readonly capacity = 120, private readonly bucketMs = 1000) {}

  /** A live price; one older than the newest bucket is stale and ignored. */
  push(ts: number, price: number): void {
    if (!Number.isFinite(price) || !Number.isFinite(ts)) return;
    const bucket = Math.floor(ts / this.bucketMs);
    const newest = this.buckets[this.buckets.length - 1];
    if (newest !== undefined && bucket < newest) return;
    if (bucket === newest) {
      this.points[this.points.length - 1] = price;
      return;
    }
    this.buckets.push(bucket);
    this.points.push(price);
    this.trim();
  }

  /** History, oldest first: the points before the first live one are filled in. */
  seed(history: readonly { ts: number; price: number }[]): void {
    const first = this.buckets[0] ?? Number.POSITIVE_INFINITY;
    const buckets: number[] = [];
    const points: number[] = [];
    for (const { ts, price } of history) {
      const bucket = Math.floor(ts / this.bucketMs);
      if (!Number.isFinite(price) || !(bucket < first) || bucket <= (buckets[buckets.length - 1] ?? Number.NEGATIVE_INFINITY)) continue;
      buckets.push(bucket);
      points.push(price);
    }
    this.buckets = [...buckets, ...this.buckets];
    this.points = [...points, ...this.points];
    this.trim();
  }

  values(): readonly number[] {
    return this.points;
  }

  /** SVG polyline points scaled into a width x height box (y grows downwards). */
  polyline(width: number, height: number): string {
    const n = this.points.length;
    if (n === 0) return '';
    const min = Math.min(...this.points);
    const span = Math.max(...this.points) - min || 1;
    const step = n > 1 ? width / (this.capacity - 1) : 0;
    const x0 = width - step * (n - 1);
    return this.points
      .map((p, i) => `${(x0 + i * step).toFixed(1)},${(height - 1 - ((p - min) / span) * (height - 2)).toFixed(1)}`)
      .join(' ');
  }

  private trim(): void {
    const excess = this.points.length - this.capacity;
    if (excess <= 0) return;
    this.buckets.splice(0, excess);
    this.points.splice(0, excess);
  }
}
