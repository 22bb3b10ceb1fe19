import { afterAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { startEngine, type TestEngine } from '../support/engine.js';
import { postgresReachable, testDatabase } from '../support/postgres.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import type { Bar } from '../../streams/index.js';

const reachable = await postgresReachable();
const canStartOwn = PrivatePostgres.installed();

/** Ticks of one symbol, one per 250 ms of event time from `from`, for `seconds`. */
function ticks(symbol: string, from: number, seconds: number): { symbol: string; price: number; size: number; ts: number }[] {
  return Array.from({ length: seconds * 4 }, (_, i) => ({ symbol, price: 100 + (i % 7), size: 1 + (i % 3), ts: from + i * 250 }));
}

async function ingest(t: TestEngine, body: unknown): Promise<void> {
  const res = await fetch(`${t.http}/api/v1/ingest/ticks`, { method: 'POST', headers: { authorization: 'apikey test-key', 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

async function memoryBars(t: TestEngine, symbol: string): Promise<Bar[]> {
  const res = await fetch(`${t.http}/api/v1/market/${symbol}/bars?interval=1s&limit=1000`);
  return ((await res.json()) as { items: Bar[] }).items;
}

async function storedBars(url: string, symbol: string): Promise<Bar[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<Record<string, number | string>[]>`select * from bars where symbol = ${symbol} and interval = '1s' order by start_ms`;
    return rows.map((r) => ({
      symbol: r.symbol, interval: r.interval, start: Number(r.start_ms), end: Number(r.end_ms), open: r.open, high: r.high, low: r.low,
      close: r.close, volume: r.volume, vwap: r.vwap, trades: r.trades, final: true,
    }) as Bar);
  } finally {
    await sql.end();
  }
}

const shape = (bars: Bar[]) => bars.map(({ start, open, high, low, close, volume, vwap, trades }) => ({ start, open, high, low, close, volume, vwap, trades }));

describe.runIf(reachable)('final bars persisted to PostgreSQL', () => {
  const dbs: { drop(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const d of dbs) await d.drop();
  });

  it('every closed bar is stored once, equal to the in-memory bar', async () => {
    const db = await testDatabase('bars');
    dbs.push(db);
    const t = await startEngine({ apiKey: 'test-key', databaseUrl: db.url, persistFlushMs: 50, barLatenessMs: 0 });
    try {
      const from = Math.floor(Date.now() / 1000) * 1000 - 60_000;
      await ingest(t, ticks('PERS', from, 20));
      // A tick well past the last bar closes it by the watermark.
      await ingest(t, [{ symbol: 'PERS', price: 100, size: 1, ts: from + 30_000 }]);
      let stored: Bar[] = [];
      const inMemory = await memoryBars(t, 'PERS');
      expect(inMemory.length).toBeGreaterThanOrEqual(20);
      for (let i = 0; i < 100 && stored.length < inMemory.length; i++) {
        await new Promise((r) => setTimeout(r, 50));
        stored = await storedBars(db.url, 'PERS');
      }
      expect(shape(stored)).toEqual(shape(inMemory));
      // Every interval's bars count (1m as well as 1s); the count follows the write's answer,
      // which may come a moment after the rows are visible.
      const sql = postgres(db.url, { max: 1, onnotice: () => {} });
      const [{ n } = { n: -1 }] = await sql<{ n: number }[]>`select count(*)::int as n from bars`;
      await sql.end();
      const counted = new RegExp(`supernova_persist_rows_total\\{table="bars"\\} ${n}\\n`);
      let metrics = '';
      for (let i = 0; i < 40 && !counted.test(metrics); i++) {
        metrics = await (await fetch(`${t.http}/metrics`)).text();
        if (!counted.test(metrics)) await new Promise((r) => setTimeout(r, 50));
      }
      expect(metrics.split('\n').find((l) => l.startsWith('supernova_persist_rows_total{'))).toBe(`supernova_persist_rows_total{table="bars"} ${n}`);
    } finally {
      await t.stop();
    }
  });

  it.runIf(canStartOwn)('the database stopped while bars close: none is lost, none is written twice, once it is back', async () => {
    const pg = await PrivatePostgres.start();
    try {
      const t = await startEngine({ apiKey: 'test-key', databaseUrl: pg.url, persistFlushMs: 50, barLatenessMs: 0 });
      try {
        const from = Math.floor(Date.now() / 1000) * 1000 - 120_000;
        await ingest(t, ticks('DOWN', from, 10));
        await new Promise((r) => setTimeout(r, 300));
        pg.stopServer();
        await ingest(t, ticks('DOWN', from + 10_000, 10));
        await ingest(t, [{ symbol: 'DOWN', price: 100, size: 1, ts: from + 60_000 }]);
        // Bars closed while the database is away wait, and their writes are retried.
        let retried = false;
        for (let i = 0; i < 100 && !retried; i++) {
          await new Promise((r) => setTimeout(r, 100));
          retried = /supernova_persist_retries_total\{table="bars"\} [1-9]/.test(await (await fetch(`${t.http}/metrics`)).text());
        }
        expect(retried).toBe(true);
        await pg.startServer();
        const inMemory = await memoryBars(t, 'DOWN');
        let stored: Bar[] = [];
        for (let i = 0; i < 200 && stored.length < inMemory.length; i++) {
          await new Promise((r) => setTimeout(r, 100));
          stored = await storedBars(pg.url, 'DOWN').catch(() => []);
        }
        expect(inMemory.length).toBeGreaterThanOrEqual(20);
        expect(shape(stored)).toEqual(shape(inMemory));
      } finally {
        await t.stop();
      }
    } finally {
      await pg.stop();
    }
  });
});
