import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack } from 'msgpackr';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import type { SentimentAggregateMessage, SentimentMessage, SentimentScoreMessage } from '../../streams/index.js';

/**
 * The sentiment pipeline in a whole engine with the real model: news through real HTTP (JSON and
 * msgpack) to `sentiment:SYM` on the real centrifuge-js SDK, the sentiment route, the analyze
 * route and RPC, hostile bodies on each, and the shed policy under a flood.
 */
let t: TestEngine;
const KEY = 'test-key';
beforeAll(async () => {
  t = await startEngine({ apiKey: KEY, sentiment: true, ingestMaxNews: 20, mlMaxBatch: 8, mlMaxTextChars: 300, sentimentBatchMs: 2 });
}, 30_000);
afterAll(async () => { await t?.stop(); });

const now = Date.now();
const item = (id: string, symbols: string[], headline: string, ts = now) => ({ id, symbols, headline, source: 'test-wire', ts });

async function post(path: string, body: string | Uint8Array, contentType = 'application/json', key = KEY): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${t.http}${path}`, { method: 'POST', headers: { authorization: `apikey ${key}`, 'content-type': contentType }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
}
const ingest = (items: unknown, key = KEY) => post('/api/v1/ingest/news', JSON.stringify(items), 'application/json', key);
const analyze = (body: unknown) => post('/api/v1/sentiment/analyze', JSON.stringify(body));

describe('news to sentiment:SYM', () => {
  it('scores ingested news and publishes a score per item and the rolling aggregate to the SDK', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const got: SentimentMessage[] = [];
    (await subscribed(c, 'sentiment:SNTA')).on('publication', (ctx) => got.push(ctx.data as SentimentMessage));
    const res = await ingest([
      item('a-1', ['SNTA'], 'SNTA beats quarterly earnings estimates, shares jump 12%'),
      { id: 'a-bad', symbols: ['snta'], headline: 'x', ts: now },
      item('a-2', ['SNTA', 'SNTB'], 'SNTA recalls products over safety concerns, stock falls 9%'),
      'not news',
    ]);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      accepted: 2, rejected: 2,
      errors: [{ index: 1, reason: 'BAD_SYMBOLS', message: expect.stringContaining('snta') }, { index: 3, reason: 'BAD_SHAPE', message: expect.any(String) }],
    });
    await until(() => got.some((m) => m.type === 'aggregate' && m.items === 2), 'the scores and aggregate on sentiment:SNTA');
    const scores = got.filter((m): m is SentimentScoreMessage => m.type === 'score');
    expect(scores.map((m) => [m.id, m.label])).toEqual([['a-1', 'bullish'], ['a-2', 'bearish']]);
    for (const m of scores) {
      expect(m).toMatchObject({ symbol: 'SNTA', source: 'test-wire', ts: now, model: expect.stringMatching(/^sentiment-/) });
      expect(m.scores.bearish + m.scores.bullish + m.scores.neutral).toBeCloseTo(1, 4);
      expect(m.sentiment).toBeCloseTo(m.scores.bullish - m.scores.bearish, 5);
    }
    const agg = got.filter((m): m is SentimentAggregateMessage => m.type === 'aggregate').at(-1) as SentimentAggregateMessage;
    expect(agg.hour).toMatchObject({ hour: Math.floor(now / 3_600_000) * 3_600_000, items: 2, labels: { bullish: 1, bearish: 1, neutral: 0 } });
    // EMA with alpha 0.1: the first item's value, then a tenth of the way to the second's.
    const [v1, v2] = scores.map((m) => m.sentiment) as [number, number];
    expect(agg.ema).toBeCloseTo(v1 + 0.1 * (v2 - v1), 5);

    const api = await fetch(`${t.http}/api/v1/sentiment/snta?timeframe=1h`);
    expect(api.status).toBe(200);
    expect(await api.json()).toMatchObject({ symbol: 'SNTA', timeframe: '1h', ema: agg.ema, items: 2, hours: [agg.hour] });
    expect(await (await fetch(`${t.http}/api/v1/sentiment/SNTB`)).json()).toMatchObject({ symbol: 'SNTB', timeframe: '24h', items: 1 });
    c.disconnect();
  });

  it('takes msgpack bodies, and refuses hostile ones with a JSON error', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const got: SentimentMessage[] = [];
    (await subscribed(c, 'sentiment:SNTM')).on('publication', (ctx) => got.push(ctx.data as SentimentMessage));
    const packed = pack([item('m-1', ['SNTM'], 'SNTM to hold annual shareholder meeting on Tuesday')]);
    expect(await post('/api/v1/ingest/news', packed, 'application/msgpack')).toMatchObject({ status: 200, json: { accepted: 1, rejected: 0 } });
    await until(() => got.some((m) => m.type === 'score' && m.id === 'm-1'), 'the msgpack item scored');

    const cases: [string, string | Uint8Array, string, number, string][] = [
      ['truncated msgpack', packed.subarray(0, packed.length - 5), 'application/msgpack', 400, 'BAD_REQUEST'],
      ['empty msgpack', new Uint8Array(0), 'application/msgpack', 400, 'BAD_REQUEST'],
      ['broken JSON', '[{"id": "x", ', 'application/json', 400, 'BAD_REQUEST'],
      ['an object body', '{"id": "x"}', 'application/json', 400, 'BAD_REQUEST'],
      ['text/plain', 'hello', 'text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['too many items', JSON.stringify(Array.from({ length: 21 }, (_, i) => item(`t-${i}`, ['SNTM'], 'h'))), 'application/json', 413, 'TOO_MANY_ITEMS'],
      ['a body past the limit', JSON.stringify([item('big', ['SNTM'], 'x'.repeat(2 * 1024 * 1024))]), 'application/json', 413, ''],
    ];
    for (const [what, body, type, status, code] of cases) {
      const res = await post('/api/v1/ingest/news', body, type);
      expect(res.status, what).toBe(status);
      expect(res.json.error, what).toMatchObject(code ? { code } : { message: expect.any(String) });
    }
    // Deep JSON parses (V8 takes any depth); the item is not an object, and is refused as such.
    const deep = await post('/api/v1/ingest/news', `[${'['.repeat(100_000)}${']'.repeat(100_000)}]`);
    expect(deep).toMatchObject({ status: 200, json: { accepted: 0, rejected: 1, errors: [{ index: 0, reason: 'BAD_SHAPE' }] } });
    const deepItems = await ingest([{ id: 'deep', symbols: ['SNTM'], headline: JSON.parse(`${'['.repeat(500)}${']'.repeat(500)}`) as unknown, ts: now }, item('huge-id', ['SNTM'], 'h'), { ...item('x'.repeat(300), ['SNTM'], 'h') }, item('long', ['SNTM'], 'h'.repeat(301))]);
    expect(deepItems.json).toMatchObject({ accepted: 1, rejected: 3, errors: [{ index: 0, reason: 'BAD_HEADLINE' }, { index: 2, reason: 'BAD_ID' }, { index: 3, reason: 'BAD_HEADLINE', message: expect.stringContaining('300') }] });
    expect((await ingest([], 'wrong-key')).status).toBe(401);
    // Sent again (a retry): refused, so that it does not count twice.
    expect((await post('/api/v1/ingest/news', packed, 'application/msgpack')).json).toMatchObject({ accepted: 0, rejected: 1, errors: [{ index: 0, reason: 'DUPLICATE' }] });
    c.disconnect();
  });

  it('answers 400 for a bad symbol or timeframe and 404 for a symbol nothing was said about', async () => {
    const bad = await fetch(`${t.http}/api/v1/sentiment/SNTA?timeframe=2w`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'INVALID_TIMEFRAME', message: expect.stringContaining('1h, 6h, 24h, 7d, 30d') } });
    expect((await fetch(`${t.http}/api/v1/sentiment/${'A'.repeat(13)}`)).status).toBe(400);
    const unknown = await fetch(`${t.http}/api/v1/sentiment/NOPE`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'UNKNOWN_SYMBOL' } });
  });
});

describe('POST /api/v1/sentiment/analyze and RPC sentiment.analyze', () => {
  const texts = ['Shares soar after record profit and raised guidance', 'Company files for bankruptcy as losses mount', 'The board meets on Thursday'];

  it('answers labels and probabilities in the order given, the same over HTTP and RPC', async () => {
    const res = await analyze({ texts });
    expect(res.status).toBe(200);
    const results = res.json.results as { label: string; scores: Record<string, number> }[];
    expect(results.map((r) => r.label)).toEqual(['bullish', 'bearish', 'neutral']);
    for (const r of results) {
      expect(Object.keys(r).sort()).toEqual(['label', 'scores']);
      expect(Object.keys(r.scores).sort()).toEqual(['bearish', 'bullish', 'neutral']);
      expect(Object.values(r.scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    const c = sdkClient(t.url);
    await connected(c);
    const rpc = await c.rpc('sentiment.analyze', { texts });
    expect(rpc.data).toEqual(res.json);
    await expect(c.rpc('sentiment.analyze', { texts: Array(9).fill('x') })).rejects.toMatchObject({ code: 107, message: expect.stringContaining('SUPERNOVA_ML_MAX_BATCH') });
    await expect(c.rpc('sentiment.analyze', { texts: [''] })).rejects.toMatchObject({ code: 107, message: expect.stringContaining('empty') });
    await expect(c.rpc('sentiment.analyze', { texts: ['y'.repeat(301)] })).rejects.toMatchObject({ code: 107, message: expect.stringContaining('SUPERNOVA_ML_MAX_TEXT_CHARS') });
    await expect(c.rpc('sentiment.analyze', 'texts')).rejects.toMatchObject({ code: 107 });
    expect(c.state).toBe('connected');
    c.disconnect();
  });

  it('refuses bad bodies with 400 naming the limit, and a wrong key with 401', async () => {
    const cases: [unknown, RegExp][] = [
      [{ texts: Array(9).fill('x') }, /at most 8 \(SUPERNOVA_ML_MAX_BATCH\)/],
      [{ texts: ['ok', 'y'.repeat(301)] }, /texts\[1\] has 301 characters; at most 300 \(SUPERNOVA_ML_MAX_TEXT_CHARS\)/],
      [{ texts: ['  '] }, /texts\[0\] is empty/],
      [{ texts: [] }, /at least one/],
      [{ texts: [42] }, /texts\[0\] must be a string/],
      [{ texts: [{ deep: [[[['x']]]] }] }, /must be a string/],
      [{ text: 'singular' }, /"texts" must be an array/],
      [[texts], /must be an object/],
    ];
    for (const [body, message] of cases) {
      const res = await analyze(body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect((res.json.error as { message: string }).message).toMatch(message);
    }
    const huge = await analyze({ texts: ['z'.repeat(2 * 1024 * 1024)] });
    expect(huge.status).toBe(413);
    expect(huge.json.error).toMatchObject({ message: expect.any(String) });
    const deep = await post('/api/v1/sentiment/analyze', `{"texts": [${'['.repeat(50_000)}${']'.repeat(50_000)}]}`);
    expect(deep.status).toBe(400);
    expect((deep.json.error as { message: string }).message).toMatch(/texts\[0\] must be a string/);
    const broken = await post('/api/v1/sentiment/analyze', '{"texts": ["a"', 'application/json');
    expect(broken.status).toBe(400);
    expect(broken.json.error).toMatchObject({ message: expect.any(String) });
    expect((await post('/api/v1/sentiment/analyze', JSON.stringify({ texts }), 'application/json', 'nope')).status).toBe(401);
  });
});

describe('metrics', () => {
  it('reports the model and the pipeline in /performance/report, the metrics channel and /metrics', async () => {
    const report = (await (await fetch(`${t.http}/performance/report`)).json()) as { sections: Record<string, Record<string, unknown>> };
    expect(report.sections.models).toMatchObject({ enabled: true, backend: expect.any(String), version: expect.stringMatching(/^sentiment-/), replicas: 2, texts: expect.any(Number) });
    expect(report.sections.sentiment).toMatchObject({ enabled: true, buffered: 0, sources: { http: { scored: expect.any(Number) } } });
    const c = sdkClient(t.url);
    await connected(c);
    const snap = await new Promise<{ extra: Record<string, unknown> }>((resolve) => {
      void subscribed(c, 'metrics').then((sub) => sub.on('publication', (ctx) => resolve(ctx.data as { extra: Record<string, unknown> })));
    });
    expect(snap.extra.models).toMatchObject({ enabled: true, version: expect.stringMatching(/^sentiment-/) });
    expect(snap.extra.sentiment).toEqual({ buffered: 0, batchesInFlight: 0, symbols: expect.any(Number), scored: expect.any(Number), refused: expect.any(Number), shed: 0, failed: 0 });
    expect((snap.extra.sentiment as { scored: number }).scored).toBeGreaterThan(0);
    c.disconnect();
    const text = await (await fetch(`${t.http}/metrics`)).text();
    expect(text).toMatch(/supernova_sentiment_items_scored_total\{source="http"\} [1-9]/);
    expect(text).toMatch(/supernova_sentiment_items_refused_total\{source="http",reason="BAD_SYMBOLS"\} [1-9]/);
    expect(text).toMatch(/supernova_sentiment_scoring_seconds_count [1-9]/);
    expect(text).toContain('supernova_sentiment_buffered 0');
  });
});

describe('shed policy under a flood', () => {
  let small: TestEngine;
  beforeAll(async () => {
    small = await startEngine({ apiKey: KEY, sentiment: true, sentimentMaxBuffered: 30, sentimentBatchMax: 4, sentimentMaxInFlight: 1, sentimentBatchMs: 0, ingestMaxNews: 30, httpRateIngest: 'off' });
  }, 30_000);
  afterAll(async () => { await small?.stop(); });

  it('answers 503 with retry-after for what the buffer cannot take, scores every item it accepted, and counts the rest', async () => {
    const c = sdkClient(small.url);
    await connected(c);
    let scored = 0;
    (await subscribed(c, 'sentiment:FLOOD')).on('publication', (ctx) => { if ((ctx.data as SentimentMessage).type === 'score') scored++; });
    const batch = (r: number) => Array.from({ length: 25 }, (_, i) => item(`f-${r}-${i}`, ['FLOOD'], `Flood headline ${r} ${i}: shares ${i % 2 ? 'rise' : 'fall'} sharply`));
    const answers = await Promise.all(Array.from({ length: 40 }, (_, r) => fetch(`${small.http}/api/v1/ingest/news`, {
      method: 'POST', headers: { authorization: `apikey ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(batch(r)),
    }).then(async (res) => ({ status: res.status, retry: res.headers.get('retry-after'), json: (await res.json()) as { accepted?: number; error?: { code: string } } }))));
    const ok = answers.filter((a) => a.status === 200);
    const busy = answers.filter((a) => a.status === 503);
    expect(ok.length + busy.length).toBe(40);
    expect(ok.length).toBeGreaterThan(0);
    expect(busy.length).toBeGreaterThan(0);
    for (const b of busy) expect(b).toMatchObject({ retry: '1', json: { error: { code: 'SENTIMENT_BUSY' } } });
    const accepted = ok.reduce((n, a) => n + (a.json.accepted ?? 0), 0);
    expect(accepted).toBe(ok.length * 25);
    await until(() => scored === accepted, `${accepted} scores`, 20_000);
    const text = await (await fetch(`${small.http}/metrics`)).text();
    expect(text).toContain(`supernova_sentiment_items_shed_total{source="http"} ${busy.length * 25}`);
    expect(text).toContain(`supernova_sentiment_items_scored_total{source="http"} ${accepted}`);
    c.disconnect();
  }, 30_000);
});

describe('simulated headlines', () => {
  it('flow with the simulated feed, and past the buffer the newest are shed and counted', async () => {
    // A headline every millisecond or so into a buffer of 2 that waits 50 ms for a batch of 4: most are shed.
    const sim = await startEngine({ feed: 'simulated', symbols: ['SIMA'], simTradesPerSecond: 1, sentiment: true, simNewsPerMinute: 60_000, sentimentMaxBuffered: 2, sentimentBatchMax: 4, sentimentBatchMs: 50 });
    try {
      const c = sdkClient(sim.url);
      await connected(c);
      const got: SentimentScoreMessage[] = [];
      (await subscribed(c, 'sentiment:SIMA')).on('publication', (ctx) => { if ((ctx.data as SentimentMessage).type === 'score') got.push(ctx.data as SentimentScoreMessage); });
      await until(() => got.length >= 4, 'simulated headlines scored', 10_000);
      expect(got[0]).toMatchObject({ symbol: 'SIMA', source: 'simulated', id: expect.stringMatching(/^sim-/), label: expect.stringMatching(/^(bearish|bullish|neutral)$/) });
      const text = await (await fetch(`${sim.http}/metrics`)).text();
      const shed = Number(/supernova_sentiment_items_shed_total\{source="simulated"\} (\d+)/.exec(text)?.[1]);
      const scored = Number(/supernova_sentiment_items_scored_total\{source="simulated"\} (\d+)/.exec(text)?.[1]);
      expect(scored).toBeGreaterThanOrEqual(4);
      expect(shed).toBeGreaterThan(scored);
      c.disconnect();
    } finally {
      await sim.stop();
    }
  }, 20_000);
});

describe('switched off', () => {
  it('answers 503 on its routes and 108 over RPC with SUPERNOVA_SENTIMENT=false, loading no model', async () => {
    const off = await startEngine({ apiKey: KEY });
    try {
      const r1 = await fetch(`${off.http}/api/v1/sentiment/analyze`, { method: 'POST', headers: { authorization: `apikey ${KEY}`, 'content-type': 'application/json' }, body: '{"texts":["a"]}' });
      expect(r1.status).toBe(503);
      expect(await r1.json()).toMatchObject({ error: { code: 'SENTIMENT_DISABLED', message: expect.stringContaining('SUPERNOVA_SENTIMENT') } });
      expect((await fetch(`${off.http}/api/v1/sentiment/AAPL`)).status).toBe(503);
      const r3 = await fetch(`${off.http}/api/v1/ingest/news`, { method: 'POST', headers: { authorization: `apikey ${KEY}`, 'content-type': 'application/json' }, body: '[]' });
      expect(r3.status).toBe(503);
      const report = (await (await fetch(`${off.http}/performance/report`)).json()) as { sections: Record<string, unknown> };
      expect(report.sections.models).toEqual({ enabled: false });
      const c = sdkClient(off.url);
      await connected(c);
      await expect(c.rpc('sentiment.analyze', { texts: ['a'] })).rejects.toMatchObject({ code: 108 });
      c.disconnect();
    } finally {
      await off.stop();
    }
  });

  it('stops start-up naming SUPERNOVA_ML_MODEL_DIR when the model does not load', async () => {
    const failed = startEngine({ sentiment: true, mlModelDir: 'no/such/model' });
    await expect(failed).rejects.toThrow(/SUPERNOVA_ML_MODEL_DIR=no\/such\/model with SUPERNOVA_ML_BACKEND=auto/);
    await expect(failed).rejects.toMatchObject({ name: 'SentimentStartError', code: 'SENTIMENT_MODEL_NOT_LOADED', cause: expect.objectContaining({ name: 'MlError' }) });
  });
});
