import type { Sql } from 'postgres';
import { applyTimescale } from './timescale.js';

/**
 * The schema, one version at a time. A version is applied once, in its own transaction, and never
 * edited after it has shipped: a change is a new version. A version is SQL, or a function of the
 * transaction for one that depends on the server (TimescaleDB).
 */
export type Migration = { version: number; name: string } & ({ sql: string } | { apply: (tx: Sql) => Promise<void> });

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'market and news tables',
    sql: `
      create table bars (
        symbol text not null,
        interval text not null,
        start_ms bigint not null,
        end_ms bigint not null,
        open double precision not null,
        high double precision not null,
        low double precision not null,
        close double precision not null,
        volume double precision not null,
        vwap double precision not null,
        trades integer not null,
        primary key (symbol, interval, start_ms)
      );
      create table ticks (
        symbol text not null,
        ts_ms bigint not null,
        seq bigint not null,
        price double precision not null,
        size double precision not null,
        primary key (symbol, ts_ms, seq)
      );
      create table news (
        id text primary key,
        ts_ms bigint not null,
        symbols text[] not null,
        headline text not null,
        source text
      );
      create index news_ts on news (ts_ms);
      create table sentiment_data (
        news_id text not null references news (id) on delete cascade,
        symbol text not null,
        ts_ms bigint not null,
        label text not null,
        bearish real not null,
        neutral real not null,
        bullish real not null,
        model_version text not null,
        primary key (news_id, symbol)
      );
      create index sentiment_symbol_ts on sentiment_data (symbol, ts_ms);
      create table cache_entries (
        key text primary key,
        value bytea not null,
        expires_at timestamptz not null
      );
      create index cache_entries_expiry on cache_entries (expires_at);
    `,
  },
  {
    version: 2,
    name: 'TimescaleDB hypertables, compression and hourly sentiment where available',
    apply: applyTimescale,
  },
];
