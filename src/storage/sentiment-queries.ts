import { SYMBOL_PATTERN } from '../../streams/index.js';
import type { Database } from './database.js';
import { StorageError } from './errors.js';
import type { SentimentLabel } from './sentiment-sink.js';

const HOUR_MS = 3_600_000;
/** Longest span one hourly read covers: a year of hours per symbol. */
export const MAX_SENTIMENT_SPAN_MS = 366 * 24 * HOUR_MS;
/** Symbols one read names at most. */
export const MAX_SENTIMENT_SYMBOLS = 100;
/** Items one recent-sentiment read returns at most. */
export const MAX_RECENT_SENTIMENT = 1_000;

/** One symbol's sentiment over one hour: mean scores and items per label. */
export interface SentimentHour {
  symbol: string;
  /** Start of the hour, ms since epoch (UTC hours). */
  hour: number;
  items: number;
  bearish: number;
  neutral: number;
  bullish: number;
  labels: Record<SentimentLabel, number>;
}

/** One scored item with its headline, newest first. */
export interface RecentSentiment {
  newsId: string;
  symbol: string;
  ts: number;
  headline: string;
  source: string | null;
  label: SentimentLabel;
  bearish: number;
  neutral: number;
  bullish: number;
  modelVersion: string;
}

/**
 * Hourly sentiment of `symbols` for event times in [from, to), by symbol and hour, in that order;
 * hours without items are absent. Arguments are checked before anything is sent (INVALID_QUERY):
 * they come from API callers. Reads `sentiment_data` through its (symbol, ts_ms) index, under
 * TimescaleDB as well (its `sentiment_hourly` aggregate holds the same figures for dashboards).
 */
export async function sentimentHours(db: Database, q: { symbols: readonly string[]; from: number; to: number }): Promise<SentimentHour[]> {
  const symbols = checkSymbols(q.symbols);
  checkSpan(q.from, q.to, MAX_SENTIMENT_SPAN_MS);
  const rows = await db.query('sentiment.hours', (sql) => sql<{ symbol: string; hour: string; items: number; bearish: number; neutral: number; bullish: number; n_bearish: number; n_neutral: number; n_bullish: number }[]>`
    select symbol, (ts_ms / ${HOUR_MS}) * ${HOUR_MS} as hour, count(*)::int as items,
      avg(bearish)::float8 as bearish, avg(neutral)::float8 as neutral, avg(bullish)::float8 as bullish,
      (count(*) filter (where label = 'bearish'))::int as n_bearish,
      (count(*) filter (where label = 'neutral'))::int as n_neutral,
      (count(*) filter (where label = 'bullish'))::int as n_bullish
    from sentiment_data
    where symbol = any(${symbols}::text[]) and ts_ms >= ${q.from} and ts_ms < ${q.to}
    group by 1, 2 order by 1, 2`);
  return rows.map((r) => ({
    symbol: r.symbol, hour: Number(r.hour), items: r.items, bearish: r.bearish, neutral: r.neutral, bullish: r.bullish,
    labels: { bearish: r.n_bearish, neutral: r.n_neutral, bullish: r.n_bullish },
  }));
}

/** The newest scored items of a symbol (at most `limit`), with their headlines. */
export async function recentSentiment(db: Database, q: { symbol: string; limit: number; before?: number }): Promise<RecentSentiment[]> {
  const [symbol] = checkSymbols([q.symbol]);
  if (!Number.isSafeInteger(q.limit) || q.limit < 1 || q.limit > MAX_RECENT_SENTIMENT) throw invalid(`limit must be an integer 1-${MAX_RECENT_SENTIMENT}, got ${String(q.limit)}`);
  const before = q.before ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(before)) throw invalid(`before must be a time in ms, got ${String(q.before)}`);
  const rows = await db.query('sentiment.recent', (sql) => sql<{ news_id: string; symbol: string; ts_ms: string; headline: string; source: string | null; label: SentimentLabel; bearish: number; neutral: number; bullish: number; model_version: string }[]>`
    select s.news_id, s.symbol, s.ts_ms, n.headline, n.source, s.label, s.bearish, s.neutral, s.bullish, s.model_version
    from sentiment_data s join news n on n.id = s.news_id
    where s.symbol = ${symbol as string} and s.ts_ms < ${before}
    order by s.ts_ms desc, s.news_id limit ${q.limit}`);
  return rows.map((r) => ({
    newsId: r.news_id, symbol: r.symbol, ts: Number(r.ts_ms), headline: r.headline, source: r.source, label: r.label,
    bearish: r.bearish, neutral: r.neutral, bullish: r.bullish, modelVersion: r.model_version,
  }));
}

function checkSymbols(symbols: readonly string[]): string[] {
  if (!Array.isArray(symbols) || symbols.length === 0 || symbols.length > MAX_SENTIMENT_SYMBOLS) throw invalid(`symbols must be 1-${MAX_SENTIMENT_SYMBOLS} symbols`);
  for (const s of symbols) if (typeof s !== 'string' || !SYMBOL_PATTERN.test(s)) throw invalid(`symbol must be 1-12 of A-Z 0-9 ., got ${JSON.stringify(String(s).slice(0, 20))}`);
  return [...new Set(symbols)];
}

function checkSpan(from: number, to: number, max: number): void {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw invalid('from and to must be times in ms since epoch');
  if (to <= from) throw invalid(`to (${to}) must be after from (${from})`);
  if (to - from > max) throw invalid(`from-to spans at most ${max / HOUR_MS} hours, got ${Math.ceil((to - from) / HOUR_MS)}`);
}

function invalid(message: string): StorageError {
  return new StorageError('INVALID_QUERY', message);
}
