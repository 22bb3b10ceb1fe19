import type { RowSink } from '../../streams/index.js';
import type { Database } from './database.js';
import { insertRows } from './insert-rows.js';
import { isFiniteNumber, isSafeInteger, isText, SkipCounter, type SkippedRows } from './row-checks.js';

export type SentimentLabel = 'bearish' | 'neutral' | 'bullish';

/** One news item's sentiment for one of its symbols, as `sentiment_data` stores it. */
export interface SentimentRow {
  newsId: string;
  symbol: string;
  /** The news item's time (ms since epoch): fixed by newsId, which keeps the TimescaleDB key (news_id, symbol, ts_ms) as strict as (news_id, symbol). */
  ts: number;
  label: SentimentLabel;
  bearish: number;
  neutral: number;
  bullish: number;
  modelVersion: string;
}

const LABELS: ReadonlySet<string> = new Set<SentimentLabel>(['bearish', 'neutral', 'bullish']);
const isScore = (v: unknown): boolean => isFiniteNumber(v) && v >= 0 && v <= 1;

/** A row `sentiment_data` can store (see row-checks.ts for why the others are dropped, not retried). */
function storable(s: SentimentRow): boolean {
  return typeof s === 'object' && s !== null && isText(s.newsId, 256) && isText(s.symbol, 12) && isSafeInteger(s.ts) && LABELS.has(s.label)
    && isScore(s.bearish) && isScore(s.neutral) && isScore(s.bullish) && isText(s.modelVersion, 128);
}

/** A row read back from the spill is one `sentiment_data` can store. */
export function isSentimentRow(row: unknown): row is SentimentRow {
  return typeof row === 'object' && row !== null && storable(row as SentimentRow);
}

/**
 * Sentiment into `sentiment_data`, idempotent on (news_id, symbol): a retried batch, or the same
 * item scored again, leaves the stored row as it is (the first score stays). `on conflict do
 * nothing` names no key, so it holds under version 1's key and under TimescaleDB's (see timescale.ts).
 *
 * A row refers to its news item: one whose news is not stored yet fails the batch, and the batch
 * writer retries it until the news writer has stored the item. So the sentiment pipeline must
 * hand sentiment only for news the news writer accepted (its push() returned true); a row whose
 * news never comes would hold the sentiment writer up.
 */
export function sentimentSink(db: Database): RowSink<SentimentRow> & { stats(): SkippedRows } {
  const skipped = new SkipCounter();
  return {
    stats: () => ({ skipped: skipped.count }),
    async write(items) {
      const good = items.filter((row) => storable(row) || (skipped.skip(row), false));
      if (good.length === 0) return;
      const rows = good.map((s) => ({
        news_id: s.newsId, symbol: s.symbol, ts_ms: s.ts, label: s.label, bearish: s.bearish, neutral: s.neutral, bullish: s.bullish, model_version: s.modelVersion,
      }));
      await db.query('sentiment.insert', (sql) => insertRows(sql, 'sentiment_data', rows, ['news_id', 'symbol', 'ts_ms', 'label', 'bearish', 'neutral', 'bullish', 'model_version']));
    },
  };
}
