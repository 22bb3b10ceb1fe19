import type { Bar } from '../ports.js';
import { InvalidOptionError } from '../errors.js';

/** Read side of the closed-bar store: what the bars API and RPC need. */
export interface BarStoreView {
  /** Interval names, in configuration order. */
  readonly intervals: readonly string[];
  /** Closed bars kept for a series (symbol, interval); 0 when none. */
  size(symbol: string, interval: string): number;
  /** Closed bars [from, to) of a series, 0 being the oldest kept, ascending by start. */
  slice(symbol: string, interval: string, from: number, to: number): Bar[];
  /** How many kept bars of a series start before `start` (the index of the first that does not). */
  countBefore(symbol: string, interval: string, start: number): number;
}

/**
 * The last `capacity` closed bars per symbol and interval, in memory. When a series is full the
 * oldest bar is dropped. Bars arrive in start order per series (the watermark closes them in
 * order), which keeps each ring sorted for binary search.
 */
export class BarStore implements BarStoreView {
  readonly intervals: readonly string[];
  private readonly series = new Map<string, Map<string, BarRing>>();

  constructor(
    intervals: readonly string[],
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new InvalidOptionError('capacity', `must be a positive integer, got ${capacity}`);
    this.intervals = [...intervals];
  }

  /** Keeps a closed bar; a bar that is not newer than the series' newest is ignored. */
  add(bar: Bar): void {
    let bySymbol = this.series.get(bar.symbol);
    if (!bySymbol) this.series.set(bar.symbol, (bySymbol = new Map()));
    let ring = bySymbol.get(bar.interval);
    if (!ring) bySymbol.set(bar.interval, (ring = new BarRing(this.capacity)));
    const newest = ring.at(ring.size - 1);
    if (newest && newest.start >= bar.start) return;
    ring.push(bar);
  }

  size(symbol: string, interval: string): number {
    return this.ring(symbol, interval)?.size ?? 0;
  }

  slice(symbol: string, interval: string, from: number, to: number): Bar[] {
    const ring = this.ring(symbol, interval);
    if (!ring) return [];
    const out: Bar[] = [];
    for (let i = Math.max(0, from); i < Math.min(to, ring.size); i++) out.push(ring.at(i) as Bar);
    return out;
  }

  countBefore(symbol: string, interval: string, start: number): number {
    const ring = this.ring(symbol, interval);
    if (!ring) return 0;
    let lo = 0;
    let hi = ring.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ring.at(mid) as Bar).start < start) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private ring(symbol: string, interval: string): BarRing | undefined {
    return this.series.get(symbol)?.get(interval);
  }
}

/** Fixed-capacity FIFO overwriting its oldest bar: no array shifting per closed bar. */
class BarRing {
  private readonly items: (Bar | undefined)[];
  private head = 0;
  private count = 0;

  constructor(private readonly capacity: number) {
    this.items = new Array<Bar | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(bar: Bar): void {
    this.items[(this.head + this.count) % this.capacity] = bar;
    if (this.count < this.capacity) this.count++;
    else this.head = (this.head + 1) % this.capacity;
  }

  /** Bar i from the oldest (0) to the newest (size - 1). */
  at(i: number): Bar | undefined {
    return i < 0 || i >= this.count ? undefined : this.items[(this.head + i) % this.capacity];
  }
}
