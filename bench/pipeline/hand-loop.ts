import { DEFAULT_TICK_LIMITS, NON_PRICE_CONDITIONS, SYMBOL_PATTERN, type Tick } from '../../streams/index.js';

/** A closed bar as both the hand loop and the engine's bars API give it, for the equality check. */
export interface PlainBar {
  interval: string;
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  vwap: number;
  trades: number;
}

export interface HandLoopResult {
  /** Bars the watermark closed while the ticks came in (the engine's bars API holds the same). */
  closed: PlainBar[];
  /** Bars still open after the last tick. */
  open: number;
  /** Ticks refused by validation, plus (tick, interval) pairs dropped as late. */
  rejected: number;
  late: number;
  snapshots: number;
  elapsedMs: number;
}

interface OpenBar {
  start: number;
  end: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  notional: number;
  trades: number;
  priced: boolean;
}

const INTERVALS = [{ name: '1s', ms: 1_000 }, { name: '1m', ms: 60_000 }] as const;
const SNAPSHOT_EVERY_MS = 100;
const CLOCK_CHECK_EVERY = 1_024;

/**
 * The baseline: what the pipeline computes, written as one plain loop with no RxJS, no broker and
 * no publication. Per tick: the same validation rules, the session state of the `market:`
 * snapshot (one snapshot object built per 100 ms of wall time, as conflation would), and 1s and
 * 1m event-time bars with the same watermark (newest event time - lateness), the same late-tick
 * rule and the same trade-condition rule for prices. Closed bars are kept, as the bar store does.
 */
export function runHandLoop(ticks: readonly Tick[], latenessMs: number): HandLoopResult {
  const t0 = performance.now();
  const now = Date.now();
  const maxTs = now + DEFAULT_TICK_LIMITS.maxFutureMs;
  const closed: PlainBar[] = [];
  const open: OpenBar[][] = INTERVALS.map(() => []);
  let rejected = 0;
  let late = 0;
  let snapshots = 0;
  let lastSnapshotAt = Number.NEGATIVE_INFINITY;
  let maxEventTime = Number.NEGATIVE_INFINITY;
  let closedThrough = Number.NEGATIVE_INFINITY;
  // Session state of the one symbol (the day is one symbol's).
  let sOpen = 0, sHigh = 0, sLow = 0, sVolume = 0, sNotional = 0, sTrades = 0;
  let sLast!: number, sTs!: number;

  for (let n = 0; n < ticks.length; n++) {
    const t = ticks[n] as Tick;
    const { symbol, price, size, ts } = t;
    if (!SYMBOL_PATTERN.test(symbol) || !(price > 0) || !Number.isFinite(price) || !(size > 0) || !Number.isFinite(size)
      || !Number.isFinite(ts) || ts < DEFAULT_TICK_LIMITS.minTs || ts > maxTs) {
      rejected++;
      continue;
    }
    const notional = Math.round(price * 10_000) * size;
    if (sTrades === 0) sOpen = sHigh = sLow = price;
    if (price > sHigh) sHigh = price;
    if (price < sLow) sLow = price;
    sLast = price;
    sVolume += size;
    sNotional += notional;
    sTrades++;
    sTs = ts;

    if (ts > maxEventTime) {
      maxEventTime = ts;
      const watermark = ts - latenessMs;
      if (watermark > closedThrough) closedThrough = watermark;
      for (let i = 0; i < INTERVALS.length; i++) {
        const bars = open[i] as OpenBar[];
        while (bars.length > 0 && (bars[0] as OpenBar).end <= watermark) closed.push(toPlain(INTERVALS[i]?.name ?? '', bars.shift() as OpenBar));
      }
    }
    const pricing = t.condition === undefined || !NON_PRICE_CONDITIONS.has(t.condition);
    for (let i = 0; i < INTERVALS.length; i++) {
      const ms = (INTERVALS[i] as { ms: number }).ms;
      const start = Math.floor(ts / ms) * ms;
      if (start + ms <= closedThrough) {
        late++;
        continue;
      }
      const bars = open[i] as OpenBar[];
      let k = bars.length - 1;
      while (k >= 0 && (bars[k] as OpenBar).start > start) k--;
      let bar = bars[k];
      if (!bar || bar.start !== start) {
        bar = { start, end: start + ms, open: 0, high: 0, low: 0, close: 0, volume: 0, notional: 0, trades: 0, priced: false };
        bars.splice(k + 1, 0, bar);
      }
      if (bar.trades === 0 || (pricing && !bar.priced)) {
        bar.open = bar.high = bar.low = bar.close = price;
        bar.priced = pricing;
      } else if (pricing || !bar.priced) {
        if (price > bar.high) bar.high = price;
        if (price < bar.low) bar.low = price;
        bar.close = price;
      }
      bar.volume += size;
      bar.notional += notional;
      bar.trades++;
    }

    if (n % CLOCK_CHECK_EVERY === 0 || n === ticks.length - 1) {
      const wall = performance.now();
      if (wall - lastSnapshotAt >= SNAPSHOT_EVERY_MS || n === ticks.length - 1) {
        lastSnapshotAt = wall;
        snapshots++;
        sink = { symbol, last: sLast, open: sOpen, high: sHigh, low: sLow, volume: sVolume, vwap: sVolume > 0 ? Math.round(sNotional / sVolume) / 10_000 : 0, trades: sTrades, ts: sTs };
      }
    }
  }
  return { closed, open: open.reduce((sum, bars) => sum + bars.length, 0), rejected, late, snapshots, elapsedMs: performance.now() - t0 };
}

// Where snapshots go, so the optimiser cannot drop building them.
export let sink: unknown;

function toPlain(interval: string, b: OpenBar): PlainBar {
  const vwap = b.volume > 0 ? Math.round(b.notional / b.volume) / 10_000 : 0;
  return { interval, start: b.start, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, vwap, trades: b.trades };
}
