import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchWriter } from '../../streams/index.js';
import { Database, newsSink, recentSentiment, sentimentHours, sentimentSink, MAX_SENTIMENT_SPAN_MS, type NewsRow, type SentimentRow } from '../../src/storage/index.js';
import { postgresReachable, testDatabase } from '../support/postgres.js';

const reachable = await postgresReachable();
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5, 9);

const news = (id: string, ts: number, symbols: string[], headline = `headline ${id}`): NewsRow => ({ id, ts, symbols, headline, source: 'wire' });
const score = (newsId: string, symbol: string, ts: number, label: SentimentRow['label'], bullish: number): SentimentRow => ({
  newsId, symbol, ts, label, bullish, bearish: (1 - bullish) / 2, neutral: (1 - bullish) / 2, modelVersion: 'm1',
});

describe.runIf(reachable)('news and sentiment sinks and reads (real PostgreSQL)', () => {
  let db: { url: string; drop(): Promise<void> };
  let database: Database;
  beforeAll(async () => {
    db = await testDatabase('news');
    database = new Database({ url: db.url, poolSize: 2 });
    await database.start();
  });
  afterAll(async () => {
    await database?.stop();
    await db?.drop();
  });

  it('news: idempotent on id (the first stored version stays); odd text is stored as sent; unstorable items are dropped and counted', async () => {
    const sink = newsSink(database);
    const odd = news('n-odd', T0, ['AAPL', 'BRK.B'], 'Tabs\tnew\nlines, "quotes", {braces}, back\\slash and Ω');
    await sink.write([news('n1', T0, ['AAPL']), odd, news('n0', T0, [])]);
    await sink.write([news('n1', T0 + 5, ['MSFT'], 'changed'), news('n2', T0 + 1, ['MSFT'])]);
    const bad = [
      { ...news('', T0, []) },
      { ...news('n-nul', T0, []), headline: 'a\u0000b' },
      { ...news('n-ts', T0, []), ts: Number.NaN },
      { ...news('n-sym', T0, []), symbols: ['x'.repeat(13)] },
      { ...news('n-long', T0, []), headline: 'h'.repeat(5_000) },
    ];
    await sink.write(bad);
    await sink.write(bad);
    expect(sink.stats().skipped).toBe(bad.length);
    const rows = await database.query('test.news', (sql) => sql<{ id: string; ts_ms: string; symbols: string[]; headline: string }[]>`select id, ts_ms, symbols, headline from news order by id`);
    expect(rows.map((r) => [r.id, Number(r.ts_ms), r.symbols, r.headline])).toEqual([
      ['n-odd', T0, ['AAPL', 'BRK.B'], odd.headline],
      ['n0', T0, [], 'headline n0'],
      ['n1', T0, ['AAPL'], 'headline n1'],
      ['n2', T0 + 1, ['MSFT'], 'headline n2'],
    ]);
  });

  it('sentiment: idempotent on (news_id, symbol); a row whose news is not stored yet fails its batch, which succeeds once the news is there', async () => {
    const sink = sentimentSink(database);
    await sink.write([score('n1', 'AAPL', T0, 'bullish', 0.9)]);
    await sink.write([score('n1', 'AAPL', T0, 'bearish', 0.1), score('n2', 'MSFT', T0 + 1, 'neutral', 0.3)]);
    await expect(sink.write([score('n-later', 'AAPL', T0 + 2, 'bullish', 0.8)])).rejects.toMatchObject({ code: 'QUERY_FAILED' });
    await newsSink(database).write([news('n-later', T0 + 2, ['AAPL'])]);
    await sink.write([score('n-later', 'AAPL', T0 + 2, 'bullish', 0.8)]);
    await sink.write([{ ...score('n1', 'AAPL', T0, 'bullish', 0.9), label: 'euphoric' as SentimentRow['label'] }, { ...score('n2', 'MSFT', T0, 'bullish', 0.9), bullish: Number.NaN }, { ...score('n2', 'MSFT', T0, 'bullish', 2) }]);
    expect(sink.stats().skipped).toBe(3);
    const rows = await database.query('test.sentiment', (sql) => sql<{ news_id: string; symbol: string; label: string }[]>`select news_id, symbol, label from sentiment_data order by 1, 2`);
    expect(rows.map((r) => `${r.news_id}/${r.symbol}/${r.label}`)).toEqual(['n-later/AAPL/bullish', 'n1/AAPL/bullish', 'n2/MSFT/neutral']);
  });

  it('through a batch writer, sentiment that overtakes its news waits (retried) and is stored once the news is', async () => {
    const sentiment = new BatchWriter({ sink: sentimentSink(database), maxBatch: 10, flushMs: 5, maxBuffered: 100, retryBaseMs: 10, retryMaxMs: 50 });
    const items = new BatchWriter({ sink: newsSink(database), maxBatch: 10, flushMs: 200, maxBuffered: 100 });
    sentiment.push(score('n-race', 'NVDA', T0 + 3, 'bullish', 0.7));
    items.push(news('n-race', T0 + 3, ['NVDA']));
    // The sentiment batch goes first (5 ms against the news' 200) and fails until the news is stored.
    for (let i = 0; i < 50 && sentiment.stats().retries === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sentiment.stats().written).toBe(0);
    expect(await items.stop()).toBe(0);
    expect(await sentiment.stop()).toBe(0);
    expect(sentiment.stats().retries).toBeGreaterThan(0);
    const [row] = await database.query('test.race', (sql) => sql<{ n: number }[]>`select count(*)::int as n from sentiment_data where news_id = 'n-race'`);
    expect(row?.n).toBe(1);
  });

  it('hourly aggregates by symbol and hour between from and to; recent items with their headlines', async () => {
    await database.query('test.clear', (sql) => sql`truncate news cascade`);
    const n: NewsRow[] = [];
    const s: SentimentRow[] = [];
    // Hour 0: AAPL bullish 0.8 and 0.6, MSFT bearish; hour 2: AAPL neutral; hour 5 (outside to): AAPL.
    const add = (id: string, ts: number, symbol: string, label: SentimentRow['label'], bullish: number) => {
      n.push(news(id, ts, [symbol]));
      s.push(score(id, symbol, ts, label, bullish));
    };
    add('a', T0 + 10, 'AAPL', 'bullish', 0.8);
    add('b', T0 + HOUR - 1, 'AAPL', 'bullish', 0.6);
    add('c', T0 + 20, 'MSFT', 'bearish', 0.1);
    add('d', T0 + 2 * HOUR + 5, 'AAPL', 'neutral', 0.3);
    add('e', T0 + 5 * HOUR, 'AAPL', 'bullish', 0.9);
    await newsSink(database).write(n);
    await sentimentSink(database).write(s);
    const hours = await sentimentHours(database, { symbols: ['AAPL', 'MSFT'], from: T0, to: T0 + 5 * HOUR });
    expect(hours.map((h) => ({ ...h, bullish: Number(h.bullish.toFixed(6)) }))).toEqual([
      { symbol: 'AAPL', hour: T0, items: 2, bullish: 0.7, bearish: expect.any(Number), neutral: expect.any(Number), labels: { bearish: 0, neutral: 0, bullish: 2 } },
      { symbol: 'AAPL', hour: T0 + 2 * HOUR, items: 1, bullish: 0.3, bearish: expect.any(Number), neutral: expect.any(Number), labels: { bearish: 0, neutral: 1, bullish: 0 } },
      { symbol: 'MSFT', hour: T0, items: 1, bullish: 0.1, bearish: expect.any(Number), neutral: expect.any(Number), labels: { bearish: 1, neutral: 0, bullish: 0 } },
    ]);
    expect(await sentimentHours(database, { symbols: ['TSLA'], from: T0, to: T0 + HOUR })).toEqual([]);
    const recent = await recentSentiment(database, { symbol: 'AAPL', limit: 2 });
    expect(recent.map((r) => [r.newsId, r.headline, r.ts])).toEqual([['e', 'headline e', T0 + 5 * HOUR], ['d', 'headline d', T0 + 2 * HOUR + 5]]);
    expect((await recentSentiment(database, { symbol: 'AAPL', limit: 10, before: T0 + HOUR })).map((r) => r.newsId)).toEqual(['b', 'a']);
    expect(database.queryStats()['sentiment.hours']?.calls).toBe(2);
  });

  it('hostile read arguments are refused before anything is sent (INVALID_QUERY)', async () => {
    const before = database.queryStats()['sentiment.hours']?.calls ?? 0;
    const refused = [
      { symbols: [], from: T0, to: T0 + HOUR },
      { symbols: ["AAPL'; drop table news; --"], from: T0, to: T0 + HOUR },
      { symbols: Array.from({ length: 101 }, (_, i) => `S${i}`), from: T0, to: T0 + HOUR },
      { symbols: ['AAPL'], from: T0 + HOUR, to: T0 },
      { symbols: ['AAPL'], from: Number.NaN, to: T0 },
      { symbols: ['AAPL'], from: 0, to: MAX_SENTIMENT_SPAN_MS + 1 },
      { symbols: 'AAPL' as unknown as string[], from: T0, to: T0 + HOUR },
    ];
    for (const q of refused) await expect(sentimentHours(database, q)).rejects.toMatchObject({ name: 'StorageError', code: 'INVALID_QUERY' });
    await expect(recentSentiment(database, { symbol: 'AAPL', limit: 0 })).rejects.toMatchObject({ code: 'INVALID_QUERY' });
    await expect(recentSentiment(database, { symbol: 'AAPL', limit: 1e9 })).rejects.toMatchObject({ code: 'INVALID_QUERY' });
    await expect(recentSentiment(database, { symbol: 'aapl', limit: 1 })).rejects.toMatchObject({ code: 'INVALID_QUERY' });
    expect(database.queryStats()['sentiment.hours']?.calls ?? 0).toBe(before);
  });
});
