import type { Bar, BarArchive } from '../../streams/index.js';
import type { Database } from './database.js';
import { StorageError } from './errors.js';

/** What the archive reads through: the engine's cache (read-through, one load per key however many wait; a failed load is not kept and reaches the caller as thrown). */
export interface ArchiveCache {
  get<T>(key: string, load: () => Promise<T>): Promise<T>;
}

/** A symbol without stored bars: thrown by a load so that the no is not cached. */
class NotStored extends Error {}

export interface PostgresBarArchiveOptions {
  db: Database;
  cache?: ArchiveCache;
  /**
   * Whether every closed bar has reached the database (none waiting in the writer or its
   * spill). While some wait, an answer could lack them, so it is read but not cached.
   */
  settled?: () => boolean;
}

interface BarRow {
  symbol: string; interval: string; start_ms: string; end_ms: string;
  open: number; high: number; low: number; close: number; volume: number; vwap: number; trades: number;
}

const toBar = (r: BarRow): Bar => ({
  symbol: r.symbol, interval: r.interval, start: Number(r.start_ms), end: Number(r.end_ms),
  open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume, vwap: r.vwap, trades: r.trades, final: true,
});

/**
 * Closed bars in PostgreSQL, for the bars API past the in-memory ring. Every query walks the
 * primary key (symbol, interval, start_ms). A stored bar never changes, so an answer about bars
 * before a given start can be cached for as long as the cache keeps it, once nothing older is
 * still on its way in; the open-ended questions (the newest bars, all of them) are not cached,
 * because new bars join them.
 */
export class PostgresBarArchive implements BarArchive {
  constructor(private readonly o: PostgresBarArchiveOptions) {}

  before(symbol: string, interval: string, before: number | undefined, limit: number, skip = 0): Promise<Bar[]> {
    return this.cached(before === undefined ? undefined : `bars:${symbol}:${interval}:<${before}:${limit}:${skip}`, async () => {
      const rows = await this.o.db.query('bars.before', (sql) => sql<BarRow[]>`
        select * from bars
        where symbol = ${symbol} and interval = ${interval} ${before === undefined ? sql`` : sql`and start_ms < ${before}`}
        order by start_ms desc limit ${limit} offset ${skip}`);
      return rows.map(toBar).reverse();
    });
  }

  countBefore(symbol: string, interval: string, before: number | undefined): Promise<number> {
    return this.cached(before === undefined ? undefined : `bars-count:${symbol}:${interval}:<${before}`, async () => {
      const [row] = await this.o.db.query('bars.count_before', (sql) => sql<{ n: string }[]>`
        select count(*) as n from bars
        where symbol = ${symbol} and interval = ${interval} ${before === undefined ? sql`` : sql`and start_ms < ${before}`}`);
      return Number(row?.n ?? 0);
    });
  }

  async hasSymbol(symbol: string): Promise<boolean> {
    // Only a yes is cached: a symbol unknown now may have bars stored a moment later.
    try {
      return await this.cached(`bars-symbol:${symbol}`, async () => {
        const [row] = await this.o.db.query('bars.has_symbol', (sql) => sql<{ found: boolean }[]>`select exists (select 1 from bars where symbol = ${symbol}) as found`);
        if (row?.found !== true) throw new NotStored();
        return true;
      });
    } catch (err) {
      if (err instanceof NotStored) return false;
      throw err;
    }
  }

  private cached<T>(key: string | undefined, query: () => Promise<T>): Promise<T> {
    // A database known to be down (its health check) fails at once: a client paging back gets its
    // 503 now rather than after a connect timeout, and the pool is not queued up with doomed queries.
    const load = () => (this.o.db.up ? query() : Promise.reject(new StorageError('DATABASE_UNREACHABLE', `the database at ${this.o.db.target} does not answer its health check`)));
    if (!this.o.cache || key === undefined || !(this.o.settled?.() ?? true)) return load();
    return this.o.cache.get(key, load);
  }
}
