import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisNews, SentimentPipeline, type ScoredText, type SentimentMessage, type TextScorer } from '../../streams/index.js';
import { createRedisConnector } from '../../src/redis/index.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { startEngine, type TestEngine } from '../support/engine.js';

const reachable = await redisReachable();

/** A scorer whose answers wait until released, or fail while `fail` is set: the pipeline falls behind it. */
class GatedScorer implements TextScorer {
  calls = 0;
  held = false;
  fail = 0;
  private gates: (() => void)[] = [];
  async score(texts: readonly string[]): Promise<ScoredText[]> {
    this.calls++;
    if (this.held) await new Promise<void>((resolve) => this.gates.push(resolve));
    if (this.fail > 0) {
      this.fail--;
      throw new Error('scorer down');
    }
    return texts.map(() => ({ label: 'neutral', scores: { bearish: 0.2, bullish: 0.2, neutral: 0.6 } }));
  }
  release(): void {
    this.held = false;
    for (const g of this.gates.splice(0)) g();
  }
}

describe.skipIf(!reachable)('news from a Redis stream (real Redis)', () => {
  let redis: Redis;
  const streams: string[] = [];
  const newStream = () => {
    const s = `supernova:test:news:${randomUUID()}`;
    streams.push(s);
    return s;
  };
  const now = Date.now();
  const add = async (stream: string, n: number, symbol: string, from = 0) => {
    const pipe = redis.pipeline();
    for (let i = from; i < from + n; i++) pipe.xadd(stream, '*', 'id', `r-${i}`, 'symbols', symbol, 'headline', `Headline ${i} about ${symbol}`, 'source', 'redis-test', 'ts', String(now + i));
    await pipe.exec();
  };
  const pending = async (stream: string, group: string) => ((await redis.xpending(stream, group)) as [number, ...unknown[]])[0];

  beforeAll(() => { redis = new Redis(REDIS_URL); });
  afterAll(async () => {
    if (streams.length) await redis.del(...streams);
    await redis.quit();
  });

  describe('in an engine', () => {
    let t: TestEngine;
    let stream: string;
    const prefix = `sntest-${randomUUID().slice(0, 8)}`;
    beforeAll(async () => {
      stream = newStream();
      t = await startEngine({ sentiment: true, redisUrl: REDIS_URL, redisPrefix: prefix, broker: 'memory', newsStream: stream, feedGroup: 'news-engines', feedBlockMs: 100 });
    }, 30_000);
    afterAll(async () => {
      await t?.stop();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
    });

    it('scores the entries, publishes them on sentiment:SYM, and acknowledges each (malformed ones too)', async () => {
      const c = sdkClient(t.url);
      await connected(c);
      const got: SentimentMessage[] = [];
      (await subscribed(c, 'sentiment:RDSA')).on('publication', (ctx) => got.push(ctx.data as SentimentMessage));
      await add(stream, 3, 'RDSA');
      await redis.xadd(stream, '*', 'id', 'r-bad', 'symbols', 'rdsa', 'headline', 'lower-case symbol', 'ts', String(now));
      await redis.xadd(stream, '*', 'just', 'garbage');
      await until(() => got.filter((m) => m.type === 'score').length === 3, 'three scores from the stream', 10_000);
      const scores = got.filter((m) => m.type === 'score');
      expect(scores.map((m) => m.type === 'score' && m.id)).toEqual(['r-0', 'r-1', 'r-2']);
      expect(scores[0]).toMatchObject({ symbol: 'RDSA', source: 'redis-test', headline: 'Headline 0 about RDSA', ts: now });
      expect(got.some((m) => m.type === 'aggregate')).toBe(true);
      await expect.poll(() => pending(stream, 'news-engines'), { timeout: 5_000 }).toBe(0);
      const report = (await (await fetch(`${t.http}/performance/report`)).json()) as { sections: { sentiment: { redis: { acked: number }; sources: { redis: { refused: number; scored: number } } } } };
      expect(report.sections.sentiment.redis.acked).toBe(5);
      expect(report.sections.sentiment.sources.redis).toMatchObject({ scored: 3, refused: 2 });
      c.disconnect();
    });
  });

  it('stops start-up with an error naming the stream when its Redis does not answer', async () => {
    await expect(startEngine({ sentiment: true, redisUrl: 'redis://127.0.0.1:1', broker: 'memory', newsStream: 'supernova:test:news:nowhere', httpRateIngest: 'off', httpRateApi: 'off', httpRateOps: 'off' }))
      .rejects.toThrow(/redis news source cannot start on .*stream supernova:test:news:nowhere/);
  }, 20_000);

  describe('with the pipeline behind', () => {
    const started: { pipeline: SentimentPipeline }[] = [];
    afterEach(async () => {
      for (const s of started.splice(0)) await s.pipeline.stop();
    });

    function build(stream: string, scorer: TextScorer, maxBuffered: number, claimIdleMs = 30_000, recentIds = 0) {
      const published: SentimentMessage[] = [];
      const source = new RedisNews({ redis: createRedisConnector({ url: REDIS_URL }), stream, group: 'g', consumer: 'c1', newGroupStartId: '0', batchSize: 10, blockMs: 100, claimIdleMs, retryDelayMs: 20 });
      const pipeline = new SentimentPipeline({
        scorer, feeds: [source], publisher: { publish: async (_channel, data) => { published.push(data as SentimentMessage); } },
        batchMax: 2, batchMs: 1, maxBuffered, maxInFlight: 1, rolling: { alpha: 0.1, hoursKept: 2, maxSymbols: 10 }, recentIds,
      });
      started.push({ pipeline });
      return { pipeline, source, published };
    }

    it('stops reading while the buffer is full: entries wait in the stream, then all are scored and acknowledged', async () => {
      const stream = newStream();
      await add(stream, 9, 'RDSB');
      const scorer = new GatedScorer();
      scorer.held = true;
      const { pipeline, source, published } = build(stream, scorer, 3);
      await pipeline.start();
      await until(() => scorer.calls === 1 && source.paused > 0, 'the source paused with the buffer full');
      // Read from the stream (pending) is at most what the buffer holds; the rest was never read.
      expect(pipeline.buffered).toBe(3);
      expect(await pending(stream, 'g')).toBeLessThanOrEqual(3);
      const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
      const lag = Number(groups[0]?.[(groups[0]?.indexOf('lag') ?? -2) + 1]);
      expect(lag).toBeGreaterThanOrEqual(6);
      scorer.release();
      await until(() => published.filter((m) => m.type === 'score').length === 9, 'all nine scored', 10_000);
      await expect.poll(() => pending(stream, 'g'), { timeout: 5_000 }).toBe(0);
      expect(source.acked).toBe(9);
      expect(pipeline.sourceCounts().redis).toMatchObject({ accepted: 9, scored: 9, failed: 0 });
    });

    it('leaves entries whose scoring failed pending, and scores them when they are claimed again', async () => {
      const stream = newStream();
      await add(stream, 2, 'RDSC');
      const scorer = new GatedScorer();
      scorer.fail = 1;
      const { pipeline, source, published } = build(stream, scorer, 10, 300);
      await pipeline.start();
      await until(() => published.filter((m) => m.type === 'score').length === 2, 'both scored after the claim', 10_000);
      expect(pipeline.sourceCounts().redis.failed).toBe(2);
      expect(source.claimed).toBeGreaterThanOrEqual(2);
      await expect.poll(() => pending(stream, 'g'), { timeout: 5_000 }).toBe(0);
    });

    it('an entry claimed again while its first scoring is under way is acknowledged only once that scoring ends well', async () => {
      const stream = newStream();
      await add(stream, 2, 'RDSD');
      const scorer = new GatedScorer();
      scorer.held = true;
      scorer.fail = 1;
      const { pipeline, source, published } = build(stream, scorer, 10, 200, 100);
      await pipeline.start();
      // Claimed again (as DUPLICATE) while the first scoring is held: not acknowledged for that.
      await until(() => scorer.calls === 1 && source.claimed >= 2, 'the entries claimed again while at the scorer', 10_000);
      expect(pipeline.refusals().redis.DUPLICATE).toBeGreaterThanOrEqual(2);
      expect(await pending(stream, 'g')).toBe(2);
      expect(source.acked).toBe(0);
      // The first scoring fails: the entries are still pending, and the next claim scores them.
      scorer.release();
      await until(() => published.filter((m) => m.type === 'score').length === 2, 'both scored after the failed first scoring', 10_000);
      await expect.poll(() => pending(stream, 'g'), { timeout: 5_000 }).toBe(0);
      expect(published.filter((m) => m.type === 'score').map((m) => m.type === 'score' && m.id).sort()).toEqual(['r-0', 'r-1']);
    });
  });
});
