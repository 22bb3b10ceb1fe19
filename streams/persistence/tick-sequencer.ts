import type { Tick } from '../ports.js';

/** A tick as the `ticks` table keys it: (symbol, ts, seq) is unique. */
export interface TickRow {
  symbol: string;
  /** Event time in whole ms (a fractional tick time is floored: the column is bigint). */
  ts: number;
  seq: number;
  price: number;
  size: number;
}

/** Timestamps remembered per symbol; a tick of an older, forgotten one gets a seq from LATE_SEQ_BASE up. */
export const SEQ_WINDOW = 16;
/** Where the sequence of ticks older than the window starts: far above any count of trades in one ms. */
export const LATE_SEQ_BASE = 2 ** 32;

/** One symbol's recent timestamps (a ring, oldest overwritten) and how many ticks each had. */
interface SymbolSequence {
  ts: Float64Array;
  counts: Float64Array;
  /** Slots in use, then the slot overwritten next. */
  used: number;
  next: number;
  /** The newest timestamp the ring has forgotten: a tick at or before it may not be counted from 0. */
  horizon: number;
  late: number;
}

/**
 * Gives every accepted tick its `seq`: the number of ticks of the same symbol and millisecond seen
 * before it, in arrival order (0 for the first). The feeds carry no sequence of their own, and two
 * trades in one millisecond are common (the SPY day has thousands), so (symbol, ts) alone is no key.
 *
 * Deterministic: the same ticks in the same order get the same keys, so a replay of a file into a
 * fresh engine stores nothing twice, and a retried batch keeps the keys it was given. What it does
 * not cover: ticks arriving in another order (the same set, permuted within a millisecond, is keyed
 * differently), and an engine restarted within a millisecond that already has stored ticks, which
 * counts that millisecond from 0 again, so its first ticks there look like the stored ones and are
 * dropped as duplicates.
 *
 * Memory is bounded: SEQ_WINDOW timestamps per symbol (the symbols are the pipeline's, bounded by
 * SUPERNOVA_MAX_SYMBOLS). A tick older than every remembered timestamp of its symbol, whose
 * millisecond may already hold ticks, is numbered from LATE_SEQ_BASE by a per-symbol counter that
 * never repeats, so it is stored rather than mistaken for a duplicate.
 */
export class TickSequencer {
  private readonly symbols = new Map<string, SymbolSequence>();

  constructor(private readonly window = SEQ_WINDOW) {}

  /** The row of an accepted tick, with its seq. */
  row(tick: Tick): TickRow {
    const ts = Math.floor(tick.ts);
    return { symbol: tick.symbol, ts, seq: this.next(tick.symbol, ts), price: tick.price, size: tick.size };
  }

  next(symbol: string, ts: number): number {
    let s = this.symbols.get(symbol);
    if (!s) this.symbols.set(symbol, (s = { ts: new Float64Array(this.window), counts: new Float64Array(this.window), used: 0, next: 0, horizon: Number.NEGATIVE_INFINITY, late: 0 }));
    // Newest first: trades mostly come in time order, so the match is usually the first slot looked at.
    for (let k = 1; k <= s.used; k++) {
      const i = (s.next - k + this.window) % this.window;
      if (s.ts[i] === ts) {
        const seq = s.counts[i] as number;
        s.counts[i] = seq + 1;
        return seq;
      }
    }
    if (ts <= s.horizon) return LATE_SEQ_BASE + s.late++;
    if (s.used === this.window) s.horizon = Math.max(s.horizon, s.ts[s.next] as number);
    else s.used++;
    s.ts[s.next] = ts;
    s.counts[s.next] = 1;
    s.next = (s.next + 1) % this.window;
    return 0;
  }
}

/** Whether a row read back from the spill is a tick row the tick sink can write. */
export function isTickRow(row: unknown): row is TickRow {
  if (typeof row !== 'object' || row === null) return false;
  const t = row as Record<string, unknown>;
  return typeof t.symbol === 'string' && Number.isSafeInteger(t.ts) && Number.isSafeInteger(t.seq) && Number.isFinite(t.price) && Number.isFinite(t.size);
}
