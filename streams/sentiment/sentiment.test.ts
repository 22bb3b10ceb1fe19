import { describe, expect, it } from 'vitest';
import { checkNews, newsLimits } from './news-validation.js';
import { RollingSentiment } from './rolling-sentiment.js';
import { HeadlineGenerator } from './headlines.js';
import { SimulatedNews } from './simulated-news.js';
import { SentimentPipeline, type SentimentPipelineOptions } from './sentiment-pipeline.js';
import { readAnalyzeTexts } from './analyze.js';
import { entryItem } from './redis-news.js';
import { SentimentBusyError, SentimentUnavailableError } from '../errors.js';
import type { NewsArchive, SentimentArchiveRow, TextScorer } from './ports.js';
import type { NewsItem, ScoredText, SentimentAggregateMessage, SentimentMessage, SentimentScoreMessage } from './types.js';

const NOW = Date.UTC(2026, 0, 5, 14, 30);
const limits = newsLimits();
const news = (id: string, symbols: string[] = ['AAPL'], headline = `headline ${id}`, ts = NOW): NewsItem => ({ id, symbols, headline, source: 'wire', ts });

describe('checkNews', () => {
  it('takes a well-formed item as a fresh object of the known fields, symbols de-duplicated', () => {
    const input = { id: 'n1', symbols: ['AAPL', 'MSFT', 'AAPL'], headline: 'Apple up', source: 'wire', ts: NOW, extra: { deep: true } };
    expect(checkNews(input, limits, NOW)).toEqual({ item: { id: 'n1', symbols: ['AAPL', 'MSFT'], headline: 'Apple up', source: 'wire', ts: NOW } });
    expect(checkNews({ id: 'n2', symbols: ['SPY'], headline: 'x', ts: NOW }, limits, NOW).item).toEqual({ id: 'n2', symbols: ['SPY'], headline: 'x', ts: NOW });
  });

  it.each([
    ['not an object', 'a headline', 'BAD_SHAPE'],
    ['an array', [1, 2], 'BAD_SHAPE'],
    ['null', null, 'BAD_SHAPE'],
    ['no id', { symbols: ['A'], headline: 'h', ts: NOW }, 'BAD_ID'],
    ['a numeric id', { id: 7, symbols: ['A'], headline: 'h', ts: NOW }, 'BAD_ID'],
    ['an id of 257 characters', { id: 'x'.repeat(257), symbols: ['A'], headline: 'h', ts: NOW }, 'BAD_ID'],
    ['no symbols', { id: 'a', symbols: [], headline: 'h', ts: NOW }, 'BAD_SYMBOLS'],
    ['a symbols string', { id: 'a', symbols: 'AAPL', headline: 'h', ts: NOW }, 'BAD_SYMBOLS'],
    ['a lower-case symbol', { id: 'a', symbols: ['aapl'], headline: 'h', ts: NOW }, 'BAD_SYMBOLS'],
    ['17 symbols', { id: 'a', symbols: Array.from({ length: 17 }, (_, i) => `S${i}`), headline: 'h', ts: NOW }, 'BAD_SYMBOLS'],
    ['a nested symbol', { id: 'a', symbols: [['AAPL']], headline: 'h', ts: NOW }, 'BAD_SYMBOLS'],
    ['a blank headline', { id: 'a', symbols: ['A'], headline: '   ', ts: NOW }, 'BAD_HEADLINE'],
    ['an object headline', { id: 'a', symbols: ['A'], headline: { text: 'h' }, ts: NOW }, 'BAD_HEADLINE'],
    ['a headline over the limit', { id: 'a', symbols: ['A'], headline: 'h'.repeat(2001), ts: NOW }, 'BAD_HEADLINE'],
    ['a NUL in the headline', { id: 'a', symbols: ['A'], headline: 'a\u0000b', ts: NOW }, 'BAD_HEADLINE'],
    ['a NUL in the id', { id: 'a\u0000', symbols: ['A'], headline: 'h', ts: NOW }, 'BAD_ID'],
    ['a numeric source', { id: 'a', symbols: ['A'], headline: 'h', source: 5, ts: NOW }, 'BAD_SOURCE'],
    ['a string ts', { id: 'a', symbols: ['A'], headline: 'h', ts: String(NOW) }, 'BAD_TS'],
    ['a ts before 2000', { id: 'a', symbols: ['A'], headline: 'h', ts: 42 }, 'BAD_TS'],
    ['a ts two days ahead', { id: 'a', symbols: ['A'], headline: 'h', ts: NOW + 2 * 86_400_000 }, 'BAD_TS'],
    ['a fractional ts', { id: 'a', symbols: ['A'], headline: 'h', ts: NOW + 0.5 }, 'BAD_TS'],
  ])('refuses %s', (_, input, reason) => {
    const { refusal } = checkNews(input, limits, NOW);
    expect(refusal?.reason).toBe(reason);
    expect(refusal?.message.length).toBeLessThan(200);
  });

  it('refuses limits beyond what the news table stores', () => {
    expect(() => newsLimits({ maxHeadlineChars: 5_000 })).toThrow(/maxHeadlineChars/);
    expect(() => newsLimits({ maxSymbols: 0 })).toThrow(/maxSymbols/);
  });
});

describe('RollingSentiment', () => {
  const bull = { bearish: 0.1, bullish: 0.8, neutral: 0.1 };
  const bear = { bearish: 0.9, bullish: 0.05, neutral: 0.05 };

  it('keeps an EMA of bullish - bearish and hourly buckets by event time', () => {
    const r = new RollingSentiment({ alpha: 0.5, hoursKept: 4, maxSymbols: 10 });
    r.add('AAPL', NOW, 'bullish', bull);
    r.add('AAPL', NOW + 1000, 'bearish', bear);
    const a = r.aggregate('AAPL') as SentimentAggregateMessage;
    // 0.7, then 0.7 + 0.5 * (-0.85 - 0.7)
    expect(a.ema).toBeCloseTo(-0.075, 6);
    expect(a).toMatchObject({ type: 'aggregate', symbol: 'AAPL', label: 'neutral', items: 2, ts: NOW + 1000 });
    expect(a.hour).toEqual({ hour: Date.UTC(2026, 0, 5, 14), items: 2, labels: { bearish: 1, bullish: 1, neutral: 0 }, mean: { bearish: 0.5, bullish: 0.425, neutral: 0.075 }, sentiment: -0.075 });
    expect(r.aggregate('MSFT')).toBeUndefined();
  });

  it('keeps hoursKept hours per symbol, and an item older than all of them only in the EMA', () => {
    const r = new RollingSentiment({ alpha: 0.1, hoursKept: 2, maxSymbols: 10 });
    for (let h = 0; h < 3; h++) r.add('AAPL', NOW + h * 3_600_000, 'bullish', bull);
    expect(r.hours('AAPL', 0, Number.MAX_SAFE_INTEGER).map((b) => b.hour)).toEqual([Date.UTC(2026, 0, 5, 15), Date.UTC(2026, 0, 5, 16)]);
    r.add('AAPL', NOW - 3_600_000, 'bearish', bear);
    expect(r.unbucketed).toBe(1);
    expect(r.summary('AAPL')?.items).toBe(4);
  });

  it('forgets the symbol updated longest ago past maxSymbols', () => {
    const r = new RollingSentiment({ alpha: 0.1, hoursKept: 2, maxSymbols: 2 });
    r.add('A', NOW, 'bullish', bull);
    r.add('B', NOW, 'bullish', bull);
    r.add('A', NOW, 'bullish', bull);
    r.add('C', NOW, 'bullish', bull);
    expect(r.symbols().sort()).toEqual(['A', 'C']);
    expect(r.evicted).toBe(1);
  });
});

describe('simulated headlines', () => {
  it('are the same for the same seed, differ for another, and are about the configured symbols', () => {
    const take = (seed: number) => {
      const g = new HeadlineGenerator(['AAPL', 'TSLA', 'XYZ'], seed);
      return Array.from({ length: 30 }, () => g.next());
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
    const got = take(7);
    expect(new Set(got.map((h) => h.symbol))).toEqual(new Set(['AAPL', 'TSLA', 'XYZ']));
    expect(new Set(got.map((h) => h.intended))).toEqual(new Set(['bullish', 'bearish', 'neutral']));
    expect(got.every((h) => !/[{}]/.test(h.headline))).toBe(true);
  });

  it('are items that pass validation', () => {
    const s = new SimulatedNews({ symbols: ['AAPL', 'MSFT'], perMinute: 60, seed: 3, now: () => NOW });
    for (let i = 0; i < 20; i++) expect(checkNews(s.nextItem(), limits, NOW).refusal).toBeUndefined();
    expect(() => new SimulatedNews({ symbols: ['A'], perMinute: 0 })).toThrow(/perMinute/);
  });
});

describe('analyze bodies', () => {
  const l = { maxBatch: 3, maxTextChars: 10, names: { maxBatch: 'SUPERNOVA_ML_MAX_BATCH', maxTextChars: 'SUPERNOVA_ML_MAX_TEXT_CHARS' } };
  it('takes 1 to maxBatch non-blank texts and names the limit it refuses by', () => {
    expect(readAnalyzeTexts({ texts: ['a', 'b'] }, l)).toEqual(['a', 'b']);
    expect(() => readAnalyzeTexts({ texts: ['a', 'b', 'c', 'd'] }, l)).toThrow(/at most 3 \(SUPERNOVA_ML_MAX_BATCH\)/);
    expect(() => readAnalyzeTexts({ texts: ['x'.repeat(11)] }, l)).toThrow(/at most 10 \(SUPERNOVA_ML_MAX_TEXT_CHARS\)/);
    expect(() => readAnalyzeTexts({ texts: [' '] }, l)).toThrow(/texts\[0\] is empty/);
    expect(() => readAnalyzeTexts({ texts: [] }, l)).toThrow(/at least one/);
    expect(() => readAnalyzeTexts({ texts: 'a' }, l)).toThrow(/must be an array/);
    expect(() => readAnalyzeTexts({ texts: [1] }, l)).toThrow(/texts\[0\] must be a string/);
    expect(() => readAnalyzeTexts([], l)).toThrow(/must be an object/);
  });
});

describe('redis news entries', () => {
  it('read id, comma-separated symbols, headline, source and a numeric ts', () => {
    expect(entryItem(['id', 'n1', 'symbols', 'AAPL, MSFT', 'headline', 'h', 'source', 'wire', 'ts', String(NOW)])).toEqual({ id: 'n1', symbols: ['AAPL', 'MSFT'], headline: 'h', source: 'wire', ts: NOW });
    expect(checkNews(entryItem(['id', 'n1', 'headline', 'h']), limits, NOW).refusal?.reason).toBe('BAD_SYMBOLS');
    expect(checkNews(entryItem(['id', 'n1', 'symbols', 'A', 'headline', 'h', 'ts', 'soon']), limits, NOW).refusal?.reason).toBe('BAD_TS');
  });
});

/** A scorer whose answers wait until released: the pipeline's buffer fills behind it. */
class GatedScorer implements TextScorer {
  readonly calls: string[][] = [];
  private gates: (() => void)[] = [];
  held = false;
  fail = false;
  async score(texts: readonly string[]): Promise<ScoredText[]> {
    this.calls.push([...texts]);
    if (this.held) await new Promise<void>((resolve) => this.gates.push(resolve));
    if (this.fail) throw new Error('model crashed');
    return texts.map((t) => (t.includes('up') ? { label: 'bullish', scores: { bearish: 0.1, bullish: 0.8, neutral: 0.1 } } : { label: 'bearish', scores: { bearish: 0.7, bullish: 0.1, neutral: 0.2 } }));
  }
  report() {
    return { version: 'test-v1' };
  }
  release(): void {
    const gates = this.gates;
    this.gates = [];
    for (const g of gates) g();
  }
}

class RecordingArchive implements NewsArchive {
  readonly news: string[] = [];
  readonly rows: SentimentArchiveRow[] = [];
  constructor(private readonly refuse: (id: string) => boolean = () => false) {}
  storeNews(item: NewsItem): boolean {
    if (this.refuse(item.id)) return false;
    this.news.push(item.id);
    return true;
  }
  storeSentiment(row: SentimentArchiveRow): void {
    this.rows.push(row);
  }
}

function pipelineWith(scorer: TextScorer, o: Partial<SentimentPipelineOptions> = {}) {
  const published: { channel: string; data: SentimentMessage }[] = [];
  const pipeline = new SentimentPipeline({
    scorer,
    publisher: { publish: async (channel, data) => { published.push({ channel, data: data as SentimentMessage }); } },
    batchMax: 4, batchMs: 5, maxBuffered: 10, maxInFlight: 1,
    rolling: { alpha: 0.5, hoursKept: 4, maxSymbols: 100 },
    now: () => NOW,
    ...o,
  });
  return { pipeline, published };
}

describe('SentimentPipeline', () => {
  it('scores in batches, publishes a score per item and symbol then an aggregate per symbol, and stores only news the news writer took', async () => {
    const scorer = new GatedScorer();
    const archive = new RecordingArchive((id) => id === 'n2');
    const { pipeline, published } = pipelineWith(scorer, { archive });
    await pipeline.start();
    const { report, done } = pipeline.submit([news('n1', ['AAPL', 'MSFT'], 'Apple up'), { id: 'bad' }, news('n2', ['AAPL'], 'Apple down')], 'http', 'all-or-none');
    expect(report).toEqual({ accepted: 2, rejected: 1, shed: 0, errors: [{ index: 1, reason: 'BAD_SYMBOLS', message: expect.any(String) }] });
    await done;
    expect(scorer.calls).toEqual([['Apple up', 'Apple down']]);
    expect(published.map((p) => `${p.channel} ${p.data.type}`)).toEqual([
      'sentiment:AAPL score', 'sentiment:MSFT score', 'sentiment:AAPL score', 'sentiment:AAPL aggregate', 'sentiment:MSFT aggregate',
    ]);
    const first = published[0]?.data as SentimentScoreMessage;
    expect(first).toEqual({ type: 'score', symbol: 'AAPL', id: 'n1', headline: 'Apple up', source: 'wire', ts: NOW, label: 'bullish', scores: { bearish: 0.1, bullish: 0.8, neutral: 0.1 }, sentiment: 0.7, model: 'test-v1' });
    const agg = published[3]?.data as SentimentAggregateMessage;
    expect(agg).toMatchObject({ type: 'aggregate', symbol: 'AAPL', items: 2, ema: 0.05, label: 'neutral', hour: { items: 2, labels: { bullish: 1, bearish: 1, neutral: 0 } } });
    expect(archive.news).toEqual(['n1']);
    expect(archive.rows.map((r) => `${r.newsId}/${r.symbol}/${r.modelVersion}`)).toEqual(['n1/AAPL/test-v1', 'n1/MSFT/test-v1']);
    expect(pipeline.sourceCounts().http).toEqual({ in: 3, accepted: 2, refused: 1, shed: 0, scored: 2, failed: 0 });
    expect(pipeline.refusals().http.BAD_SYMBOLS).toBe(1);
    await pipeline.stop();
  });

  it('refuses an id it took lately as DUPLICATE, within a list too, and forgets it when its scoring failed', async () => {
    const scorer = new GatedScorer();
    const { pipeline } = pipelineWith(scorer, { recentIds: 2 });
    await pipeline.start();
    const first = pipeline.submit([news('d1'), news('d2'), news('d1')], 'http', 'all-or-none');
    expect(first.report).toMatchObject({ accepted: 2, rejected: 1, errors: [{ index: 2, reason: 'DUPLICATE' }] });
    await first.done;
    expect(pipeline.submit([news('d2')], 'redis', 'all-or-none').report.errors[0]?.reason).toBe('DUPLICATE');
    // Two ids remembered: d3 pushes d1 out.
    await pipeline.submit([news('d3')], 'http', 'all-or-none').done;
    expect(pipeline.submit([news('d1')], 'http', 'all-or-none').report.accepted).toBe(1);
    scorer.fail = true;
    await expect(pipeline.submit([news('d4')], 'redis', 'all-or-none').done).rejects.toThrow();
    scorer.fail = false;
    expect(pipeline.submit([news('d4')], 'redis', 'all-or-none').report.accepted).toBe(1);
    expect(pipeline.refusals().http.DUPLICATE + pipeline.refusals().redis.DUPLICATE).toBe(2);
    await pipeline.stop();
  });

  it('a duplicate of an item under way settles with it (at most 16 wait; past that they fail at once)', async () => {
    const scorer = new GatedScorer();
    scorer.held = true;
    const { pipeline } = pipelineWith(scorer, { recentIds: 10 });
    await pipeline.start();
    const outcomes: string[] = [];
    const track = (done: Promise<void>) => done.then(() => 'scored', (err: { code?: string }) => err.code ?? 'failed');
    const first = track(pipeline.submit([news('w1')], 'redis', 'all-or-none').done);
    const again = Array.from({ length: 18 }, () => pipeline.submit([news('w1')], 'redis', 'all-or-none'));
    expect(again.every((s) => s.report.errors[0]?.reason === 'DUPLICATE')).toBe(true);
    const settled = again.map((s) => track(s.done).then((o) => { outcomes.push(o); return o; }));
    await new Promise((r) => setTimeout(r, 20));
    expect(outcomes).toEqual(['SENTIMENT_UNAVAILABLE', 'SENTIMENT_UNAVAILABLE']);
    scorer.fail = true;
    scorer.held = false;
    scorer.release();
    expect(await first).toBe('failed');
    expect((await Promise.all(settled)).filter((o) => o === 'failed')).toHaveLength(16);
    // Once the first is through, a duplicate of it is no longer under way: its submission settles at once.
    scorer.fail = false;
    await pipeline.submit([news('w2')], 'redis', 'all-or-none').done;
    expect(pipeline.submit([news('w2')], 'redis', 'all-or-none').report.errors[0]?.reason).toBe('DUPLICATE');
    await pipeline.stop();
  });

  it('scores batches side by side but publishes them in the order they came, whichever is answered first', async () => {
    const answers: ((fail: boolean) => void)[] = [];
    const base = new GatedScorer();
    const scorer: TextScorer = {
      score: (texts) => new Promise((resolve, reject) => {
        answers.push((fail) => (fail ? reject(new Error('model crashed')) : resolve(base.score(texts))));
      }),
    };
    const { pipeline, published } = pipelineWith(scorer, { batchMax: 1, batchMs: 0, maxInFlight: 3 });
    await pipeline.start();
    const a = pipeline.submit([news('a')], 'http', 'all-or-none').done;
    const b = pipeline.submit([news('b')], 'http', 'all-or-none').done;
    const c = pipeline.submit([news('c')], 'http', 'all-or-none').done;
    // Three batches at the scorer at once.
    await expect.poll(() => answers.length).toBe(3);
    let bThrough = false;
    void b.then(() => { bThrough = true; });
    answers[1]?.(false);
    await new Promise((r) => setTimeout(r, 20));
    // b is scored, but a, launched before it, is not through yet.
    expect(published).toEqual([]);
    expect(bThrough).toBe(false);
    answers[2]?.(false);
    // A failed batch publishes nothing and holds up nothing after it.
    answers[0]?.(true);
    await expect(a).rejects.toThrow('model crashed');
    await Promise.all([b, c]);
    expect(published.map((p) => `${p.data.type}${p.data.type === 'score' ? ` ${p.data.id}` : ''}`)).toEqual(['score b', 'aggregate', 'score c', 'aggregate']);
    await pipeline.stop();
  });

  it('sends a full batch at the next turn and a partial one after batchMs', async () => {
    const scorer = new GatedScorer();
    const { pipeline } = pipelineWith(scorer, { batchMax: 2, batchMs: 50, maxInFlight: 4 });
    await pipeline.start();
    pipeline.submit([news('a'), news('b'), news('c')], 'http', 'all-or-none');
    // Not in the caller's turn: the next one.
    expect(scorer.calls).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(scorer.calls.map((c) => c.length)).toEqual([2]);
    await new Promise((r) => setTimeout(r, 80));
    expect(scorer.calls.map((c) => c.length)).toEqual([2, 1]);
    await pipeline.stop();
  });

  it('at its bound refuses an all-or-none submission whole and sheds the newest of a drop-newest one, counting both', async () => {
    const scorer = new GatedScorer();
    scorer.held = true;
    const { pipeline, published } = pipelineWith(scorer, { maxBuffered: 5, batchMax: 2, batchMs: 0 });
    await pipeline.start();
    const first = pipeline.submit([news('1'), news('2'), news('3')], 'http', 'all-or-none');
    expect(pipeline.room()).toBe(2);
    expect(() => pipeline.submit([news('4'), news('5'), news('6')], 'http', 'all-or-none')).toThrow(SentimentBusyError);
    expect(pipeline.buffered).toBe(3);
    const sim = pipeline.submit([news('s1'), news('s2'), news('s3')], 'simulated', 'drop-newest');
    expect(sim.report).toMatchObject({ accepted: 2, shed: 1 });
    expect(pipeline.buffered).toBe(5);
    expect(pipeline.sourceCounts().http.shed).toBe(3);
    expect(pipeline.sourceCounts().simulated.shed).toBe(1);
    scorer.held = false;
    scorer.release();
    await Promise.all([first.done, sim.done]);
    await new Promise((r) => setTimeout(r, 20));
    expect(pipeline.buffered).toBe(0);
    expect(published.filter((p) => p.data.type === 'score').map((p) => (p.data as SentimentScoreMessage).id)).toEqual(['1', '2', '3', 's1', 's2']);
    await pipeline.stop();
  });

  it('rejects a submission whose scoring failed and goes on with the next', async () => {
    const scorer = new GatedScorer();
    scorer.fail = true;
    const { pipeline, published } = pipelineWith(scorer);
    await pipeline.start();
    await expect(pipeline.submit([news('x')], 'redis', 'all-or-none').done).rejects.toThrow('model crashed');
    expect(pipeline.sourceCounts().redis.failed).toBe(1);
    expect(pipeline.scoreErrors).toBe(1);
    scorer.fail = false;
    await pipeline.submit([news('y')], 'redis', 'all-or-none').done;
    expect(published.some((p) => p.data.type === 'score' && p.data.id === 'y')).toBe(true);
    await pipeline.stop();
  });

  it('refuses submissions when not running, and fails what stop could not score', async () => {
    const scorer = new GatedScorer();
    const { pipeline } = pipelineWith(scorer, { stopDrainMs: 100 });
    expect(() => pipeline.submit([news('a')], 'http', 'all-or-none')).toThrow(SentimentUnavailableError);
    await pipeline.start();
    scorer.held = true;
    const { done } = pipeline.submit([news('a')], 'redis', 'all-or-none');
    const stopping = pipeline.stop();
    await expect(done).rejects.toThrow();
    scorer.release();
    await stopping;
  }, 5_000);
});
