import type { Bar, RowSink } from '../../streams/index.js';
import type { Database } from './database.js';

/**
 * Final bars into `bars`, many rows per statement. The natural key (symbol, interval, start)
 * makes a retried batch harmless: a bar already stored is left as it is, never written twice.
 */
export function barSink(db: Database): RowSink<Bar> {
  return {
    async write(bars) {
      const rows = bars.map((b) => ({
        symbol: b.symbol, interval: b.interval, start_ms: b.start, end_ms: b.end,
        open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, vwap: b.vwap, trades: b.trades,
      }));
      await db.query('bars.insert', (sql) => sql`insert into bars ${sql(rows)} on conflict (symbol, interval, start_ms) do nothing`);
    },
  };
}
