/**
 * What the bandwidth bench publishes: each kind is a generator of consecutive publications on one
 * channel, deterministic (seeded), so every variant of a run sends the same bytes.
 */
import { mulberry32 } from '../../streams/feeds/prng.js';

export type PayloadKind = 'market' | 'large';

export interface PayloadPlan {
  kind: PayloadKind;
  channel: string;
  /** Publications per second the child makes. */
  ratePerS: number;
  count: number;
}

const round = (v: number, places: number) => Math.round(v * 10 ** places) / 10 ** places;

/**
 * `market:SYM` snapshots as the market pipeline publishes them (the MarketSnapshot fields):
 * consecutive ones differ in last, change, volume, vwap, trades and ts, a few fields each time.
 */
export function marketSnapshots(symbol = 'AAPL'): () => object {
  const rnd = mulberry32(17);
  const open = 187.42;
  let last = open;
  let high = open;
  let low = open;
  let volume = 0;
  let notional = 0;
  let trades = 0;
  let ts = Date.UTC(2026, 11, 1, 14, 30);
  return () => {
    const n = 1 + Math.floor(rnd() * 6);
    for (let i = 0; i < n; i++) {
      last = round(last * (1 + (rnd() - 0.5) * 0.0008), 2);
      const size = 1 + Math.floor(rnd() * 300);
      volume += size;
      notional += last * size;
      trades++;
      high = Math.max(high, last);
      low = Math.min(low, last);
    }
    ts += 100;
    const change = round(last - open, 2);
    return { symbol, last, change, changePct: round((change / open) * 100, 4), open, high, low, volume, vwap: round(notional / volume, 4), trades, ts };
  };
}

/**
 * A larger publication: a 20-level order book with the last 40 bars, about 6 KB of JSON, the
 * kind of message the seed asks compression for.
 */
export function largePublications(symbol = 'AAPL'): () => object {
  const rnd = mulberry32(29);
  let mid = 187.42;
  let t = Date.UTC(2026, 11, 1, 14, 30);
  return () => {
    mid = round(mid * (1 + (rnd() - 0.5) * 0.001), 2);
    t += 1000;
    const level = (side: number, i: number) => ({ px: round(mid + side * (i + 1) * 0.01, 2), qty: 100 + Math.floor(rnd() * 5000), orders: 1 + Math.floor(rnd() * 40) });
    const bars = Array.from({ length: 40 }, (_, i) => {
      const o = round(mid * (1 + (rnd() - 0.5) * 0.002), 2);
      const c = round(o * (1 + (rnd() - 0.5) * 0.002), 2);
      return { start: t - (40 - i) * 1000, open: o, high: Math.max(o, c) + 0.02, low: Math.min(o, c) - 0.02, close: c, volume: Math.floor(rnd() * 20000), vwap: round((o + c) / 2, 4) };
    });
    return { symbol, ts: t, bids: Array.from({ length: 20 }, (_, i) => level(-1, i)), asks: Array.from({ length: 20 }, (_, i) => level(1, i)), bars };
  };
}

export function generatorOf(kind: PayloadKind): () => object {
  return kind === 'market' ? marketSnapshots() : largePublications();
}
