import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { Database, TickSink, type TickSinkMethod } from '../../src/storage/index.js';
import { TickSequencer, type TickRow } from '../../streams/index.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { postgresReachable, testDatabase } from '../support/postgres.js';
import type { DatabaseEndpoint } from '../support/database-endpoint.js';
import { PrivatePostgres } from '../support/private-postgres.js';

const reachable = await postgresReachable();
const canStartOwn = PrivatePostgres.installed();

/** `n` rows of a few symbols, three trades per millisecond, keyed as the engine keys them. */
function rows(n: number, from = 1_381_000_000_000, symbols = ['AAA', 'BBB', 'C.D']): TickRow[] {
  const seq = new TickSequencer();
  return Array.from({ length: n }, (_, i) => seq.row({ symbol: symbols[i % symbols.length] as string, ts: from + Math.floor(i / 9), price: 100 + (i % 97) / 8, size: 1 + (i % 13) }));
}

async function stored(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const r = await sql<{ symbol: string; ts_ms: string; seq: string; price: number; size: number }[]>`select * from ticks order by symbol, ts_ms, seq`;
    return r.map((t) => `${t.symbol}|${t.ts_ms}|${t.seq}|${t.price}|${t.size}`);
  } finally {
    await sql.end();
  }
}
const keyOf = (r: TickRow) => `${r.symbol}|${r.ts}|${r.seq}|${r.price}|${r.size}`;
const sorted = (xs: string[]) => [...xs].sort();

async function idleInTransaction(db: Database): Promise<number> {
  const [row] = await db.query('test.idle-in-tx', (sql) => sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`);
  return row?.n ?? -1;
}

describe.runIf(reachable)('tick sink (real PostgreSQL)', () => {
  let db: { url: string; drop(): Promise<void> };
  let database: Database;
  beforeAll(async () => {
    db = await testDatabase('ticksink');
    database = new Database({ url: db.url, poolSize: 3 });
    await database.start();
  });
  afterAll(async () => {
    await database?.stop();
    await db?.drop();
  });

  it.each<TickSinkMethod>(['copy', 'insert'])('%s: a batch, the same batch again, and one half-new store every row exactly once', async (method) => {
    await database.query('test.truncate', (sql) => sql`truncate ticks`);
    const sink = new TickSink(database, method);
    const all = rows(30_000);
    await sink.write(all.slice(0, 20_000));
    await sink.write(all.slice(0, 20_000));
    await sink.write(all.slice(10_000, 30_000));
    expect(sorted(await stored(db.url))).toEqual(sorted(all.map(keyOf)));
    if (method === 'copy') expect(sink.stats()).toEqual({ copied: 1, merged: 2, skipped: 0 });
    expect(await idleInTransaction(database)).toBe(0);
  });

  it('copy: a conflict in the first row of a large batch (refused while its data may still be arriving) also merges', async () => {
    await database.query('test.truncate', (sql) => sql`truncate ticks`);
    const sink = new TickSink(database);
    const all = rows(200_000);
    await sink.write(all.slice(0, 1));
    await sink.write(all);
    expect((await stored(db.url)).length).toBe(200_000);
    expect(sink.stats()).toMatchObject({ copied: 1, merged: 1 });
    expect(await idleInTransaction(database)).toBe(0);
  });

  it('hostile rows: COPY\'s special characters are stored as sent; rows the table cannot hold are dropped and counted once, never retried for ever', async () => {
    await database.query('test.truncate', (sql) => sql`truncate ticks`);
    const sink = new TickSink(database);
    const odd = ['A\tB', 'A\\N', 'A\nB', 'A\r', '\\.', 'Ω'];
    const good: TickRow[] = odd.map((symbol, i) => ({ symbol, ts: 1_381_000_000_000 + i, seq: 0, price: 0.1 + 0.2, size: 1e-7 }));
    const bad = [
      { symbol: 'NAN', ts: 1, seq: 0, price: Number.NaN, size: 1 },
      { symbol: 'INF', ts: 1, seq: 0, price: 1, size: Number.POSITIVE_INFINITY },
      { symbol: 'FRAC', ts: 1.5, seq: 0, price: 1, size: 1 },
      { symbol: 'BIG', ts: 2 ** 60, seq: 0, price: 1, size: 1 },
      { symbol: 'N\u0000UL', ts: 1, seq: 0, price: 1, size: 1 },
      { symbol: '', ts: 1, seq: 0, price: 1, size: 1 },
      { symbol: 42, ts: 1, seq: 0, price: 1, size: 1 },
    ] as unknown as TickRow[];
    const batch = [...good, ...bad];
    await sink.write(batch);
    await sink.write(batch);
    expect(sorted(await stored(db.url))).toEqual(sorted(good.map(keyOf)));
    expect(sink.stats().skipped).toBe(bad.length);
    const [{ price } = { price: 0 }] = await database.query('test.price', (sql) => sql<{ price: number }[]>`select price from ticks limit 1`);
    expect(price).toBe(0.1 + 0.2);
    // Not an object at all: dropped too (counted per attempt, as it cannot be told apart from another).
    await sink.write([null as unknown as TickRow]);
    expect(sink.stats().skipped).toBe(bad.length + 1);
  });

  it('a batch of only unstorable rows sends nothing', async () => {
    const sink = new TickSink(database);
    const before = database.queryStats()['ticks.copy']?.calls ?? 0;
    await sink.write([{ symbol: 'X', ts: Number.NaN, seq: 0, price: 1, size: 1 }]);
    expect(database.queryStats()['ticks.copy']?.calls ?? 0).toBe(before);
  });
});

async function ingest(t: TestEngine, body: unknown): Promise<void> {
  const res = await fetch(`${t.http}/api/v1/ingest/ticks`, { method: 'POST', headers: { authorization: 'apikey test-key', 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

/** Ticks of `symbol` from `from`, several per millisecond (trades in one ms are common). */
function trades(symbol: string, from: number, n: number): { symbol: string; price: number; size: number; ts: number }[] {
  return Array.from({ length: n }, (_, i) => ({ symbol, price: 50 + (i % 11), size: 1 + (i % 4), ts: from + Math.floor(i / 3) }));
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe.runIf(reachable)('engine with SUPERNOVA_STORE_TICKS', () => {
  it('stores every accepted tick once (refused ones not), counted in supernova_persist_rows_total{table="ticks"} and shown in /performance/metrics/database', async () => {
    const db = await testDatabase('ticksengine');
    const t = await startEngine({ apiKey: 'test-key', databaseUrl: db.url, storeTicks: true, persistFlushMs: 50 });
    try {
      const from = Date.now() - 60_000;
      const sent = [...trades('TKA', from, 900), ...trades('TKB', from, 300)];
      await ingest(t, sent.slice(0, 600));
      await ingest(t, [...sent.slice(600), { symbol: 'TKA', price: -1, size: 1, ts: from }]);
      expect(await waitFor(async () => (await stored(db.url)).length >= sent.length, 10_000)).toBe(true);
      const rowsStored = await stored(db.url);
      expect(rowsStored.length).toBe(sent.length);
      // The keys the engine gave are the sequencer's over the accepted ticks in arrival order.
      const seq = new TickSequencer();
      expect(sorted(rowsStored)).toEqual(sorted(sent.map((s) => keyOf(seq.row(s)))));
      const metrics = await (await fetch(`${t.http}/metrics`)).text();
      expect(metrics).toContain(`supernova_persist_rows_total{table="ticks"} ${sent.length}`);
      expect(metrics).toMatch(/supernova_db_query_seconds_bucket\{le="\+Inf",name="ticks\.copy"\} [1-9]/);
      const report = (await (await fetch(`${t.http}/performance/metrics/database`)).json()) as DatabaseEndpoint;
      expect(report.persistence.ticks).toMatchObject({ written: sent.length, refused: 0, buffered: 0 });
      expect(report.ticks).toMatchObject({ skipped: 0 });
      expect(report.queries['ticks.copy']).toMatchObject({ errors: 0 });
      expect(report.queries['ticks.copy']?.p99).toBeGreaterThan(0);
    } finally {
      await t.stop();
      await db.drop();
    }
  });

  it.runIf(canStartOwn)('the database stopped while ticks are written: none lost, none twice, once it is back; no write hangs', async () => {
    const pg = await PrivatePostgres.start();
    try {
      const t = await startEngine({ apiKey: 'test-key', databaseUrl: pg.url, storeTicks: true, persistFlushMs: 20, persistTicksBatchMax: 500 });
      try {
        const from = Date.now() - 120_000;
        const sent = trades('TKD', from, 6_000);
        await ingest(t, sent.slice(0, 2_000));
        await new Promise((r) => setTimeout(r, 200));
        // Stopped while batches are in flight: some COPYs are cut off mid-way.
        const stopping = ingest(t, sent.slice(2_000, 4_000));
        pg.stopServer();
        await stopping;
        await ingest(t, sent.slice(4_000));
        expect(await waitFor(async () => /supernova_persist_retries_total\{table="ticks"\} [1-9]/.test(await (await fetch(`${t.http}/metrics`)).text()), 10_000)).toBe(true);
        await pg.startServer();
        expect(await waitFor(async () => (await stored(pg.url)).length >= sent.length, 20_000)).toBe(true);
        const seq = new TickSequencer();
        expect(sorted(await stored(pg.url))).toEqual(sorted(sent.map((s) => keyOf(seq.row(s)))));
      } finally {
        await t.stop();
      }
    } finally {
      await pg.stop();
    }
  }, 60_000);

  it.runIf(canStartOwn)('ticks that wait for a database that is down spill to SUPERNOVA_SPILL_DIR, within their share of its budget, and the next engine writes them', async () => {
    const pg = await PrivatePostgres.start();
    const dir = mkdtempSync(join(tmpdir(), 'tick-spill-'));
    try {
      const options = { apiKey: 'test-key', databaseUrl: pg.url, storeTicks: true, persistFlushMs: 20, spillDir: dir, spillMaxBytes: 4 * 1024 * 1024 };
      const first = await startEngine(options);
      const sent = trades('TKS', Date.now() - 120_000, 3_000);
      try {
        pg.stopServer();
        await ingest(first, sent);
        expect(await waitFor(async () => /supernova_spill_rows_total\{table="ticks"\} 3000/.test(await (await fetch(`${first.http}/metrics`)).text()), 10_000)).toBe(true);
        const report = (await (await fetch(`${first.http}/performance/metrics/database`)).json()) as { persistence: { ticks: { buffered: number; spill: { bytes: number } } } };
        expect(report.persistence.ticks.buffered).toBe(0);
        expect(report.persistence.ticks.spill.bytes).toBeGreaterThan(0);
      } finally {
        await first.stop();
      }
      await pg.startServer();
      const second = await startEngine(options);
      try {
        expect(await waitFor(async () => (await stored(pg.url)).length >= sent.length, 20_000)).toBe(true);
        const seq = new TickSequencer();
        expect(sorted(await stored(pg.url))).toEqual(sorted(sent.map((s) => keyOf(seq.row(s)))));
      } finally {
        await second.stop();
      }
    } finally {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
