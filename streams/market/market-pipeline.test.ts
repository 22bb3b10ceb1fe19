import { describe, it, expect } from 'vitest';
import { Observable, VirtualTimeScheduler, from, interval, map, throwError } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { MarketPipeline } from './market-pipeline.js';
import { MAX_TRADES_PER_PUBLICATION, TickPublication } from './tick-publication.js';
import { SimulatedFeed } from '../feeds/simulated.js';
import { barInterval } from '../operators/bar-interval.js';
import type { Bar, ChannelPublisher, Feed, StreamLogger, Tick, TickBatch } from '../ports.js';

interface Call {
  channel: string;
  data: unknown;
  at: number;
}

/** The publisher port, recorded. `fail` decides per call whether to reject ('reject') or throw. */
class RecordingPublisher implements ChannelPublisher {
  readonly calls: Call[] = [];
  constructor(
    private readonly clock: SchedulerLike,
    private readonly fail: (call: Call, index: number) => 'reject' | 'throw' | undefined = () => undefined,
  ) {}
  publish(channel: string, data: unknown): Promise<unknown> {
    const call = { channel, data, at: this.clock.now() };
    this.calls.push(call);
    const failure = this.fail(call, this.calls.length - 1);
    if (failure === 'throw') throw new Error('broker exploded');
    return failure === 'reject' ? Promise.reject(new Error('broker down')) : Promise.resolve();
  }
  on(prefix: string): Call[] {
    return this.calls.filter((c) => c.channel.startsWith(prefix));
  }
  /** Every trade published to channels starting with `prefix`, in publication order. */
  trades(prefix: string): { price: number; size: number; ts: number }[] {
    return this.on(prefix).flatMap((c) => rows(c.data as TickPublication));
  }
}

class RecordingLogger implements StreamLogger {
  readonly warnings: object[] = [];
  readonly errors: object[] = [];
  warn(obj: object): void {
    this.warnings.push(obj);
  }
  error(obj: object): void {
    this.errors.push(obj);
  }
}

/** A publication as a subscriber decodes it (a ticks: publication's columns are typed arrays until then). */
const wire = (data: unknown): unknown => JSON.parse(JSON.stringify(data));
/** A ticks: publication's columns as one object per trade. */
const rows = (p: TickPublication) => Array.from(p.ts, (ts, i) => ({ price: p.price[i] as number, size: p.size[i] as number, ts }));
const feedOf = (batches: () => Observable<TickBatch>): Feed => ({ name: 'test', batches });
/** Each tick its own batch, as a feed that batches nothing hands them over. */
const oneByOne = (ticks: Tick[]): Observable<TickBatch> => from(ticks.map((t) => [t]));

/** Wraps a feed so the test can see whether anything is still subscribed to it. */
function watched(feed: Feed): Feed & { active: () => number } {
  let active = 0;
  return {
    name: feed.name,
    active: () => active,
    batches: () =>
      new Observable<TickBatch>((subscriber) => {
        active++;
        const inner = feed.batches().subscribe(subscriber);
        return () => {
          active--;
          inner.unsubscribe();
        };
      }),
  };
}

describe('MarketPipeline', () => {
  it('publishes every trade, per symbol and batch, and conflates snapshots per symbol (marbles)', async () => {
    const testScheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const publisher = new RecordingPublisher(testScheduler);
    let pipeline: MarketPipeline | undefined;
    testScheduler.run(({ cold }) => {
      const t = (symbol: string, price: number) => ({ symbol, price, size: 100, ts: price });
      // AAA trades at 0, 2 (twice, in a batch with BBB) and 23. Windows are 10 ms.
      const ticks = cold('a 1ms b 20ms e 10ms |', {
        a: [t('AAA', 10)],
        b: [t('AAA', 11), t('BBB', 50), t('AAA', 12)],
        e: [t('AAA', 13)],
      });
      pipeline = new MarketPipeline({ tickLimits: { minTs: 0 }, feed: feedOf(() => ticks), publisher, conflateMs: 10 });
      pipeline.start();
    });
    if (!pipeline) throw new Error('pipeline not built');

    const trades = (...prices: number[]) => ({ price: prices, size: prices.map(() => 100), ts: prices });
    expect(publisher.on('ticks:').map((c) => [c.channel, c.at, wire(c.data)])).toEqual([
      ['ticks:AAA', 0, trades(10)],
      ['ticks:AAA', 2, trades(11, 12)],
      ['ticks:BBB', 2, trades(50)],
      ['ticks:AAA', 23, trades(13)],
    ]);
    // AAA: leading at 0 (10), trailing at 10 with the latest (12), leading again at 23 after quiet.
    expect(publisher.on('market:').map((c) => [c.channel, c.at, (c.data as { last: number }).last])).toEqual([
      ['market:AAA', 0, 10],
      ['market:BBB', 2, 50],
      ['market:AAA', 10, 12],
      ['market:AAA', 23, 13],
    ]);
    expect(publisher.on('market:AAA').at(-1)?.data).toEqual(pipeline.state.snapshot('AAA'));

    await pipeline.stop();
    expect(pipeline.ticksIn).toBe(5);
    expect(pipeline.published).toBe(8);
    expect(pipeline.publishErrors).toBe(0);
  });

  it('splits a symbol\'s trades of one batch into publications of at most MAX_TRADES_PER_PUBLICATION, in order', async () => {
    const n = 2 * MAX_TRADES_PER_PUBLICATION + 500;
    const batch: Tick[] = Array.from({ length: n }, (_, i) => ({ symbol: 'A', price: 10 + i / 100, size: 1, ts: 1 + i }));
    const scheduler = new VirtualTimeScheduler();
    const publisher = new RecordingPublisher(scheduler);
    const pipeline = new MarketPipeline({ tickLimits: { minTs: 0 }, feed: feedOf(() => from([batch])), publisher, scheduler });
    pipeline.start();
    await pipeline.stop();
    expect(publisher.on('ticks:A').map((c) => (c.data as TickPublication).ts.length)).toEqual([MAX_TRADES_PER_PUBLICATION, MAX_TRADES_PER_PUBLICATION, 500]);
    expect(publisher.trades('ticks:A').map((t) => t.ts)).toEqual(batch.map((t) => t.ts));
  });

  it('runs the simulated feed: ticks:SYM for every tick, market:SYM at most every conflateMs, final state last', async () => {
    const scheduler = new VirtualTimeScheduler(undefined, 5_000);
    const symbols = ['AAPL', 'MSFT', 'QQQ'];
    const feed = watched(new SimulatedFeed({ symbols, tradesPerSecond: 20, seed: 3, scheduler }));
    const publisher = new RecordingPublisher(scheduler);
    const pipeline = new MarketPipeline({ tickLimits: { minTs: 0 }, feed, publisher, conflateMs: 100, scheduler });
    pipeline.start();
    scheduler.flush();
    // Stopping mid-window must still publish what the last window held back.
    await pipeline.stop();

    expect(pipeline.ticksIn).toBeGreaterThan(250);
    expect(publisher.trades('ticks:')).toHaveLength(pipeline.ticksIn);
    for (const symbol of symbols) {
      const market = publisher.on(`market:${symbol}`);
      expect(market.length).toBeGreaterThan(10);
      expect(market.length).toBeLessThan(publisher.trades(`ticks:${symbol}`).length);
      for (let i = 1; i < market.length - 1; i++) {
        expect(market[i]!.at - market[i - 1]!.at).toBeGreaterThanOrEqual(100);
      }
      expect(market.at(-1)?.data).toEqual(pipeline.state.snapshot(symbol));
      expect(pipeline.state.snapshot(symbol)?.trades).toBe(publisher.trades(`ticks:${symbol}`).length);
    }
    expect(pipeline.published).toBe(publisher.calls.length);
    expect(feed.active()).toBe(0);
    expect(scheduler.actions).toHaveLength(0);
    expect(pipeline.running).toBe(false);
  });

  it('publishes partial and final bars per interval, keeps the closed ones, and closes the rest on stop', async () => {
    const scheduler = new VirtualTimeScheduler(undefined, 10_000);
    const feed = new SimulatedFeed({ symbols: ['AAPL', 'MSFT'], tradesPerSecond: 40, seed: 5, scheduler });
    const publisher = new RecordingPublisher(scheduler);
    const intervals = [barInterval('1s'), barInterval('5s')];
    const pipeline = new MarketPipeline({ tickLimits: { minTs: 0 }, feed, publisher, scheduler, bars: { intervals, latenessMs: 200, historySize: 4 } });
    pipeline.start();
    scheduler.flush();
    await pipeline.stop();

    for (const symbol of ['AAPL', 'MSFT']) {
      const bars = publisher.on(`bars:1s:${symbol}`).map((c) => ({ ...(c.data as Bar), at: c.at }));
      const finals = bars.filter((b) => b.final);
      // 10 s of trading, flushed on stop: one final per second, in order, contiguous.
      expect(finals.map((b) => b.start)).toEqual(Array.from({ length: 10 }, (_, i) => i * 1_000));
      for (const bar of finals.slice(0, -1)) {
        // Closed by the watermark or the idle timer within the lateness after its end.
        expect(bar.at).toBeGreaterThanOrEqual(bar.end);
        expect(bar.at).toBeLessThanOrEqual(bar.end + 200);
      }
      const ticks = publisher.trades(`ticks:${symbol}`);
      expect(finals.reduce((v, b) => v + b.volume, 0)).toBe(ticks.reduce((v, t) => v + t.size, 0));
      expect(finals.reduce((n, b) => n + b.trades, 0)).toBe(ticks.length);
      // Partials: at most 4 per second per bar (first at once, then one per 250 ms window).
      for (const final of finals) {
        const partials = bars.filter((b) => !b.final && b.start === final.start);
        expect(partials.length).toBeGreaterThan(0);
        expect(partials.length).toBeLessThanOrEqual(5);
        for (let i = 1; i < partials.length; i++) expect(partials[i]!.at - partials[i - 1]!.at).toBeGreaterThanOrEqual(250);
        expect(bars.findIndex((b) => b.final && b.start === final.start)).toBeGreaterThan(bars.lastIndexOf(partials.at(-1)!));
      }
      expect(publisher.on(`bars:5s:${symbol}`).filter((c) => (c.data as Bar).final)).toHaveLength(2);
      // The store keeps the newest 4 closed 1s bars, equal to what was published.
      expect(pipeline.bars.size(symbol, '1s')).toBe(4);
      expect(pipeline.bars.slice(symbol, '1s', 0, 4)).toEqual(finals.slice(-4).map(({ at: _at, ...bar }) => bar));
    }
    expect(pipeline.lateTicks).toBe(0);
    expect(pipeline.state.snapshot('AAPL')?.vwap).toBeGreaterThan(0);
    expect(scheduler.actions).toHaveLength(0);
  });

  it('uses publishSync when the publisher has it: counted at once, nothing pending, a throw is a publish error', async () => {
    const scheduler = new VirtualTimeScheduler(undefined, 1_000);
    const feed = new SimulatedFeed({ symbols: ['AAPL'], tradesPerSecond: 20, seed: 7, scheduler });
    const sync: string[] = [];
    let asyncCalls = 0;
    const publisher: ChannelPublisher = {
      publish: () => {
        asyncCalls++;
        return Promise.resolve();
      },
      publishSync: (channel) => {
        if (channel.startsWith('market:')) throw new Error('no room');
        sync.push(channel);
      },
    };
    const pipeline = new MarketPipeline({ tickLimits: { minTs: 0 }, feed, publisher, conflateMs: 100, scheduler });
    pipeline.start();
    scheduler.flush();
    // No await anywhere: every publication was settled when publishSync returned.
    expect(asyncCalls).toBe(0);
    expect(pipeline.pendingPublications).toBe(0);
    expect(sync.filter((c) => c.startsWith('ticks:'))).toHaveLength(pipeline.ticksIn);
    expect(pipeline.published).toBe(sync.length);
    expect(pipeline.publishErrors).toBeGreaterThan(0);
    await pipeline.stop();
  });

  it('counts rejected and throwing publishes, logs them sparingly, and keeps going', async () => {
    const scheduler = new VirtualTimeScheduler(undefined, 2_000);
    const feed = new SimulatedFeed({ symbols: ['AAPL', 'TSLA'], tradesPerSecond: 10, seed: 11, scheduler });
    const publisher = new RecordingPublisher(scheduler, (call, index) => {
      if (call.channel.startsWith('market:')) return 'reject';
      return index % 3 === 0 ? 'throw' : undefined;
    });
    const logger = new RecordingLogger();
    const pipeline = new MarketPipeline({ tickLimits: { minTs: 0 }, feed, publisher, conflateMs: 100, logger, scheduler });
    pipeline.start();
    scheduler.flush();
    expect(pipeline.running).toBe(true);
    await pipeline.stop();

    const failures = publisher.calls.filter((c, i) => c.channel.startsWith('market:') || i % 3 === 0).length;
    expect(failures).toBeGreaterThan(10);
    expect(pipeline.publishErrors).toBe(failures);
    expect(pipeline.published).toBe(publisher.calls.length - failures);
    expect(publisher.trades('ticks:')).toHaveLength(pipeline.ticksIn);
    // Publishing kept going right to the end of the run despite the failures.
    expect(publisher.calls.at(-1)?.at).toBeGreaterThan(1_900);
    expect(logger.warnings.length).toBeGreaterThanOrEqual(1);
    expect(logger.warnings.length).toBeLessThan(failures);
    expect(logger.warnings[0]).toMatchObject({ channel: expect.any(String) as unknown });
  });

  it('stop() ends the feed subscription and every timer, and is safe to call twice', async () => {
    const scheduler = new VirtualTimeScheduler(undefined, 1_000);
    const feed = watched(
      feedOf(() =>
        interval(7, scheduler).pipe(map((i): TickBatch => [{ symbol: i % 2 ? 'A' : 'B', price: 10 + i / 100, size: 1, ts: i }])),
      ),
    );
    const pipeline = new MarketPipeline({ tickLimits: { minTs: 0 }, feed, publisher: new RecordingPublisher(scheduler), conflateMs: 50, scheduler });
    pipeline.start();
    pipeline.start(); // no second subscription
    expect(feed.active()).toBe(1);
    scheduler.flush();
    expect(scheduler.actions.length).toBeGreaterThan(0);
    await pipeline.stop();
    await pipeline.stop();
    expect(feed.active()).toBe(0);
    expect(scheduler.actions).toHaveLength(0);
    expect(pipeline.running).toBe(false);
  });

  it('refuses ticks of new symbols past maxSymbols while known symbols keep trading, within a batch too', async () => {
    const ticks: Tick[] = ['A', 'B', 'C', 'A', 'B', 'D'].map((symbol, i) => ({ symbol, price: 10 + i, size: 1, ts: i }));
    const scheduler = new VirtualTimeScheduler();
    const pipeline = new MarketPipeline({ tickLimits: { minTs: 0 }, maxSymbols: 2, feed: feedOf(() => from([ticks.slice(0, 4), ticks.slice(4)])), publisher: new RecordingPublisher(scheduler), scheduler });
    expect(pipeline.room()).toBe(2);
    pipeline.start();
    await pipeline.stop();
    expect(pipeline.state.symbols()).toEqual(['A', 'B']);
    expect(pipeline.state.snapshot('B')).toMatchObject({ trades: 2, last: 14 });
    expect(pipeline.ticksRejected.SYMBOL_LIMIT).toBe(2);
    expect(pipeline.knows('A')).toBe(true);
    expect(pipeline.knows('E')).toBe(false);
    expect(pipeline.room()).toBe(0);
    expect(() => new MarketPipeline({ maxSymbols: 0, feed: feedOf(() => from([])), publisher: new RecordingPublisher(scheduler) })).toThrow(/maxSymbols/);
  });

  it('drops unusable ticks instead of poisoning the state, counting them by reason', async () => {
    const ticks: Tick[] = [
      { symbol: 'A', price: 10, size: 1, ts: 1 },
      { symbol: 'A', price: Number.NaN, size: 1, ts: 2 },
      { symbol: 'A', price: 11, size: Number.POSITIVE_INFINITY, ts: 3 },
      { symbol: 'bad sym', price: 11, size: 1, ts: 3 },
      { symbol: 'A', price: 11, size: 1, ts: 10_000_000 },
      null as unknown as Tick,
      { symbol: 'A', price: 12, size: 2, ts: 4 },
    ];
    const scheduler = new VirtualTimeScheduler();
    const publisher = new RecordingPublisher(scheduler);
    const pipeline = new MarketPipeline({ tickLimits: { minTs: 0, maxFutureMs: 1_000 }, feed: feedOf(() => from([ticks])), publisher, scheduler });
    pipeline.start();
    await pipeline.stop();
    expect(pipeline.ticksIn).toBe(7);
    expect(pipeline.ticksDropped).toBe(5);
    expect(pipeline.ticksRejected).toEqual({ BAD_SHAPE: 1, BAD_SYMBOL: 1, BAD_PRICE: 1, BAD_SIZE: 1, BAD_TS: 1, SYMBOL_LIMIT: 0 });
    expect(publisher.on('market:bad')).toHaveLength(0);
    expect(publisher.on('ticks:').map((c) => [c.channel, wire(c.data)])).toEqual([['ticks:A', { price: [10, 12], size: [1, 2], ts: [1, 4] }]]);
    expect(pipeline.state.snapshot('A')).toMatchObject({ last: 12, high: 12, low: 10, volume: 3, trades: 2 });
    // A synchronous feed that completes still ends with the latest snapshot.
    expect(publisher.on('market:A').at(-1)?.data).toMatchObject({ last: 12 });
  });

  it('feeds a synchronous source to the bars too, and rejects bad bar options at construction', async () => {
    const ticks: Tick[] = [
      { symbol: 'A', price: 10, size: 1, ts: 100 },
      { symbol: 'A', price: 12, size: 3, ts: 1_500 },
    ];
    const scheduler = new VirtualTimeScheduler();
    const publisher = new RecordingPublisher(scheduler);
    const bars = { intervals: [barInterval('1s')], latenessMs: 0, historySize: 10 };
    const pipeline = new MarketPipeline({ tickLimits: { minTs: 0 }, feed: feedOf(() => oneByOne(ticks)), publisher, scheduler, bars });
    pipeline.start();
    await pipeline.stop();
    expect(pipeline.bars.slice('A', '1s', 0, 10).map((b) => [b.start, b.close, b.volume])).toEqual([[0, 10, 1], [1_000, 12, 3]]);
    expect(publisher.on('bars:1s:A').filter((c) => (c.data as Bar).final)).toHaveLength(2);
    expect(() => new MarketPipeline({ feed: feedOf(() => oneByOne(ticks)), publisher, bars: { ...bars, latenessMs: -1 } })).toThrow(/latenessMs/);
  });

  it('logs a feed error and stops', async () => {
    const logger = new RecordingLogger();
    const pipeline = new MarketPipeline({
      feed: feedOf(() => throwError(() => new Error('feed gone'))),
      publisher: new RecordingPublisher(new VirtualTimeScheduler()),
      logger,
    });
    pipeline.start();
    expect(pipeline.running).toBe(false);
    expect(logger.errors).toHaveLength(1);
    await pipeline.stop();
  });

  it('rejects a conflation window that is not positive', () => {
    const publisher = new RecordingPublisher(new VirtualTimeScheduler());
    expect(() => new MarketPipeline({ tickLimits: { minTs: 0 }, feed: feedOf(() => from([])), publisher, conflateMs: 0 })).toThrow(/conflateMs/);
  });
});
