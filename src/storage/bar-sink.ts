import type { Bar, RowSink } from '../../streams/index.js';
import type { Database } from './database.js';
import { insertRows } from './insert-rows.js';

/**
 * Final bars into `bars`, many rows per statement. The natural key (symbol, interval, start)
 * makes a retried batch harmless: a bar already stored is left as it is, never written twice.
 */
const BAR_COLUMNS = ['symbol', 'interval', 'start_ms', 'end_ms', 'open', 'high', 'low', 'close', 'volume', 'vwap', 'trades'] as const;

export function barSink(db: Database): RowSink<Bar> {
  return {
    async write(bars) {
      const rows = bars.map((b) => ({
        symbol: b.symbol, interval: b.interval, start_ms: b.start, end_ms: b.end,
        open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, vwap: b.vwap, trades: b.trades,
      }));
      await db.query('bars.insert', (sql) => insertRows(sql, 'bars', rows, BAR_COLUMNS));
    },
  };
}

const BAR_NUMBERS = ['start', 'end', 'open', 'high', 'low', 'close', 'volume', 'vwap', 'trades'] as const;

/**
 * Whether a row read back from the spill is a bar this sink can write: anything else there (a
 * damaged or foreign file) would fail its insert for ever and hold every bar behind it.
 */
export function isBarRow(row: unknown): row is Bar {
  if (typeof row !== 'object' || row === null) return false;
  const b = row as Record<string, unknown>;
  return typeof b.symbol === 'string' && typeof b.interval === 'string' && BAR_NUMBERS.every((k) => Number.isFinite(b[k]));
}
