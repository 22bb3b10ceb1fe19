import { InvalidOptionError } from '../errors.js';
import { labelOfSentiment, type ClassScores, type SentimentAggregateMessage, type SentimentClass, type SentimentHourBucket } from './types.js';

export interface RollingSentimentOptions {
  /** Weight of each new item in the EMA, in (0, 1]. */
  alpha: number;
  /** Hourly buckets kept per symbol; the oldest hour goes beyond it. */
  hoursKept: number;
  /** Symbols tracked; past it the one updated longest ago is forgotten (counted in `evicted`). */
  maxSymbols: number;
}

const HOUR_MS = 3_600_000;

/** One hour of a symbol's items: counts per label and sums of the scores. */
export interface Bucket {
  items: number;
  labels: Record<SentimentClass, number>;
  sums: ClassScores;
}

interface SymbolState {
  ema: number;
  items: number;
  ts: number;
  /** By hour start; at most hoursKept. */
  buckets: Map<number, Bucket>;
  newestHour: number;
}

/**
 * The rolling sentiment of each symbol, in memory: an EMA of bullish - bearish and hourly
 * buckets by event time (counts per label and mean scores), like a continuous aggregate over
 * the items scored since start. Bounded in symbols and in hours per symbol.
 */
export class RollingSentiment {
  private readonly states = new Map<string, SymbolState>();
  private evictedCount = 0;
  private unbucketedCount = 0;

  constructor(private readonly o: RollingSentimentOptions) {
    if (!(o.alpha > 0 && o.alpha <= 1)) throw new InvalidOptionError('alpha', `must be in (0, 1], got ${o.alpha}`);
    if (!Number.isInteger(o.hoursKept) || o.hoursKept < 1) throw new InvalidOptionError('hoursKept', `must be an integer >= 1, got ${o.hoursKept}`);
    if (!Number.isInteger(o.maxSymbols) || o.maxSymbols < 1) throw new InvalidOptionError('maxSymbols', `must be an integer >= 1, got ${o.maxSymbols}`);
  }

  /** Symbols forgotten to stay within maxSymbols. */
  get evicted(): number {
    return this.evictedCount;
  }
  /** Items older than every hour kept of their symbol: in the EMA, in no bucket. */
  get unbucketed(): number {
    return this.unbucketedCount;
  }
  get size(): number {
    return this.states.size;
  }

  has(symbol: string): boolean {
    return this.states.has(symbol);
  }

  symbols(): string[] {
    return [...this.states.keys()];
  }

  add(symbol: string, ts: number, label: SentimentClass, scores: ClassScores): void {
    const value = scores.bullish - scores.bearish;
    let s = this.states.get(symbol);
    if (s) {
      // Most recently updated last: the first entry is the one to evict.
      this.states.delete(symbol);
      s.ema += this.o.alpha * (value - s.ema);
    } else {
      if (this.states.size >= this.o.maxSymbols) {
        const oldest = this.states.keys().next().value as string;
        this.states.delete(oldest);
        this.evictedCount++;
      }
      s = { ema: value, items: 0, ts, buckets: new Map(), newestHour: Number.NEGATIVE_INFINITY };
    }
    this.states.set(symbol, s);
    s.items++;
    s.ts = Math.max(s.ts, ts);
    this.bucket(s, ts, label, scores);
  }

  private bucket(s: SymbolState, ts: number, label: SentimentClass, scores: ClassScores): void {
    const hour = Math.floor(ts / HOUR_MS) * HOUR_MS;
    let b = s.buckets.get(hour);
    if (!b) {
      if (s.buckets.size >= this.o.hoursKept) {
        const oldest = Math.min(...s.buckets.keys());
        if (hour < oldest) {
          this.unbucketedCount++;
          return;
        }
        s.buckets.delete(oldest);
      }
      b = { items: 0, labels: { bearish: 0, bullish: 0, neutral: 0 }, sums: { bearish: 0, bullish: 0, neutral: 0 } };
      s.buckets.set(hour, b);
      s.newestHour = Math.max(s.newestHour, hour);
    }
    b.items++;
    b.labels[label]++;
    b.sums.bearish += scores.bearish;
    b.sums.bullish += scores.bullish;
    b.sums.neutral += scores.neutral;
  }

  /** The aggregate message of a symbol, or undefined when it has no items. */
  aggregate(symbol: string): SentimentAggregateMessage | undefined {
    const s = this.states.get(symbol);
    if (!s) return undefined;
    const hour = s.buckets.get(s.newestHour);
    return {
      type: 'aggregate', symbol, ema: round(s.ema), label: labelOfSentiment(s.ema), items: s.items, ts: s.ts,
      hour: hour ? bucketOf(s.newestHour, hour) : emptyBucket(s.newestHour),
    };
  }

  /** The symbol's kept hours with start in [from, to), oldest first. */
  hours(symbol: string, from: number, to: number): SentimentHourBucket[] {
    const s = this.states.get(symbol);
    if (!s) return [];
    return [...s.buckets].filter(([h]) => h >= from && h < to).sort(([a], [b]) => a - b).map(([h, b]) => bucketOf(h, b));
  }

  /** EMA, items and newest time of a symbol. */
  summary(symbol: string): { ema: number; label: SentimentClass; items: number; ts: number } | undefined {
    const s = this.states.get(symbol);
    return s && { ema: round(s.ema), label: labelOfSentiment(s.ema), items: s.items, ts: s.ts };
  }
}

export function bucketOf(hour: number, b: Bucket): SentimentHourBucket {
  const mean = { bearish: round(b.sums.bearish / b.items), bullish: round(b.sums.bullish / b.items), neutral: round(b.sums.neutral / b.items) };
  return { hour, items: b.items, labels: { ...b.labels }, mean, sentiment: round((b.sums.bullish - b.sums.bearish) / b.items) };
}

export function emptyBucket(hour: number): SentimentHourBucket {
  return { hour: Number.isFinite(hour) ? hour : 0, items: 0, labels: { bearish: 0, bullish: 0, neutral: 0 }, mean: { bearish: 0, bullish: 0, neutral: 0 }, sentiment: 0 };
}

/** Six decimals: the figures are probabilities, and shorter numbers are smaller messages. */
export function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
