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
 * order), which keeps each series sorted for binary search.
 *
 * A series keeps its bars as rows of numbers in one Float64Array, not as Bar objects: a bar
 * object with its boxed numbers is eight heap objects, which the young-generation collector
 * would copy (twice) for every bar of the day, and a typed array's numbers are outside the
 * heap; a row is also a third of the memory. Reads make Bar objects for the page asked for.
 */
export class BarStore implements BarStoreView {
  readonly intervals: readonly string[];
  private readonly series = new Map<string, Map<string, BarSeries>>();

  constructor(
    intervals: readonly string[],
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new InvalidOptionError('capacity', `must be a positive integer, got ${capacity}`);
    this.intervals = [...intervals];
  }

  /** Keeps a closed bar; one that is not final, or not newer than the series' newest, is ignored. */
  add(bar: Bar): void {
    if (!bar.final) return;
    let bySymbol = this.series.get(bar.symbol);
    if (!bySymbol) this.series.set(bar.symbol, (bySymbol = new Map()));
    let series = bySymbol.get(bar.interval);
    if (!series) bySymbol.set(bar.interval, (series = new BarSeries(bar.symbol, bar.interval, this.capacity)));
    if (series.size > 0 && series.startAt(series.size - 1) >= bar.start) return;
    series.push(bar);
  }

  size(symbol: string, interval: string): number {
    return this.find(symbol, interval)?.size ?? 0;
  }

  slice(symbol: string, interval: string, from: number, to: number): Bar[] {
    const series = this.find(symbol, interval);
    if (!series) return [];
    const out: Bar[] = [];
    for (let i = Math.max(0, from); i < Math.min(to, series.size); i++) out.push(series.at(i));
    return out;
  }

  countBefore(symbol: string, interval: string, start: number): number {
    const series = this.find(symbol, interval);
    if (!series) return 0;
    let lo = 0;
    let hi = series.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (series.startAt(mid) < start) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private find(symbol: string, interval: string): BarSeries | undefined {
    return this.series.get(symbol)?.get(interval);
  }
}

// A row: start, end, open, high, low, close, volume, vwap, trades.
const FIELDS = 9;
/**
 * Rows a series starts with; it doubles up to its capacity, so a quiet symbol costs little: a
 * symbol seen once has one closed bar per interval, and 64 rows were 4.6 KB per series.
 */
const INITIAL_ROWS = 4;

/** One series' closed bars as a ring of rows: fixed once at capacity, the oldest overwritten. */
class BarSeries {
  private rows: Float64Array;
  private rowCapacity: number;
  private head = 0;
  private count = 0;

  constructor(
    private readonly symbol: string,
    private readonly interval: string,
    private readonly capacity: number,
  ) {
    this.rowCapacity = Math.min(capacity, INITIAL_ROWS);
    this.rows = new Float64Array(this.rowCapacity * FIELDS);
  }

  get size(): number {
    return this.count;
  }

  push(bar: Bar): void {
    // Grown before the ring first wraps, so the rows are still in order from index 0.
    if (this.count === this.rowCapacity && this.rowCapacity < this.capacity) {
      this.rowCapacity = Math.min(this.capacity, this.rowCapacity * 2);
      const grown = new Float64Array(this.rowCapacity * FIELDS);
      grown.set(this.rows);
      this.rows = grown;
    }
    const o = ((this.head + this.count) % this.rowCapacity) * FIELDS;
    const r = this.rows;
    r[o] = bar.start;
    r[o + 1] = bar.end;
    r[o + 2] = bar.open;
    r[o + 3] = bar.high;
    r[o + 4] = bar.low;
    r[o + 5] = bar.close;
    r[o + 6] = bar.volume;
    r[o + 7] = bar.vwap;
    r[o + 8] = bar.trades;
    if (this.count < this.rowCapacity) this.count++;
    else this.head = (this.head + 1) % this.rowCapacity;
  }

  /** The start of bar i, from the oldest (0) to the newest (size - 1). */
  startAt(i: number): number {
    return this.rows[this.offset(i)] as number;
  }

  /** Bar i as an object of its own. */
  at(i: number): Bar {
    const o = this.offset(i);
    const r = this.rows;
    return {
      symbol: this.symbol,
      interval: this.interval,
      start: r[o] as number,
      end: r[o + 1] as number,
      open: r[o + 2] as number,
      high: r[o + 3] as number,
      low: r[o + 4] as number,
      close: r[o + 5] as number,
      volume: count(r[o + 6] as number),
      vwap: r[o + 7] as number,
      trades: count(r[o + 8] as number),
      final: true,
    };
  }

  private offset(i: number): number {
    return ((this.head + i) % this.rowCapacity) * FIELDS;
  }
}

/**
 * A count read back from a Float64Array, as the small integer the live bar held. A bar read here
 * has the same shape as the bars the pipeline publishes; were its counts doubles, V8 would widen
 * that shape's count fields for every bar, and the publishing path would box two more numbers per
 * bar from then on (measured: the engine a third slower after one read of the bars API).
 */
function count(value: number): number {
  return value <= 0x3fffffff ? value | 0 : value;
}
