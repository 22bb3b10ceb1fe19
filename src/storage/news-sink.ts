import type { RowSink } from '../../streams/index.js';
import type { Database } from './database.js';
import { insertRows } from './insert-rows.js';
import { isSafeInteger, isText, SkipCounter, type SkippedRows } from './row-checks.js';

/** A news item as `news` stores it. */
export interface NewsRow {
  /** The source's id of the item: the key, so the same item arriving twice is stored once. */
  id: string;
  /** Publication time, ms since epoch. */
  ts: number;
  /** The symbols the item is about (may be empty). */
  symbols: readonly string[];
  headline: string;
  source?: string | undefined;
}

/** Longest id, headline and source stored; longer ones are the feed's bug, not news. */
export const NEWS_LIMITS = { id: 256, headline: 4_096, source: 256, symbols: 64, symbol: 12 } as const;

/** An item `news` can store (see row-checks.ts for why the others are dropped, not retried). */
function storable(n: NewsRow): boolean {
  return typeof n === 'object' && n !== null && isText(n.id, NEWS_LIMITS.id) && isSafeInteger(n.ts) && isText(n.headline, NEWS_LIMITS.headline)
    && (n.source === undefined || n.source === null || isText(n.source, NEWS_LIMITS.source))
    && Array.isArray(n.symbols) && n.symbols.length <= NEWS_LIMITS.symbols && n.symbols.every((s) => isText(s, NEWS_LIMITS.symbol));
}

/** A row read back from the spill is one `news` can store. */
export function isNewsRow(row: unknown): row is NewsRow {
  return typeof row === 'object' && row !== null && storable(row as NewsRow);
}

/**
 * News items into `news`, many rows per statement, idempotent on id: a retried batch, or an item
 * the feed sends again, leaves the stored row as it is. A batch larger than one statement goes in several, each
 * idempotent, not in a transaction (see Database.bulk for why the sinks avoid them).
 */
export function newsSink(db: Database): RowSink<NewsRow> & { stats(): SkippedRows } {
  const skipped = new SkipCounter();
  return {
    stats: () => ({ skipped: skipped.count }),
    async write(items) {
      const good = items.filter((row) => storable(row) || (skipped.skip(row), false));
      if (good.length === 0) return;
      const rows = good.map((n) => ({ id: n.id, ts_ms: n.ts, symbols: [...n.symbols], headline: n.headline, source: n.source ?? null }));
      await db.query('news.insert', (sql) => insertRows(sql, 'news', rows, ['id', 'ts_ms', 'symbols', 'headline', 'source']));
    },
  };
}
