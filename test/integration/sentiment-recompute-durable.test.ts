import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresReachable, testDatabase } from '../support/postgres.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, testPrefix } from '../support/redis-broker.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import type { RecomputeResult } from '../../actors/task-worker/index.js';

const reachable = (await redisReachable()) && (await postgresReachable());
const KEY = 'recompute-durable-key';
const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `sentiment.recompute` in redis mode, on two engines sharing the queues: one with the database
 * and the model, one with neither. The bare one refuses a submission naming what it lacks, and
 * never takes a job of the type (it does not consume the type's queue), yet answers for it.
 */
describe.runIf(reachable)('sentiment.recompute on a shared queue (real Redis and PostgreSQL)', () => {
  const prefix = testPrefix('recompute');
  let db: { url: string; drop(): Promise<void> };
  let full: TestEngine | undefined;
  let bare: TestEngine | undefined;
  const from = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
  const to = from + HOUR;
  const common = { apiKey: KEY, redisUrl: REDIS_URL, redisPrefix: prefix, taskQueue: 'redis', broker: 'memory', taskWorkersMin: 2, taskWorkersMax: 2, httpRateApi: '100000/1s', httpRateIngest: '100000/1s' } as const;
  const call = async (t: TestEngine | undefined, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t?.http}${path}`, { method, headers: { authorization: `apikey ${KEY}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    db = await testDatabase('recompute_durable');
    // The bare engine first: its workers are already taking jobs when the first one comes.
    bare = await startEngine(common);
    full = await startEngine({ ...common, sentiment: true, databaseUrl: db.url, persistFlushMs: 20 });
  }, 30_000);
  afterAll(async () => {
    await bare?.stop();
    await full?.stop();
    await db?.drop();
    await cleanPrefix(prefix);
  });

  it('runs only on the engine that has the database and the model', async () => {
    const news = Array.from({ length: 6 }, (_, i) => ({ id: `rd-${i}`, symbols: ['RDA'], headline: `RDA ${i % 2 ? 'beats estimates, shares jump' : 'misses forecasts, stock slides'} (${i})`, ts: from + i * 60_000 }));
    expect((await call(full, 'POST', '/api/v1/ingest/news', news)).json).toMatchObject({ accepted: 6 });
    const refused = await call(bare, 'POST', '/api/v1/tasks', { type: 'sentiment.recompute', args: { symbol: 'RDA', from, to } });
    expect(refused.status).toBe(400);
    expect((refused.json.error as { message: string }).message).toMatch(/not available on this engine: it needs SUPERNOVA_DATABASE_URL .* and SUPERNOVA_SENTIMENT=true/);
    // Stored before the tasks read it.
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const deadline = Date.now() + 10_000;
      while ((await sql`select count(*)::int as n from sentiment_data where symbol = 'RDA'`)[0]?.n !== 6) {
        if (Date.now() > deadline) throw new Error('the 6 items were not stored');
        await sleep(50);
      }
    } finally {
      await sql.end({ timeout: 1 });
    }
    // Several jobs, while the bare engine's workers wait idle on their queues.
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await call(full, 'POST', '/api/v1/tasks', { type: 'sentiment.recompute', args: { symbol: 'RDA', from, to } });
      expect(r.status, JSON.stringify(r.json)).toBe(202);
      ids.push(r.json.id as string);
    }
    for (const id of ids) {
      let view: Record<string, unknown>;
      const until = Date.now() + 30_000;
      do {
        // Either engine answers for a job of the shared queues.
        view = (await call(bare, 'GET', `/api/v1/tasks/${id}`)).json;
        if (view.status === 'queued' || view.status === 'running') await sleep(20);
      } while ((view.status === 'queued' || view.status === 'running') && Date.now() < until);
      expect(view, JSON.stringify(view)).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect((view.result as RecomputeResult).items).toBe(6);
    }
    const report = async (t: TestEngine | undefined) => ((await call(t, 'GET', '/performance/report')).json as { sections: { tasks: { handedBack: number; succeeded: number } } }).sections.tasks;
    expect(await report(bare)).toMatchObject({ handedBack: 0, succeeded: 0 });
    expect((await report(full)).succeeded).toBe(4);
  }, 90_000);
});
