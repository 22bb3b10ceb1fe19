import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import postgres from 'postgres';
import { Database, migrate, migrations } from '../../src/storage/index.js';
import { startEngine } from '../support/engine.js';
import { postgresReachable, testDatabase } from '../support/postgres.js';

const reachable = await postgresReachable();

describe.runIf(reachable)('PostgreSQL schema migrations (real PostgreSQL)', () => {
  let db: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    db = await testDatabase('migrate');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('two engines migrating one empty database at once apply each version exactly once', async () => {
    const a = postgres(db.url, { max: 2, onnotice: () => {} });
    const b = postgres(db.url, { max: 2, onnotice: () => {} });
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      const latest = Math.max(...migrations.map((m) => m.version));
      expect([...ra.applied, ...rb.applied].sort()).toEqual(migrations.map((m) => m.version).sort());
      expect(ra.current).toBe(latest);
      expect(rb.current).toBe(latest);
      const rows = await a<{ version: number }[]>`select version from schema_migrations order by version`;
      expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
      // Again: nothing to do.
      expect((await migrate(a)).applied).toEqual([]);
      const tables = await a<{ table_name: string }[]>`select table_name from information_schema.tables where table_schema = 'public' order by table_name`;
      expect(tables.map((t) => t.table_name)).toEqual(['bars', 'cache_entries', 'news', 'schema_migrations', 'sentiment_data', 'ticks']);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('a migration whose connection is killed mid-way rejects, leaves nothing applied, and throws nothing elsewhere; the next run applies all', async () => {
    const other = await testDatabase('killmig');
    // A pool of its own, as Database migrates on: the dead connection is kept out of it (see migrate()).
    const sql = postgres(other.url, { max: 1, onnotice: () => {} });
    const killer = postgres(other.url, { max: 1, onnotice: () => {} });
    const stray: unknown[] = [];
    const onStray = (err: unknown) => stray.push(err);
    process.on('uncaughtException', onStray);
    try {
      const slow = { version: 998, name: 'slow', sql: 'select pg_sleep(3)' };
      const running = migrate(sql, [...migrations, slow]);
      const outcome = running.then(() => 'applied', (err: unknown) => err);
      let killed = 0;
      for (let i = 0; i < 100 && killed === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const rows = await killer<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and query like 'select pg_sleep(3)%' and pid <> pg_backend_pid()`;
        for (const { pid } of rows) killed += (await killer`select pg_terminate_backend(${pid})`).length;
      }
      expect(killed).toBe(1);
      expect(await outcome).toBeInstanceOf(Error);
      // postgres.js's own ROLLBACK on the dead connection threw from a timer (postgres.js #1208): give it the chance.
      await new Promise((r) => setTimeout(r, 200));
      expect(stray).toEqual([]);
      const [row] = await killer<{ n: number }[]>`select count(*)::int as n from information_schema.tables where table_name = 'schema_migrations'`;
      expect(row?.n).toBe(0);
      await sql.end({ timeout: 1 });
      const again = postgres(other.url, { max: 1, onnotice: () => {} });
      expect((await migrate(again).finally(() => again.end())).applied).toEqual(migrations.map((m) => m.version));
      expect(stray).toEqual([]);
    } finally {
      process.off('uncaughtException', onStray);
      await Promise.all([sql.end({ timeout: 1 }), killer.end()]);
      await other.drop();
    }
  });

  it('a failing version names itself and leaves the schema as it was', async () => {
    const other = await testDatabase('badmig');
    const sql = postgres(other.url, { max: 1, onnotice: () => {} });
    try {
      await expect(migrate(sql, [...migrations, { version: 999, name: 'broken', sql: 'create table x (' }])).rejects.toMatchObject({ code: 'MIGRATION_FAILED', message: expect.stringContaining('999 (broken)') });
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from information_schema.tables where table_name = 'schema_migrations'`;
      expect(row?.n).toBe(0);
    } finally {
      await sql.end();
      await other.drop();
    }
  });

  it('an engine with SUPERNOVA_DATABASE_URL migrates at start; an unreachable database stops start-up naming the variable and host', async () => {
    const fresh = await testDatabase('engine');
    try {
      const t = await startEngine({ databaseUrl: fresh.url });
      const stats = await t.engine.database?.query('count-migrations', (sql) => sql<{ n: number }[]>`select count(*)::int as n from schema_migrations`);
      expect(stats?.[0]?.n).toBe(migrations.length);
      expect(t.engine.database?.queryStats()['count-migrations']).toMatchObject({ calls: 1, errors: 0 });
      const report = (await (await fetch(`${t.http}/performance/metrics/database`)).json()) as Record<string, unknown>;
      expect(report).toMatchObject({ configured: true, up: true, schemaVersion: migrations.length, poolSize: 10, queries: { 'count-migrations': { calls: 1, errors: 0 } } });
      expect(['installed', 'available', 'absent']).toContain(report.timescaledb);
      expect(String(report.target)).not.toContain('password');
      const metrics = await (await fetch(`${t.http}/metrics`)).text();
      expect(metrics).toMatch(/supernova_db_queries_total\{name="count-migrations"\} 1/);
      expect(metrics).toMatch(/supernova_component_up\{component="database"\} 1/);
      await t.stop();
    } finally {
      await fresh.drop();
    }
    await expect(startEngine({ databaseUrl: 'postgres://postgres:secret@127.0.0.1:1/nowhere', databaseAtStart: 'require' })).rejects.toMatchObject({
      code: 'DATABASE_UNREACHABLE',
      message: expect.stringMatching(/SUPERNOVA_DATABASE_URL.*127\.0\.0\.1:1/s),
    });
    await expect(startEngine({ databaseUrl: 'postgres://postgres:secret@127.0.0.1:1/nowhere', databaseAtStart: 'require' })).rejects.not.toMatchObject({ message: expect.stringContaining('secret') });
  });

  it('without a database the report says so', async () => {
    const t = await startEngine();
    try {
      expect(await (await fetch(`${t.http}/performance/metrics/database`)).json()).toEqual({ configured: false });
    } finally {
      await t.stop();
    }
  });

  it('npm run migrate says what it applied, then that the database is up to date', async () => {
    const fresh = await testDatabase('cli');
    try {
      const run = () => spawnSync(process.execPath, ['--import', 'tsx', 'src/storage/migrate-cli.ts'], { env: { ...process.env, SUPERNOVA_DATABASE_URL: fresh.url }, encoding: 'utf8' });
      const first = run();
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/^applied 1, 2; schema version 2/);
      const second = run();
      expect(second.stdout).toMatch(/^up to date; schema version 2/);
      const none = spawnSync(process.execPath, ['--import', 'tsx', 'src/storage/migrate-cli.ts'], { env: { ...process.env, SUPERNOVA_DATABASE_URL: '' }, encoding: 'utf8' });
      expect(none.status).toBe(1);
      expect(none.stderr).toContain('SUPERNOVA_DATABASE_URL');
    } finally {
      await fresh.drop();
    }
  });

  it('a query error is a named StorageError with the driver\'s error as cause, counted under its name', async () => {
    const fresh = await testDatabase('query');
    const database = new Database({ url: fresh.url, poolSize: 2 });
    try {
      await database.start();
      const err = await database.query('bad', (sql) => sql`select * from no_such_table`).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'StorageError', code: 'QUERY_FAILED' });
      expect((err as Error).cause).toBeInstanceOf(Error);
      expect(database.queryStats().bad).toMatchObject({ calls: 1, errors: 1 });
    } finally {
      await database.stop();
      await fresh.drop();
    }
  });
});
