import type { MarketSnapshot, Tick } from '../ports.js';
import { notionalAtVwap, notionalOf, vwapOf } from '../prices.js';

/** Read side of the market state: what RPC handlers and HTTP routes need, nothing more. */
export interface MarketStateView {
  snapshot(symbol: string): MarketSnapshot | undefined;
  /** What changes with every applied trade: equal versions mean equal snapshots. */
  version(symbol: string): { trades: number; ts: number } | undefined;
  has(symbol: string): boolean;
  symbols(): string[];
}

/** Per-symbol mutable record. Updated in place so a tick allocates nothing here. */
interface SymbolSession {
  readonly symbol: string;
  last: number;
  open: number;
  high: number;
  low: number;
  volume: number;
  /** Sum of price x size in integer decicents, for the session VWAP. */
  notional: number;
  trades: number;
  ts: number;
}

/**
 * The session so far for every symbol seen. `open` is the first price seen in this session
 * (this process's lifetime), which is what `change` is measured against. Ticks apply in arrival
 * order; late ticks are the bars pipeline's concern, not this one's.
 */
export class MarketState implements MarketStateView {
  private readonly sessions = new Map<string, SymbolSession>();
  // Ticks come in runs of one symbol: the last session saves a map lookup per tick.
  private last: SymbolSession | undefined;

  apply(tick: Tick): void {
    let session = this.last;
    if (session?.symbol !== tick.symbol) {
      session = this.sessions.get(tick.symbol);
      this.last = session;
    }
    if (!session) {
      this.sessions.set(tick.symbol, {
        symbol: tick.symbol,
        last: tick.price,
        open: tick.price,
        high: tick.price,
        low: tick.price,
        volume: tick.size,
        notional: notionalOf(tick.price, tick.size),
        trades: 1,
        ts: tick.ts,
      });
      return;
    }
    session.last = tick.price;
    if (tick.price > session.high) session.high = tick.price;
    if (tick.price < session.low) session.low = tick.price;
    session.volume += tick.size;
    session.notional += notionalOf(tick.price, tick.size);
    session.trades += 1;
    session.ts = tick.ts;
  }

  /**
   * Takes a symbol's session as another node's pipeline computed it (a market mirror's
   * `market:SYM`), in place of this one's: snapshot() then answers exactly that snapshot.
   */
  setSnapshot(snapshot: MarketSnapshot): void {
    const session: SymbolSession = {
      symbol: snapshot.symbol,
      last: snapshot.last,
      open: snapshot.open,
      high: snapshot.high,
      low: snapshot.low,
      volume: snapshot.volume,
      notional: notionalAtVwap(snapshot.vwap, snapshot.volume),
      trades: snapshot.trades,
      ts: snapshot.ts,
    };
    this.sessions.set(snapshot.symbol, session);
    // apply()'s cached session may be the one just replaced.
    if (this.last?.symbol === snapshot.symbol) this.last = session;
  }

  /** A fresh copy: callers (the broker encoding asynchronously) must not see later mutations. */
  snapshot(symbol: string): MarketSnapshot | undefined {
    const s = this.sessions.get(symbol);
    if (!s) return undefined;
    const change = roundTo(s.last - s.open, 2);
    return {
      symbol: s.symbol,
      last: s.last,
      change,
      changePct: s.open === 0 ? 0 : roundTo(((s.last - s.open) / s.open) * 100, 2),
      open: s.open,
      high: s.high,
      low: s.low,
      volume: s.volume,
      vwap: vwapOf(s.notional, s.volume),
      trades: s.trades,
      ts: s.ts,
    };
  }

  version(symbol: string): { trades: number; ts: number } | undefined {
    const s = this.sessions.get(symbol);
    return s ? { trades: s.trades, ts: s.ts } : undefined;
  }

  has(symbol: string): boolean {
    return this.sessions.has(symbol);
  }

  /** Sorted, so listings (and error messages) are stable regardless of arrival order. */
  symbols(): string[] {
    return [...this.sessions.keys()].sort();
  }

  get size(): number {
    return this.sessions.size;
  }
}

// Prices are in cents, so differences pick up binary noise (0.1 + 0.2); round it back off.
function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
