import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import postgres from 'postgres';
import { pino } from 'pino';
import { Engine, loadConfig } from '../../src/index.js';
import { Database, migrations, TIMESCALE_STATEMENTS, timescaleUsable } from '../../src/storage/index.js';
import { postgresReachable, testDatabase } from '../support/postgres.js';
import type { DatabaseEndpoint } from '../support/database-endpoint.js';

const reachable = await postgresReachable();

describe.runIf(reachable)('schema version 2 (TimescaleDB where it can load) on this machine\'s plain PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let sql: postgres.Sql;
  beforeAll(async () => {
    db = await testDatabase('tsdb');
    sql = postgres(db.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end();
    await db?.drop();
  });

  it('is a no-op that records itself: the tables and keys stay as version 1 made them', async () => {
    const usable = await timescaleUsable(sql);
    // This machine has no TimescaleDB; if it ever does, this test no longer shows the plain path.
    expect(usable).toEqual({ usable: false, reason: expect.stringContaining('timescaledb') });
    const database = new Database({ url: db.url, poolSize: 1 });
    const report = await database.start();
    try {
      expect(report).toEqual({ applied: [1, 2], current: 2 });
      const versions = await sql<{ version: number; name: string }[]>`select version, name from schema_migrations order by version`;
      expect(versions).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })));
      const pk = await sql<{ col: string }[]>`
        select a.attname as col from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indrelid = 'sentiment_data'::regclass and i.indisprimary order by array_position(i.indkey, a.attnum)`;
      expect(pk.map((r) => r.col)).toEqual(['news_id', 'symbol']);
      expect((await sql`select 1 from pg_extension where extname = 'timescaledb'`).length).toBe(0);
      expect(database.timescaleState()).toMatchObject({ extension: 'absent', hypertables: [], continuousAggregates: [], layout: expect.stringMatching(/^plain PostgreSQL tables: /) });
    } finally {
      await database.stop();
    }
  });

  it('every TimescaleDB statement is valid SQL to PostgreSQL\'s parser (it cannot be run here); a broken one would be caught', async () => {
    // PL/pgSQL's validator parses each SQL statement of a function body when the function is created (check_function_bodies),
    // without running it or resolving names: syntax only.
    const check = async (statement: string, i: number) => {
      await sql.unsafe(`create function pg_temp.ts_check_${i}() returns void language plpgsql as $check$ begin ${statement}; end $check$`);
    };
    expect(TIMESCALE_STATEMENTS.length).toBeGreaterThan(10);
    for (const [i, statement] of TIMESCALE_STATEMENTS.entries()) {
      // A SELECT of a function in PL/pgSQL must be PERFORM; the rest of the statement is parsed as written.
      await check(statement.replace(/^select /, 'perform '), i);
    }
    await expect(check("select create_hypertable('ticks' 'ts_ms')", 999)).rejects.toMatchObject({ code: '42601' });
    await expect(check('create materialized view v with (timescaledb.continuous) as select from', 998)).rejects.toMatchObject({ code: '42601' });
  });

  it('the engine logs the choice at start and /performance/metrics/database shows it, with the pool and per-name latency', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } }));
    const config = loadConfig({}, { port: 0, host: '127.0.0.1', feed: 'none', shutdownGraceMs: 200, databaseUrl: db.url, databasePoolSize: 3 });
    const engine = new Engine({ config, logger });
    const { port } = await engine.start();
    try {
      const ready = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'database ready');
      expect(ready).toMatchObject({ schemaVersion: 2, timescaledb: 'absent', layout: expect.stringMatching(/^plain PostgreSQL tables/), storeTicks: false });
      for (let i = 0; i < 20; i++) await engine.database?.query('test.ping', (s) => s`select pg_sleep(0.002)`);
      await engine.database?.query('test.bad', (s) => s`select * from nowhere`).catch(() => {});
      const report = (await (await fetch(`http://127.0.0.1:${port}/performance/metrics/database`)).json()) as DatabaseEndpoint;
      expect(report).toMatchObject({
        configured: true, up: true, schemaVersion: 2, timescaledb: 'absent',
        timescale: { extension: 'absent', preloaded: false, hypertables: [], continuousAggregates: [] },
        pool: { size: 3, inFlight: 0 },
        persistence: { bars: { written: 0, refused: 0 } },
        ticks: null,
      });
      // The report's own query is the one connection the server sees active; it is counted as idle.
      expect(report.pool.connections).toMatchObject({ active: 0, idleInTransaction: 0 });
      expect(report.pool.connections?.open).toBeGreaterThanOrEqual(1);
      expect(report.pool.connections?.open).toBeLessThanOrEqual(3);
      const ping = report.queries['test.ping'];
      expect(ping).toMatchObject({ calls: 20, errors: 0 });
      expect(ping?.p50).toBeGreaterThanOrEqual(0.001);
      expect(ping?.p50).toBeLessThan(0.1);
      expect(ping?.p99).toBeGreaterThanOrEqual(ping?.p50 ?? Number.POSITIVE_INFINITY);
      expect(report.queries['test.bad']).toMatchObject({ calls: 1, errors: 1 });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/supernova_db_query_seconds_count\{name="test\.ping"\} 20/);
      expect(metrics).toMatch(/supernova_db_query_seconds_total\{name="test\.ping"\} /);
      expect(metrics).toMatch(/supernova_db_query_errors_total\{name="test\.bad"\} 1/);
    } finally {
      await engine.stop();
    }
  });
});
