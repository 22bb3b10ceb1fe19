import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../support/engine.js';
import { postgresReachable, testDatabase } from '../support/postgres.js';
import { sharedData } from '../support/shared-data.js';
import { registerTestTasks } from '../fixtures/task-types.js';
import type { SmaResult } from '../../actors/task-worker/index.js';
import { smaBacktest } from '../../actors/task-worker/backtest/sma-kernel.js';

const reachable = await postgresReachable();
const spy = sharedData('market/spy-2013-10-07/bars-1m.csv');

describe.runIf(reachable)('tasks with PostgreSQL storage', () => {
  let db: { url: string; drop(): Promise<void> };
  beforeAll(async () => { db = await testDatabase('tasks'); });
  afterAll(async () => { await db?.drop(); });

  it('keeps a finished task through the cache in PostgreSQL: another engine answers for it after a restart', async () => {
    const a = await startEngine({ databaseUrl: db.url, taskQueue: 'memory' });
    registerTestTasks(a.engine.tasks);
    const id = await a.engine.tasks.submit({ type: 'test.sum', args: { a: 40, b: 2 } });
    expect(await a.engine.tasks.wait(id)).toMatchObject({ status: 'succeeded', result: 42 });
    await new Promise((r) => setTimeout(r, 200));
    await a.stop();
    const b = await startEngine({ databaseUrl: db.url, taskQueue: 'memory', apiKey: 'k' });
    try {
      const res = await fetch(`${b.http}/api/v1/tasks/${id}`, { headers: { authorization: 'apikey k' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id, type: 'test.sum', status: 'succeeded', result: 42 });
      expect((await fetch(`${b.http}/api/v1/tasks/00000000-0000-0000-0000-000000000000`, { headers: { authorization: 'apikey k' } })).status).toBe(404);
    } finally {
      await b.stop();
    }
  });

  it.runIf(spy.available)('backtests the recorded SPY day from the bars table (nothing in memory)', async () => {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    const day = Date.UTC(2013, 9, 7);
    const rows = readFileSync(spy.file, 'utf8').trim().split('\n').slice(1).map((line) => {
      const [, ms, open, high, low, close, volume] = line.split(',');
      const start = day + Number(ms);
      return { symbol: 'SPY', interval: '1m', start_ms: start, end_ms: start + 60_000, open: Number(open), high: Number(high), low: Number(low), close: Number(close), volume: Number(volume), vwap: Number(close), trades: 1 };
    });
    const t = await startEngine({ databaseUrl: db.url, taskQueue: 'memory' });
    try {
      await sql`insert into bars ${sql(rows)}`;
      const view = await t.engine.tasks.wait(await t.engine.tasks.submit({ type: 'backtest.sma', args: { symbol: 'SPY', interval: '1m', fast: 10, slow: 30 } }));
      expect(view.status).toBe('succeeded');
      const r = view.result as SmaResult;
      expect(r.bars).toBe(828);
      expect(r.trades.length).toBeGreaterThan(5);
      // The same figures as the kernel on the same bars in memory (test/unit/backtest-spy.test.ts checks it against a reference).
      const direct = smaBacktest({ starts: rows.map((b) => b.start_ms), closes: rows.map((b) => b.close), fast: 10, slow: 30, capital: 10_000, periodsPerYear: 252 * 390, maxCurvePoints: 2_000 });
      expect(r.pnl).toBeCloseTo(direct.pnl, 9);
      expect(r.sharpe).toBeCloseTo(direct.sharpe, 9);
      expect(r.trades).toEqual(direct.trades);
    } finally {
      await t.stop();
      await sql.end({ timeout: 1 });
    }
  });
});
