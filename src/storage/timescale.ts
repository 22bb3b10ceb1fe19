import type { Sql, TransactionSql } from 'postgres';

/** Whether this server has TimescaleDB: installed in this database, available to install, or absent. */
export type TimescaleExtension = 'installed' | 'available' | 'absent';

/** What `/performance/metrics/database` and the start-up log say of TimescaleDB. */
export interface TimescaleState {
  extension: TimescaleExtension;
  /** Whether the server preloads it (shared_preload_libraries): CREATE EXTENSION fails without. */
  preloaded: boolean;
  /** The tables that are hypertables ([] on plain PostgreSQL). */
  hypertables: string[];
  continuousAggregates: string[];
  /** Why the schema is what it is, in a sentence. */
  layout: string;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Schema version 2 under TimescaleDB, statement by statement (a test has PostgreSQL's parser check
 * each one, as this machine has no TimescaleDB to run them). Time is integer ms, so every
 * hypertable gets an integer_now function, which compression and aggregate policies need to know
 * what "now" is in the column's units.
 *
 * sentiment_data is keyed by (news_id, symbol), but a hypertable's unique indexes must contain its
 * time column. A sentiment row's ts_ms is its news item's time, fixed by news_id, so the key
 * (news_id, symbol, ts_ms) admits exactly the same rows: the sink's `on conflict do nothing`
 * (without a target) stays idempotent under either key. That change is made only here, under
 * TimescaleDB; plain PostgreSQL keeps version 1's key.
 */
export const TIMESCALE_STATEMENTS: readonly string[] = [
  'create extension if not exists timescaledb',
  `create or replace function supernova_now_ms() returns bigint language sql stable as $now$ select (extract(epoch from now()) * 1000)::bigint $now$`,

  `select create_hypertable('bars', 'start_ms', chunk_time_interval => ${7 * DAY_MS}::bigint, migrate_data => true)`,
  `select set_integer_now_func('bars', 'supernova_now_ms')`,
  `alter table bars set (timescaledb.compress, timescaledb.compress_segmentby = 'symbol, interval', timescaledb.compress_orderby = 'start_ms')`,
  `select add_compression_policy('bars', compress_after => ${30 * DAY_MS}::bigint)`,

  `select create_hypertable('ticks', 'ts_ms', chunk_time_interval => ${DAY_MS}::bigint, migrate_data => true)`,
  `select set_integer_now_func('ticks', 'supernova_now_ms')`,
  `alter table ticks set (timescaledb.compress, timescaledb.compress_segmentby = 'symbol', timescaledb.compress_orderby = 'ts_ms, seq')`,
  `select add_compression_policy('ticks', compress_after => ${7 * DAY_MS}::bigint)`,

  'alter table sentiment_data drop constraint sentiment_data_pkey',
  'alter table sentiment_data add primary key (news_id, symbol, ts_ms)',
  `select create_hypertable('sentiment_data', 'ts_ms', chunk_time_interval => ${30 * DAY_MS}::bigint, migrate_data => true)`,
  `select set_integer_now_func('sentiment_data', 'supernova_now_ms')`,
  // WITH NO DATA: a continuous aggregate created with data cannot be created inside a transaction,
  // and migrations run in one. The policy fills it; real-time aggregation covers what it has not.
  `create materialized view sentiment_hourly with (timescaledb.continuous) as
     select symbol, time_bucket(${HOUR_MS}::bigint, ts_ms) as hour_ms, count(*) as items,
       avg(bullish) as bullish, avg(neutral) as neutral, avg(bearish) as bearish,
       sum(case when label = 'bullish' then 1 else 0 end) as bullish_items,
       sum(case when label = 'neutral' then 1 else 0 end) as neutral_items,
       sum(case when label = 'bearish' then 1 else 0 end) as bearish_items
     from sentiment_data
     group by symbol, time_bucket(${HOUR_MS}::bigint, ts_ms)
     with no data`,
  `select add_continuous_aggregate_policy('sentiment_hourly', start_offset => ${3 * DAY_MS}::bigint, end_offset => ${HOUR_MS}::bigint, schedule_interval => interval '15 minutes')`,
];

/** Whether CREATE EXTENSION timescaledb can work here, and if not, why. */
export async function timescaleUsable(sql: Sql | TransactionSql): Promise<{ usable: boolean; reason: string }> {
  const [row] = await sql<{ available: boolean; preload: string }[]>`
    select exists (select 1 from pg_available_extensions where name = 'timescaledb') as available,
           current_setting('shared_preload_libraries') as preload`;
  if (!row?.available) return { usable: false, reason: 'the timescaledb extension is not available on this server (pg_available_extensions)' };
  if (!/(^|[\s,])timescaledb($|[\s,])/.test(row.preload)) return { usable: false, reason: 'timescaledb is available but not in shared_preload_libraries' };
  return { usable: true, reason: 'timescaledb is available and preloaded' };
}

/**
 * Version 2: hypertables, compression and the hourly sentiment aggregate where TimescaleDB can be
 * used; elsewhere nothing, and the version is recorded all the same. A database migrated without
 * it stays plain if TimescaleDB is installed later: converting one is a deliberate step (a later
 * version), not something a restart does behind an operator's back.
 */
export async function applyTimescale(tx: Sql): Promise<void> {
  if (!(await timescaleUsable(tx)).usable) return;
  for (const statement of TIMESCALE_STATEMENTS) await tx.unsafe(statement);
}

/** TimescaleDB as this database has it now. */
export async function timescaleState(sql: Sql): Promise<TimescaleState> {
  const [ext] = await sql<{ installed: string | null }[]>`select installed_version as installed from pg_available_extensions where name = 'timescaledb'`;
  const extension: TimescaleExtension = ext === undefined ? 'absent' : ext.installed ? 'installed' : 'available';
  const usable = await timescaleUsable(sql);
  if (extension !== 'installed') {
    return { extension, preloaded: usable.usable, hypertables: [], continuousAggregates: [], layout: `plain PostgreSQL tables: ${usable.reason}` };
  }
  const hypertables = (await sql<{ name: string }[]>`select hypertable_name as name from timescaledb_information.hypertables order by 1`).map((r) => r.name);
  const continuousAggregates = (await sql<{ name: string }[]>`select view_name as name from timescaledb_information.continuous_aggregates order by 1`).map((r) => r.name);
  return {
    extension, preloaded: usable.usable, hypertables, continuousAggregates,
    layout: hypertables.length > 0 ? `TimescaleDB hypertables: ${hypertables.join(', ')}` : 'TimescaleDB is installed, but this database was migrated without it: plain tables',
  };
}
