import type { Sql } from 'postgres';
import type { RowSink, TickRow } from '../../streams/index.js';
import type { Database } from './database.js';
import { copyIn, CopyAborted } from './copy-in.js';
import { insertRows } from './insert-rows.js';
import { isFiniteNumber, isSafeInteger, isText, SkipCounter } from './row-checks.js';

/**
 * How a batch is written. `copy` (the engine's): COPY straight into `ticks`, and only when that
 * meets a row already stored (a retried or replayed batch) COPY into a staging table and merge with
 * `on conflict do nothing`. `insert`: multi-row INSERTs like the bar sink's, kept as the baseline
 * the persistence bench measures COPY against.
 */
export type TickSinkMethod = 'copy' | 'insert';

export interface TickSinkStats {
  /** Batches stored by a plain COPY. */
  copied: number;
  /** Batches that met stored rows and went through the staging table instead. */
  merged: number;
  /** Rows that could not be a row of `ticks` (not finite, not whole ms, no symbol), dropped and counted, never retried (row-checks.ts). */
  skipped: number;
}

const COLUMNS = 'symbol, ts_ms, seq, price, size';
// Per session (the bulk pool's one connection): created once, not per batch, so no catalog churn.
const STAGE = 'create temp table if not exists ticks_stage (symbol text, ts_ms bigint, seq bigint, price double precision, size double precision)';
const CLEAR_STAGE = 'truncate ticks_stage';
// Moves the staged rows: what a failed attempt left there is merged too, harmlessly.
const MERGE = `with staged as (delete from ticks_stage returning ${COLUMNS}) insert into ticks (${COLUMNS}) select ${COLUMNS} from staged on conflict do nothing`;

/**
 * Accepted ticks into `ticks`, idempotently on (symbol, ts_ms, seq): a retried batch, or a replay of
 * the same ticks (see TickSequencer for the seq), stores no row twice.
 *
 * COPY cannot skip conflicts, so it is tried alone first — the common case, a batch never seen,
 * costs one COPY — and a batch that conflicts (the whole COPY rolls back) is copied into a
 * per-session staging table and merged. Measured (bench/persistence.ts, 5,000-row batches): plain
 * COPY 256k rows/s, the staging path 154k, multi-row INSERT ... ON CONFLICT 74k.
 */
export class TickSink implements RowSink<TickRow> {
  private readonly stats_ = { copied: 0, merged: 0 };
  private readonly skipped = new SkipCounter();

  constructor(private readonly db: Database, private readonly method: TickSinkMethod = 'copy') {}

  stats(): TickSinkStats {
    return { ...this.stats_, skipped: this.skipped.count };
  }

  async write(rows: readonly TickRow[]): Promise<void> {
    if (this.method === 'insert') return this.insert(rows);
    const payload = this.encode(rows);
    if (payload.length === 0) return;
    if (await this.db.bulk('ticks.copy', (sql) => copyIn(sql, `copy ticks (${COLUMNS}) from stdin`, payload))) {
      this.stats_.copied++;
      return;
    }
    await this.db.bulk('ticks.merge', async (sql) => {
      await sql.unsafe(STAGE);
      await sql.unsafe(CLEAR_STAGE);
      if (!(await copyIn(sql, `copy ticks_stage (${COLUMNS}) from stdin`, payload))) throw new CopyAborted('COPY into ticks_stage');
      await sql.unsafe(MERGE);
    });
    this.stats_.merged++;
  }

  private async insert(rows: readonly TickRow[]): Promise<void> {
    const valid = rows.filter((r) => this.valid(r)).map((r) => ({ symbol: r.symbol, ts_ms: r.ts, seq: r.seq, price: r.price, size: r.size }));
    await this.db.query('ticks.insert', (sql: Sql) => insertRows(sql, 'ticks', valid, ['symbol', 'ts_ms', 'seq', 'price', 'size']));
  }

  /** COPY's text format, one line a row; rows that cannot be stored are skipped and counted. */
  private encode(rows: readonly TickRow[]): string {
    let out = '';
    for (const r of rows) {
      if (!this.valid(r)) continue;
      const symbol = /[\\\t\n\r]/.test(r.symbol) ? r.symbol.replace(/[\\\t\n\r]/g, escapeChar) : r.symbol;
      out += `${symbol}\t${r.ts}\t${r.seq}\t${r.price}\t${r.size}\n`;
    }
    return out;
  }

  private valid(r: TickRow): boolean {
    const ok = typeof r === 'object' && r !== null && isText(r.symbol, 64) && isSafeInteger(r.ts) && isSafeInteger(r.seq) && isFiniteNumber(r.price) && isFiniteNumber(r.size);
    if (!ok) this.skipped.skip(r);
    return ok;
  }
}

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
function escapeChar(c: string): string {
  return ESCAPES[c] ?? c;
}
