import type { Database } from './database.js';
import { StorageError } from './errors.js';
import { isSentimentRow, type SentimentRow } from './sentiment-sink.js';

/** Rows one call writes at most: one statement of 8 parameters each, well within PostgreSQL's 65,535. */
export const MAX_REPLACED_ROWS = 4_096;

/**
 * Writes sentiment rows over the stored ones of the same (news_id, symbol): a rescoring with
 * another model replaces labels, scores and model version, and adds the row where there was none.
 * This is the one write of `sentiment_data` that changes a row (the pipeline's sink keeps the
 * first score). It names the key by its constraint, `sentiment_data_pkey`: version 1's key
 * (news_id, symbol) and TimescaleDB's (news_id, symbol, ts_ms) both carry that name, and hold the
 * same rows (see timescale.ts). On a hypertable TimescaleDB accepts ON CONFLICT ON CONSTRAINT from
 * 2.8 on (not run on this machine, which has no TimescaleDB; sentiment_data is never compressed,
 * which DO UPDATE would need 2.11 for). Each row's news item must be stored (the foreign key); rows that
 * `sentiment_data` could not store are refused whole (INVALID_QUERY) rather than skipped, as the
 * caller made them.
 */
export async function replaceSentiment(db: Database, rows: readonly SentimentRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  if (rows.length > MAX_REPLACED_ROWS) throw new StorageError('INVALID_QUERY', `${rows.length} rows in one call, at most ${MAX_REPLACED_ROWS}`);
  const bad = rows.findIndex((r) => !isSentimentRow(r));
  if (bad >= 0) throw new StorageError('INVALID_QUERY', `rows[${bad}] is not a sentiment row sentiment_data can store`);
  const values = rows.map((s) => ({
    news_id: s.newsId, symbol: s.symbol, ts_ms: s.ts, label: s.label, bearish: s.bearish, neutral: s.neutral, bullish: s.bullish, model_version: s.modelVersion,
  }));
  const written = await db.query('sentiment.replace', (sql) => sql`
    insert into sentiment_data ${sql(values, 'news_id', 'symbol', 'ts_ms', 'label', 'bearish', 'neutral', 'bullish', 'model_version')}
    on conflict on constraint sentiment_data_pkey do update set
      label = excluded.label, bearish = excluded.bearish, neutral = excluded.neutral, bullish = excluded.bullish, model_version = excluded.model_version`);
  return written.count;
}
