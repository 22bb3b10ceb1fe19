/**
 * Recent prices of one symbol for its sparkline: one point per second (the latest price in that
 * second), at most `capacity` points; the oldest point is dropped when full.
 */
export class SparklineSeries {
  private readonly points: number[] = [];
  private lastSecond = -1;

  constructor(private readonly capacity = 120) {}

  push(ts: number, price: number): void {
    if (!Number.isFinite(price)) return;
    const second = Math.floor(ts / 1000);
    if (second === this.lastSecond && this.points.length > 0) {
      this.points[this.points.length - 1] = price;
      return;
    }
    this.lastSecond = second;
    this.points.push(price);
    if (this.points.length > this.capacity) this.points.shift();
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
}
