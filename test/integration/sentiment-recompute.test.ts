import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresReachable, testDatabase } from '../support/postgres.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { removeDir, scaledModelCopy } from '../../actors/model-replica/test-support.js';
import { InProcessScorer } from '../../src/ml/in-process-scorer.js';
import { modelVersion } from '../../src/ml/sentiment-model.js';
import { databaseRecomputeStore, sentimentRecomputeTask, type RecomputeResult, type TaskContext } from '../../actors/task-worker/index.js';
import { MlError } from '../../src/ml/errors.js';
import { Database } from '../../src/storage/index.js';
import type { SentimentHourBucket } from '../../streams/index.js';

const reachable = await postgresReachable();
const KEY = 'recompute-key';
const HOUR = 3_600_000;
const ALPHA = 0.1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PHRASES = [
  'beats estimates, shares jump', 'misses forecasts, stock slides', 'announces the date of its annual meeting',
  'raises full-year guidance after record quarter', 'cuts outlook as demand weakens', 'to present at an industry conference',
];

interface News { id: string; symbols: string[]; headline: string; ts: number }
interface Row { news_id: string; symbol: string; ts_ms: string; label: string; bearish: number; neutral: number; bullish: number; model_version: string }

/**
 * `sentiment.recompute` end to end: news ingested and scored with one model, a new version of it
 * deployed (files copied in, POST /api/v1/models/sentiment/reload), the task submitted and polled
 * over the HTTP tasks API, and the stored rows and the answer checked against the new model run
 * directly (InProcessScorer). The engine's memory still holds the hours it scored with the old
 * version: the sentiment route must show the rewritten ones.
 */
describe.runIf(reachable)('sentiment.recompute (real PostgreSQL, real scorer)', () => {
  let db: { url: string; drop(): Promise<void> };
  let sql: postgres.Sql;
  let t: TestEngine | undefined;
  let newModel: string;
  let oldVersion: string;
  const from = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;
  const to = from + 3 * HOUR;
  // RCA: 30 items over the range's three hours (two at the same time: the id orders them), one
  // just before it and one at its end (both outside); RCB beside it; RCC many, to cancel.
  const rca: News[] = Array.from({ length: 30 }, (_, i) => ({ id: `rca-${String(i).padStart(2, '0')}`, symbols: ['RCA'], headline: `RCA ${PHRASES[i % PHRASES.length]} (${i})`, ts: from + Math.max(0, i - 1) * 6 * 60_000 }));
  const both: News = { id: 'rcab-1', symbols: ['RCA', 'RCB'], headline: 'RCA and RCB agree to merge, shares jump', ts: from + 90 * 60_000 };
  const outside: News[] = [
    { id: 'rca-before', symbols: ['RCA'], headline: 'RCA misses forecasts, stock slides (before)', ts: from - 1 },
    { id: 'rca-at-end', symbols: ['RCA'], headline: 'RCA beats estimates, shares jump (at the end)', ts: to },
  ];
  const rcc: News[] = Array.from({ length: 1_200 }, (_, i) => ({ id: `rcc-${String(i).padStart(4, '0')}`, symbols: ['RCC'], headline: `RCC ${PHRASES[i % PHRASES.length]} #${i}`, ts: from + Math.floor(i * 9_000) }));
  const all = [...rca, both, ...outside, ...rcc];
  const rows = (symbol: string) => sql<Row[]>`select news_id, symbol, ts_ms, label, bearish, neutral, bullish, model_version from sentiment_data where symbol = ${symbol} order by ts_ms, news_id collate "C"`;

  const engine = (overrides: Record<string, unknown> = {}) => startEngine({
    apiKey: KEY, sentiment: true, databaseUrl: db.url, persistFlushMs: 20, taskQueue: 'memory', httpRateApi: '100000/1s', httpRateIngest: '100000/1s', ...overrides,
  });
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${t?.http}${path}`, { method, headers: { authorization: `apikey ${KEY}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const submit = async (args: unknown) => {
    const r = await call('POST', '/api/v1/tasks', { type: 'sentiment.recompute', args });
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    return r.json.id as string;
  };
  /** Polls the task to its end, recording each progress seen. */
  const finished = async (id: string, seen: number[] = []): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const r = await call('GET', `/api/v1/tasks/${id}`);
      seen.push(r.json.progress as number);
      if (r.json.status !== 'queued' && r.json.status !== 'running') return r.json;
      await sleep(5);
    }
    throw new Error(`task ${id} did not finish`);
  };

  beforeAll(async () => {
    db = await testDatabase('recompute');
    sql = postgres(db.url, { max: 2, onnotice: () => {} });
    // The engine's model directory: the committed model, until a new version is copied in.
    newModel = scaledModelCopy(1);
    // Small pages: many steps to watch and to cancel between (and for the pipeline, many small batches at once).
    t = await engine({ mlModelDir: newModel, sentimentBatchMax: 4, sentimentMaxInFlight: 16 });
    for (let i = 0; i < all.length; i += 500) {
      const r = await call('POST', '/api/v1/ingest/news', all.slice(i, i + 500));
      expect(r.json).toMatchObject({ rejected: 0 });
    }
    const expected = all.reduce((n, item) => n + item.symbols.length, 0);
    const storedRows = async () => (await sql`select count(*)::int as n from sentiment_data`)[0]?.n as number;
    const deadline = Date.now() + 15_000;
    while ((await storedRows()) < expected) {
      if (Date.now() > deadline) throw new Error(`${await storedRows()} of ${expected} sentiment rows stored`);
      await sleep(50);
    }
    expect(await storedRows()).toBe(expected);
    oldVersion = (await rows('RCA'))[0]?.model_version as string;
    // A new version deployed as an operator would: its files copied in, then the reload route.
    scaledModelCopy(1.8, newModel);
    const reload = await call('POST', '/api/v1/models/sentiment/reload');
    expect(reload, JSON.stringify(reload)).toMatchObject({ status: 200, json: { changed: true, previous: oldVersion, version: modelVersion(newModel) } });
  }, 30_000);
  afterAll(async () => {
    await t?.stop();
    await sql?.end({ timeout: 1 });
    await db?.drop();
    if (newModel) removeDir(newModel);
  });

  it('refuses bad arguments with the reason (400), and a range of more news than it rescores', async () => {
    const refused = async (args: unknown, reason: RegExp) => {
      const r = await call('POST', '/api/v1/tasks', { type: 'sentiment.recompute', args });
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect((r.json.error as { code: number; message: string }).message).toMatch(reason);
    };
    await refused({ symbol: 'rca', from, to }, /symbol is 1-12 of A-Z 0-9/);
    await refused({ symbol: 'RCA', from: to, to: from }, /from must be before to/);
    await refused({ symbol: 'RCA', from, to: from }, /from must be before to/);
    await refused({ symbol: 'RCA', from, to: from + 32 * 24 * HOUR }, /at most 31 days \(744 hours\)/);
    await refused({ symbol: 'RCA', from: 'yesterday', to }, /from is not a date/);
    await refused({ symbol: 'RCA', from: -1, to }, /from/);
    await refused({ symbol: 'RCA', from: 1.5, to }, /from/);
    await refused({ symbol: 'RCA', from }, /to/);
    await refused({ symbol: 'RCA', from, to, model: 'x' }, /model/);
    await refused([from, to], /args/);
    await refused('RCA', /args/);
    await refused({ symbol: 'R'.repeat(10_000), from, to }, /symbol/);
    // More stored news than one task rescores: it fails before scoring any, saying so.
    const far = Date.UTC(2020, 0, 1);
    await sql`insert into news (id, ts_ms, symbols, headline) select 'rcz-' || g, ${far}::bigint + g, array['RCZ'], 'RCZ headline ' || g from generate_series(1, 100001) g`;
    const view = await finished(await submit({ symbol: 'RCZ', from: far, to: far + HOUR }));
    expect(view).toMatchObject({ status: 'failed' });
    expect(view.error).toMatch(/RCZ has 100001 stored news items .* at most 100000: split the range/);
    expect((await sql`select count(*)::int as n from sentiment_data where symbol = 'RCZ'`)[0]?.n).toBe(0);
    await sql`delete from news where id like 'rcz-%'`;
  });

  it('rescores the stored news of the range with the current model: rows replaced, hours and EMA as the aggregator makes them, cached reads dropped', async () => {
    const version = modelVersion(newModel);
    expect(version).not.toBe(oldVersion);
    // The route's hours, read (the stored ones cached) before the recompute: memory and the database count the same items.
    const before = (await (await fetch(`${t?.http}/api/v1/sentiment/RCA?timeframe=24h`)).json()) as { hours: SentimentHourBucket[] };
    expect(before.hours.reduce((n, h) => n + h.items, 0)).toBe(rca.length + 1 + outside.length);
    const untouched = [...(await rows('RCA')).filter((r) => r.news_id === 'rca-before' || r.news_id === 'rca-at-end'), ...(await rows('RCB'))];

    const view = await finished(await submit({ symbol: 'RCA', from: new Date(from).toISOString(), to: new Date(to).toISOString() }));
    expect(view, JSON.stringify(view)).toMatchObject({ status: 'succeeded', progress: 1 });
    const result = view.result as RecomputeResult;

    // The same headlines through the new model on this thread.
    const inRange = [...rca, both].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1));
    const direct = new InProcessScorer({ modelDir: newModel, backend: 'auto' });
    await direct.start();
    const expected = await direct.score(inRange.map((n) => n.headline)).finally(() => direct.stop());

    const stored = (await rows('RCA')).filter((r) => Number(r.ts_ms) >= from && Number(r.ts_ms) < to);
    expect(stored.map((r) => r.news_id)).toEqual(inRange.map((n) => n.id));
    stored.forEach((r, i) => {
      const e = expected[i];
      expect(r.model_version).toBe(version);
      expect(r.label).toBe(e?.label);
      expect(r.bullish).toBeCloseTo(e?.scores.bullish ?? NaN, 5);
      expect(r.bearish).toBeCloseTo(e?.scores.bearish ?? NaN, 5);
      expect(r.neutral).toBeCloseTo(e?.scores.neutral ?? NaN, 5);
    });
    // Outside the range, and the other symbol of a shared item: as they were.
    expect([...(await rows('RCA')).filter((r) => r.news_id === 'rca-before' || r.news_id === 'rca-at-end'), ...(await rows('RCB'))]).toEqual(untouched);
    expect(untouched.every((r) => r.model_version === oldVersion)).toBe(true);

    // The answer, against the figures worked out here from the direct scores.
    const round = (x: number) => Math.round(x * 1e6) / 1e6;
    const scores = expected.map((e) => ({ label: e.label, bearish: round(e.scores.bearish), bullish: round(e.scores.bullish), neutral: round(e.scores.neutral) }));
    const byHour = new Map<number, typeof scores>();
    inRange.forEach((n, i) => {
      const hour = Math.floor(n.ts / HOUR) * HOUR;
      byHour.set(hour, [...(byHour.get(hour) ?? []), scores[i] as (typeof scores)[number]]);
    });
    let ema = NaN;
    scores.forEach((s, i) => { ema = i === 0 ? s.bullish - s.bearish : ema + ALPHA * (s.bullish - s.bearish - ema); });
    expect(result).toMatchObject({ symbol: 'RCA', from, to, items: inRange.length, model: version });
    expect(result.ema).toBeCloseTo(ema, 5);
    expect(result.hours.map((h) => h.hour)).toEqual([...byHour.keys()]);
    expect(result.hours).toHaveLength(3);
    for (const h of result.hours) {
      const items = byHour.get(h.hour) ?? [];
      const mean = (k: 'bearish' | 'bullish' | 'neutral') => items.reduce((n, s) => n + s[k], 0) / items.length;
      expect(h.items).toBe(items.length);
      expect(h.labels).toEqual({ bearish: items.filter((s) => s.label === 'bearish').length, bullish: items.filter((s) => s.label === 'bullish').length, neutral: items.filter((s) => s.label === 'neutral').length });
      expect(h.mean.bullish).toBeCloseTo(mean('bullish'), 5);
      expect(h.mean.bearish).toBeCloseTo(mean('bearish'), 5);
      expect(h.sentiment).toBeCloseTo(mean('bullish') - mean('bearish'), 5);
    }
    // Not every label the same, and the new model's figures differ from the old ones: the check could fail.
    expect(new Set(scores.map((s) => s.label)).size).toBeGreaterThan(1);
    const after = (await (await fetch(`${t?.http}/api/v1/sentiment/RCA?timeframe=24h`)).json()) as { hours: SentimentHourBucket[] };
    const hourOf = (list: SentimentHourBucket[], hour: number) => list.find((h) => h.hour === hour);
    for (const h of result.hours) {
      const read = hourOf(after.hours, h.hour);
      expect(read?.items).toBe(h.items);
      expect(read?.mean.bullish).toBeCloseTo(h.mean.bullish, 4);
      expect(read?.labels).toEqual(h.labels);
    }
    expect(after.hours).not.toEqual(before.hours);
  });

  it('stops between pages when cancelled, then a new run reports growing progress up to 1', async () => {
    const version = modelVersion(newModel);
    const newRows = async () => (await sql`select count(*)::int as n from sentiment_data where symbol = 'RCC' and model_version = ${version}`)[0]?.n as number;
    const id = await submit({ symbol: 'RCC', from, to });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await call('GET', `/api/v1/tasks/${id}`);
      if ((r.json.progress as number) > 0.05 || Date.now() > deadline) break;
      expect(r.json.status).toMatch(/queued|running/);
      await sleep(5);
    }
    const cancelled = await call('DELETE', `/api/v1/tasks/${id}`);
    expect(cancelled).toMatchObject({ status: 200, json: { status: 'cancelled' } });
    await sleep(300);
    const partial = await newRows();
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(rcc.length);
    await sleep(300);
    // Nothing written after the cancellation took hold.
    expect(await newRows()).toBe(partial);
    expect((await call('GET', `/api/v1/tasks/${id}`)).json).toMatchObject({ status: 'cancelled' });

    const seen: number[] = [];
    const view = await finished(await submit({ symbol: 'RCC', from, to }), seen);
    expect(view).toMatchObject({ status: 'succeeded', progress: 1, result: { items: rcc.length, model: version } });
    expect(await newRows()).toBe(rcc.length);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1] as number);
    expect(seen.filter((p) => p > 0 && p < 1).length).toBeGreaterThan(2);
  });

  it('asks a scorer that says it is busy again, and fails at once on one that cannot score', async () => {
    const database = new Database({ url: db.url, poolSize: 2 });
    await database.start();
    const model = new InProcessScorer({ modelDir: newModel, backend: 'auto' });
    await model.start();
    let busy = 2;
    let calls = 0;
    const scorer = {
      report: () => model.report(),
      score: async (texts: readonly string[]) => {
        calls++;
        if (busy-- > 0) throw new MlError('OVERLOADED', 'texts are waiting for a model replica');
        return model.score(texts);
      },
    };
    const task = sentimentRecomputeTask({ store: databaseRecomputeStore(database, async () => 0), scorer, alpha: ALPHA, pageSize: 8, timeoutMs: 60_000 });
    const ctx: TaskContext = { signal: new AbortController().signal, attempt: 1, progress: () => {}, cpu: () => Promise.reject(new Error('not a CPU task')) };
    try {
      expect(await task.run({ symbol: 'RCB', from, to }, ctx)).toMatchObject({ symbol: 'RCB', items: 1, model: modelVersion(newModel) });
      expect(calls).toBe(3);
      expect((await rows('RCB')).map((r) => [r.news_id, r.model_version])).toEqual([['rcab-1', modelVersion(newModel)]]);
      await model.stop();
      await expect(task.run({ symbol: 'RCB', from, to }, ctx)).rejects.toThrow('the scorer was stopped');
      expect(calls).toBe(4);
    } finally {
      await model.stop();
      await database.stop();
    }
  });

  it('is unavailable without a database or the model, saying which setting it needs', async () => {
    const bare = await startEngine({ apiKey: KEY });
    try {
      const res = await fetch(`${bare.http}/api/v1/tasks`, { method: 'POST', headers: { authorization: `apikey ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'sentiment.recompute', args: { symbol: 'RCA', from, to } }) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe('task type sentiment.recompute is not available on this engine: it needs SUPERNOVA_DATABASE_URL (the stored news and sentiment) and SUPERNOVA_SENTIMENT=true (the model)');
    } finally {
      await bare.stop();
    }
  });
});
