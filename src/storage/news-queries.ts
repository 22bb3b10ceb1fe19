import { SYMBOL_PATTERN } from '../../streams/index.js';
import type { Database } from './database.js';
import { StorageError } from './errors.js';

/** Rows one page of stored news returns at most. */
export const MAX_NEWS_PAGE = 10_000;

/** A stored news item, as rescoring it needs it. */
export interface StoredNews {
  id: string;
  ts: number;
  headline: string;
}

/** Where a page of news ends: the next page starts after this (ts, id). */
export interface NewsCursor {
  ts: number;
  id: string;
}

export interface NewsRange {
  symbol: string;
  /** Event times in [from, to), ms since epoch. */
  from: number;
  to: number;
}

/**
 * The stored news items about `symbol` with a time in [from, to). The range is read through the
 * `news_ts` index and filtered by symbol, so a count costs a scan of the range's news.
 */
export async function countNews(db: Database, q: NewsRange): Promise<number> {
  const { symbol, from, to } = checkRange(q);
  const [row] = await db.query('news.count', (sql) => sql<{ n: number }[]>`
    select count(*)::int as n from news where ts_ms >= ${from} and ts_ms < ${to} and symbols @> array[${symbol}]::text[]`);
  return row?.n ?? 0;
}

/**
 * One page of the stored news about `symbol` in [from, to), in (ts, id) order, starting after
 * `after` (from the start without it), at most `limit` items: a caller walks any number of them
 * holding one page at a time. Ids compare byte-wise (collate "C"), the same in the order and in
 * the cursor, whatever the database's collation. PostgreSQL takes the row comparison's time as a
 * bound of the `news_ts` index scan, so each page starts at its cursor: a walk reads the range's
 * news once (EXPLAIN shows `Index Cond: ... ts_ms >= cursor`).
 */
export async function newsPage(db: Database, q: NewsRange & { after?: NewsCursor | undefined; limit: number }): Promise<StoredNews[]> {
  const { symbol, from, to } = checkRange(q);
  if (!Number.isSafeInteger(q.limit) || q.limit < 1 || q.limit > MAX_NEWS_PAGE) throw invalid(`limit must be an integer 1-${MAX_NEWS_PAGE}, got ${String(q.limit)}`);
  const after = q.after ?? { ts: from - 1, id: '' };
  if (!Number.isSafeInteger(after.ts) || typeof after.id !== 'string') throw invalid('after must be {ts, id} of the last item of the previous page');
  const rows = await db.query('news.page', (sql) => sql<{ id: string; ts_ms: string; headline: string }[]>`
    select id, ts_ms, headline from news
    where ts_ms >= ${from} and ts_ms < ${to} and symbols @> array[${symbol}]::text[]
      and (ts_ms, id collate "C") > (${after.ts}::bigint, ${after.id}::text collate "C")
    order by ts_ms, id collate "C" limit ${q.limit}`);
  return rows.map((r) => ({ id: r.id, ts: Number(r.ts_ms), headline: r.headline }));
}

function checkRange(q: NewsRange): NewsRange {
  if (typeof q.symbol !== 'string' || !SYMBOL_PATTERN.test(q.symbol)) throw invalid(`symbol must be 1-12 of A-Z 0-9 ., got ${JSON.stringify(String(q.symbol).slice(0, 20))}`);
  if (!Number.isSafeInteger(q.from) || !Number.isSafeInteger(q.to)) throw invalid('from and to must be times in ms since epoch');
  if (q.to <= q.from) throw invalid(`to (${q.to}) must be after from (${q.from})`);
  return q;
}

function invalid(message: string): StorageError {
  return new StorageError('INVALID_QUERY', message);
}
