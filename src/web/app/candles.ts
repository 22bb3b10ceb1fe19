/**
 * The chart's data: candles keyed by bar start, fed either by `bars:` publications (authoritative,
 * upserted by start) or, while no bar has arrived, built client-side from `ticks:` trades. Pure,
 * so it runs the same in the page and in unit tests.
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
}

/** The subset of the engine's `Bar` (streams/ports.ts) the chart reads. */
export interface BarLike {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades?: number;
}

/** A `ticks:SYM` publication: `{price, size, ts}`. */
export interface TradeLike {
  price: number;
  size: number;
  ts: number;
}

export type CandleSource = 'none' | 'ticks' | 'bars';

export const INTERVAL_MS: Readonly<Record<string, number>> = { '1s': 1000, '1m': 60_000 };

/** What changed with the last writes, so the chart can use a cheap update or must reset. */
export type CandleChange = { kind: 'none' } | { kind: 'tail'; candles: readonly Candle[] } | { kind: 'reset' };

/**
 * Bounded: past `maxCandles` (plus a tenth) the oldest candles are dropped, since a chart shows
 * recent history. Tick
 * publications carry stream offsets; a trade at or below the last applied offset is a duplicate
 * (history and live overlap on load) and is skipped, so volumes never double-count.
 */
export class CandleStore {
  private readonly byStart = new Map<number, Candle>();
  private sorted: Candle[] = [];
  /** Start of the oldest candle changed at the tail since the last takeChange(). */
  private tailFrom: number | undefined;
  private needsReset = false;
  private lastTickOffset = -1;
  private mode: CandleSource = 'none';

  constructor(readonly intervalMs: number, private readonly maxCandles = 1000) {
    if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${intervalMs}`);
  }

  get source(): CandleSource {
    return this.mode;
  }

  /** The offset of the last trade applied, or -1. */
  get tickOffset(): number {
    return this.lastTickOffset;
  }

  candles(): readonly Candle[] {
    return this.sorted;
  }

  /** Upserts a bar. The first bar switches the store to bars and drops tick-built candles. */
  applyBar(bar: BarLike): void {
    if (!isFiniteBar(bar)) return;
    if (this.mode !== 'bars') {
      if (this.mode === 'ticks') this.clear();
      this.mode = 'bars';
    }
    const start = bar.start - (bar.start % this.intervalMs);
    this.put({ start, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume, trades: bar.trades ?? 0 });
  }

  /** Folds one trade into its candle; ignored once bars drive the chart. */
  applyTrade(trade: TradeLike, offset?: number): void {
    if (this.mode === 'bars' || !isFiniteTrade(trade)) return;
    if (offset !== undefined) {
      if (offset <= this.lastTickOffset) return;
      this.lastTickOffset = offset;
    }
    this.mode = 'ticks';
    const start = trade.ts - (trade.ts % this.intervalMs);
    const existing = this.byStart.get(start);
    if (!existing) {
      this.put({ start, open: trade.price, high: trade.price, low: trade.price, close: trade.price, volume: trade.size, trades: 1 });
      return;
    }
    this.put({
      start,
      open: existing.open,
      high: Math.max(existing.high, trade.price),
      low: Math.min(existing.low, trade.price),
      close: trade.price,
      volume: existing.volume + trade.size,
      trades: existing.trades + 1,
    });
  }

  /** Forgets everything (a lost recovery window: history is reloaded from scratch). */
  clear(): void {
    this.byStart.clear();
    this.sorted = [];
    this.lastTickOffset = -1;
    this.mode = 'none';
    this.needsReset = true;
  }

  /** What changed since the previous call; the chart applies it and the store forgets it. */
  takeChange(): CandleChange {
    const { tailFrom, needsReset } = this;
    this.tailFrom = undefined;
    this.needsReset = false;
    if (needsReset) return { kind: 'reset' };
    if (tailFrom === undefined) return { kind: 'none' };
    let i = this.sorted.length;
    while (i > 0 && (this.sorted[i - 1] as Candle).start >= tailFrom) i--;
    return { kind: 'tail', candles: this.sorted.slice(i) };
  }

  private put(candle: Candle): void {
    const had = this.byStart.has(candle.start);
    this.byStart.set(candle.start, candle);
    const last = this.sorted[this.sorted.length - 1];
    if (had && last?.start === candle.start) {
      this.sorted[this.sorted.length - 1] = candle;
      this.markTail(candle.start);
      return;
    }
    if (!had && (!last || candle.start > last.start)) {
      this.sorted.push(candle);
      this.markTail(candle.start);
    } else {
      // A late or recovered candle inside the series: rebuild the order, the chart resets.
      this.sorted = [...this.byStart.values()].sort((a, b) => a.start - b.start);
      this.needsReset = true;
    }
    // Trimmed in chunks so the chart resets once per tenth of the window, not on every candle.
    if (this.sorted.length > this.maxCandles + Math.ceil(this.maxCandles / 10)) {
      for (const dropped of this.sorted.splice(0, this.sorted.length - this.maxCandles)) this.byStart.delete(dropped.start);
      this.needsReset = true;
    }
  }

  private markTail(start: number): void {
    if (this.tailFrom === undefined || start < this.tailFrom) this.tailFrom = start;
  }
}

function isFiniteBar(b: BarLike): boolean {
  return [b.start, b.open, b.high, b.low, b.close, b.volume].every((n) => typeof n === 'number' && Number.isFinite(n));
}

function isFiniteTrade(t: TradeLike): boolean {
  return [t.price, t.size, t.ts].every((n) => typeof n === 'number' && Number.isFinite(n));
}
