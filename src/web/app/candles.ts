/**
 * The chart's data: candles keyed by bar start, fed by the engine's bars (REST history and
 * `bars:INTERVAL:SYM` publications). Pure, so it runs the same in the page and in unit tests.
 */

/** One candle; `start` in ms since epoch, like the engine's `Bar`. */
export interface Candle {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
  /** The bar closed: later partial updates of it are stale and ignored. */
  final: boolean;
}

/**
 * The subset of the engine's `Bar` (streams/ports.ts) the chart reads. `final` is absent in REST
 * history, which holds closed bars only.
 */
export type BarLike = Omit<Candle, 'trades' | 'final'> & { trades?: number; final?: boolean };

/** What changed with the last writes, so the chart can use a cheap update or must reset. */
export type CandleChange = { kind: 'none' } | { kind: 'update'; candles: readonly Candle[] } | { kind: 'reset' };

/**
 * Partial bars replace the candle of their start until its final bar fixes it. Bounded: past
 * `maxCandles` (plus a tenth) the oldest candles are dropped, since a chart shows recent history.
 */
export class CandleStore {
  private readonly byStart = new Map<number, Candle>();
  private sorted: Candle[] = [];
  /** Starts of the candles updated in place or appended since the last takeChange(). */
  private readonly changed = new Set<number>();
  private needsReset = false;

  constructor(readonly intervalMs: number, private readonly maxCandles = 1000) {
    if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${intervalMs}`);
  }

  candles(): readonly Candle[] {
    return this.sorted;
  }

  /**
   * Upserts a bar. `closed` says whether a bar without a `final` field is closed (REST history
   * is); a partial arriving after its bar's final (a replay that overlaps history) is dropped.
   */
  applyBar(bar: BarLike, closed = false): void {
    if (!isFiniteBar(bar)) return;
    const start = bar.start - (bar.start % this.intervalMs);
    const final = bar.final ?? closed;
    if (!final && this.byStart.get(start)?.final) return;
    this.put({ start, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume, trades: bar.trades ?? 0, final });
  }

  /** Forgets everything (a lost recovery window: history is reloaded from scratch). */
  clear(): void {
    this.byStart.clear();
    this.sorted = [];
    this.changed.clear();
    this.needsReset = true;
  }

  /** What changed since the previous call; the chart applies it and the store forgets it. */
  takeChange(): CandleChange {
    const needsReset = this.needsReset;
    const starts = [...this.changed].sort((a, b) => a - b);
    this.changed.clear();
    this.needsReset = false;
    if (needsReset) return { kind: 'reset' };
    if (starts.length === 0) return { kind: 'none' };
    return { kind: 'update', candles: starts.map((s) => this.byStart.get(s) as Candle) };
  }

  private put(candle: Candle): void {
    const had = this.byStart.has(candle.start);
    this.byStart.set(candle.start, candle);
    const last = this.sorted[this.sorted.length - 1];
    if (had) {
      // Updated in place: the live bar, or one closing a little behind it (its final bar).
      this.sorted[this.indexOf(candle.start)] = candle;
      this.changed.add(candle.start);
      return;
    }
    if (!last || candle.start > last.start) {
      this.sorted.push(candle);
      this.changed.add(candle.start);
    } else {
      // A new bar inside the series (its partials were missed): rebuild, the chart resets.
      this.sorted = [...this.byStart.values()].sort((a, b) => a.start - b.start);
      this.needsReset = true;
    }
    // Trimmed in chunks so the chart resets once per tenth of the window, not on every candle.
    if (this.sorted.length > this.maxCandles + Math.ceil(this.maxCandles / 10)) {
      for (const dropped of this.sorted.splice(0, this.sorted.length - this.maxCandles)) this.byStart.delete(dropped.start);
      this.needsReset = true;
    }
  }

  /** Index of a candle known to be present; updates land near the end, so search from there. */
  private indexOf(start: number): number {
    let i = this.sorted.length - 1;
    while (i > 0 && (this.sorted[i] as Candle).start !== start) i--;
    return i;
  }
}

function isFiniteBar(b: BarLike): boolean {
  return [b.start, b.open, b.high, b.low, b.close, b.volume].every((n) => typeof n === 'number' && Number.isFinite(n));
}
