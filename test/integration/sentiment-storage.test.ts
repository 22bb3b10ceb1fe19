import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { postgresReachable, testDatabase } from '../support/postgres.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import type { SentimentHourBucket, SentimentMessage, SentimentScoreMessage } from '../../streams/index.js';

const reachable = await postgresReachable();
const KEY = 'test-key';
const HOUR = 3_600_000;

/** Scored news stored in PostgreSQL, and the sentiment route's stored history read back through the cache. */
describe.runIf(reachable)('sentiment storage (real PostgreSQL)', () => {
  let db: { url: string; drop(): Promise<void> };
  let sql: postgres.Sql;
  let t: TestEngine | undefined;
  const now = Date.now();
  const past = now - 3 * HOUR;
  const pastHour = Math.floor(past / HOUR) * HOUR;
  // No memory of recent ids: a repeated item reaches the database, which must store it once.
  const options = () => ({ apiKey: KEY, sentiment: true, databaseUrl: db.url, persistFlushMs: 20, sentimentRecentIds: 0 });

  beforeAll(async () => {
    db = await testDatabase('sentiment');
    sql = postgres(db.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await t?.stop();
    await sql?.end({ timeout: 1 });
    await db?.drop();
  });

  const ingest = async (items: unknown[]) => {
    const res = await fetch(`${t?.http}/api/v1/ingest/news`, { method: 'POST', headers: { authorization: `apikey ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(items) });
    return { status: res.status, json: (await res.json()) as { accepted: number; rejected: number } };
  };
  const rows = () => sql<{ news_id: string; symbol: string; ts_ms: string; label: string; bullish: number; model_version: string }[]>`select news_id, symbol, ts_ms, label, bullish, model_version from sentiment_data order by news_id, symbol`;

  it('stores each scored item in news and its scores per symbol in sentiment_data, once', async () => {
    t = await startEngine(options());
    const c = sdkClient(t.url);
    await connected(c);
    const got: SentimentScoreMessage[] = [];
    (await subscribed(c, 'sentiment:PGA')).on('publication', (ctx) => { if ((ctx.data as SentimentMessage).type === 'score') got.push(ctx.data as SentimentScoreMessage); });
    const items = [
      { id: 'pg-1', symbols: ['PGA', 'PGB'], headline: 'PGA raises full-year guidance after record quarter', source: 'wire', ts: past },
      { id: 'pg-2', symbols: ['PGA'], headline: 'PGA misses estimates, shares slide', ts: past + 1 },
      { id: 'pg-3', symbols: ['PGA'], headline: 'PGA to present at a conference', source: 'wire', ts: now },
    ];
    expect((await ingest([...items, { id: 'pg-bad', symbols: [], headline: 'h', ts: now }])).json).toMatchObject({ accepted: 3, rejected: 1 });
    await until(() => got.length === 3, 'three scores');
    await expect.poll(async () => (await rows()).length, { timeout: 10_000 }).toBe(4);
    const news = await sql<{ id: string; symbols: string[]; headline: string; source: string | null; ts_ms: string }[]>`select id, symbols, headline, source, ts_ms from news order by id`;
    expect(news.map((n) => [n.id, n.symbols, n.headline, n.source, Number(n.ts_ms)])).toEqual(items.map((i) => [i.id, i.symbols, i.headline, i.source ?? null, i.ts]));
    const stored = await rows();
    expect(stored.map((r) => `${r.news_id}/${r.symbol}`)).toEqual(['pg-1/PGA', 'pg-1/PGB', 'pg-2/PGA', 'pg-3/PGA']);
    for (const m of got) {
      const r = stored.find((s) => s.news_id === m.id && s.symbol === 'PGA');
      expect(r).toMatchObject({ label: m.label, model_version: m.model, ts_ms: String(m.ts) });
      expect(r?.bullish).toBeCloseTo(m.scores.bullish, 5);
    }
    // The same item again: scored and published again, stored once.
    expect((await ingest([items[0]])).json.accepted).toBe(1);
    await until(() => got.length === 4, 'the repeated item scored');
    await new Promise((r) => setTimeout(r, 200));
    expect((await rows()).length).toBe(4);
    expect((await sql`select count(*)::int as n from news`)[0]?.n).toBe(3);
    c.disconnect();
  });

  it('serves the stored hours after a restart, read through the cache', async () => {
    await t?.stop();
    t = await startEngine(options());
    const read = async () => {
      const res = await fetch(`${t?.http}/api/v1/sentiment/PGA?timeframe=24h`);
      expect(res.status).toBe(200);
      return (await res.json()) as { items: number; ema: number | null; hours: SentimentHourBucket[] };
    };
    const first = await read();
    // Nothing scored since the restart: the hours come from the database, the current one excepted.
    expect(first).toMatchObject({ items: 0, ema: null });
    expect(first.hours).toEqual([expect.objectContaining({ hour: pastHour, items: 2, labels: expect.objectContaining({}) })]);
    const hour = first.hours[0] as SentimentHourBucket;
    expect(hour.labels.bearish + hour.labels.bullish + hour.labels.neutral).toBe(2);
    expect(hour.sentiment).toBeCloseTo(hour.mean.bullish - hour.mean.bearish, 5);
    // Gone from the table, still answered from the cache: the read went through it.
    await sql`delete from sentiment_data where symbol = 'PGA'`;
    expect((await read()).hours).toEqual(first.hours);
    // PGB: stored, never configured, known from the database alone.
    expect((await (await fetch(`${t.http}/api/v1/sentiment/PGB?timeframe=7d`)).json())).toMatchObject({ hours: [{ hour: pastHour, items: 1 }] });
  });
});
