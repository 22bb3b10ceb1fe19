import { describe, expect, it } from 'vitest';
import { Observable, of } from 'rxjs';
import { TickIngest } from './tick-ingest.js';
import { MergedFeed } from '../feeds/merged.js';
import { MarketPipeline } from '../market/market-pipeline.js';
import { IngestBusyError, IngestUnavailableError, InvalidOptionError } from '../errors.js';
import type { ChannelPublisher, Feed } from '../ports.js';
import type { TickIngestOptions } from './tick-ingest.js';

const now = Date.UTC(2026, 0, 2);

/** A publisher whose publications stay pending until released, like a broker that is behind. */
class HeldPublisher implements ChannelPublisher {
  readonly channels: string[] = [];
  private releases: (() => void)[] = [];
  publish(channel: string): Promise<unknown> {
    this.channels.push(channel);
    return new Promise<void>((resolve) => this.releases.push(resolve));
  }
  releaseAll(): void {
    for (const r of this.releases) r();
    this.releases = [];
  }
}

/** stop() publishes the final snapshots and waits for them: release them as they come. */
async function stopHeld(pipeline: MarketPipeline, publisher: HeldPublisher): Promise<void> {
  const stopped = pipeline.stop();
  publisher.releaseAll();
  await stopped;
}

function rig(maxPending = 1_000) {
  const publisher = new HeldPublisher();
  // pending() is only called once the pipeline exists.
  const ingest: TickIngest = new TickIngest({ maxPending, pending: () => pipeline.pendingPublications, now: () => now });
  const other: Feed = { name: 'sim', batches: () => of([{ symbol: 'MSFT', price: 400, size: 5, ts: now }]) };
  const pipeline = new MarketPipeline({ feed: new MergedFeed([other, ingest]), publisher, conflateMs: 10_000 });
  return { publisher, pipeline, ingest };
}

describe('TickIngest', () => {
  it('hands valid ticks to the running pipeline next to the other feed, and reports refusals by index', async () => {
    const { publisher, pipeline, ingest } = rig();
    pipeline.start();
    const report = ingest.push([
      { symbol: 'AAPL', price: 190, size: 10, ts: now },
      { symbol: 'AAPL', price: -1, size: 10, ts: now },
      'nonsense',
      { symbol: 'AAPL', price: 191, size: 5, ts: now + 1 },
    ]);
    expect(report).toEqual({
      accepted: 2,
      rejected: 2,
      errors: [
        { index: 1, reason: 'BAD_PRICE', message: expect.stringContaining('price') as unknown },
        { index: 2, reason: 'BAD_SHAPE', message: expect.any(String) as unknown },
      ],
    });
    expect(pipeline.state.snapshot('AAPL')).toMatchObject({ last: 191, volume: 15, trades: 2 });
    expect(pipeline.state.snapshot('MSFT')).toMatchObject({ last: 400 });
    // One push is one batch: its two AAPL trades are one ticks: publication.
    expect(publisher.channels.filter((c) => c === 'ticks:AAPL')).toHaveLength(1);
    expect(ingest.accepted).toBe(2);
    expect(ingest.rejected).toMatchObject({ BAD_PRICE: 1, BAD_SHAPE: 1 });
    await stopHeld(pipeline, publisher);
  });

  it('caps the described errors but counts every refusal', async () => {
    const publisher = new HeldPublisher();
    const ingest = new TickIngest({ maxPending: 10, pending: () => 0, maxErrors: 3, now: () => now });
    const pipeline = new MarketPipeline({ feed: ingest, publisher });
    pipeline.start();
    const report = ingest.push(Array.from({ length: 10 }, () => ({ symbol: 'x', price: 1, size: 1, ts: now })));
    expect(report.rejected).toBe(10);
    expect(report.errors.map((e) => e.index)).toEqual([0, 1, 2]);
    expect(ingest.rejected.BAD_SYMBOL).toBe(10);
    await stopHeld(pipeline, publisher);
  });

  it('refuses a push while no pipeline reads it', async () => {
    const { pipeline, ingest, publisher } = rig();
    expect(() => ingest.push([])).toThrow(IngestUnavailableError);
    pipeline.start();
    expect(ingest.push([]).accepted).toBe(0);
    await stopHeld(pipeline, publisher);
    expect(() => ingest.push([{ symbol: 'A', price: 1, size: 1, ts: now }])).toThrow(IngestUnavailableError);
  });

  it('refuses a whole push with IngestBusyError while the pipeline has maxPending publications pending', async () => {
    const { publisher, pipeline, ingest } = rig(3);
    pipeline.start(); // the other feed's tick and its snapshot: 2 pending
    const tick = { symbol: 'AAPL', price: 1, size: 1, ts: now };
    expect(ingest.push([tick]).accepted).toBe(1); // 2 < 3: accepted, now 3 pending
    expect(() => ingest.push([tick, tick])).toThrow(IngestBusyError);
    expect(pipeline.state.snapshot('AAPL')?.trades).toBe(1);
    publisher.releaseAll();
    await new Promise((r) => setImmediate(r));
    expect(pipeline.pendingPublications).toBe(0);
    expect(ingest.push([tick, tick]).accepted).toBe(2);
    await stopHeld(pipeline, publisher);
  });

  it('reports ticks of symbols the pipeline has no room for as SYMBOL_LIMIT', async () => {
    const publisher = new HeldPublisher();
    const ingest: TickIngest = new TickIngest({ maxPending: 100, pending: () => 0, symbols: { knows: (s) => pipeline.knows(s), room: () => pipeline.room() }, now: () => now });
    const pipeline = new MarketPipeline({ feed: ingest, publisher, maxSymbols: 1 });
    pipeline.start();
    const t = (symbol: string) => ({ symbol, price: 1, size: 1, ts: now });
    // Room for one new symbol: AAA takes it, so BBB is refused every time, within this push too.
    const report = ingest.push([t('AAA'), t('BBB'), t('BBB'), t('AAA')]);
    expect(report).toMatchObject({
      accepted: 2,
      rejected: 2,
      errors: [{ index: 1, reason: 'SYMBOL_LIMIT', message: expect.stringContaining('SUPERNOVA_MAX_SYMBOLS') as unknown }, { index: 2, reason: 'SYMBOL_LIMIT' }],
    });
    expect(pipeline.state.symbols()).toEqual(['AAA']);
    await stopHeld(pipeline, publisher);
  });

  it('hands items on without a copy, yet publishes only the trade fields of items that carry more', async () => {
    const published: { channel: string; data: unknown }[] = [];
    const ingest = new TickIngest({ maxPending: 10, pending: () => 0, now: () => now });
    const pipeline = new MarketPipeline({ feed: ingest, publisher: { publish: async (channel, data) => { published.push({ channel, data }); } } });
    const seen: unknown[] = [];
    ingest.batches().subscribe((batch) => seen.push(...batch));
    pipeline.start();
    const items = [
      { symbol: 'AAPL', price: 190, size: 10, ts: now, secret: 'x'.repeat(1_000) },
      { symbol: 'AAPL', price: 191, size: 5, ts: now + 1, condition: 4, nested: { deep: true } },
    ];
    expect(ingest.push(items).accepted).toBe(2);
    expect(seen[0]).toBe(items[0]);
    expect(JSON.parse(JSON.stringify(published.find((p) => p.channel === 'ticks:AAPL')?.data))).toEqual({ price: [190, 191], size: [10, 5], ts: [now, now + 1] });
    await pipeline.stop();
    expect(published.find((p) => p.channel === 'market:AAPL')?.data).toMatchObject({ last: 191, volume: 15, trades: 2 });
  });

  it('refuses a nonsense maxPending or chunking at construction', () => {
    expect(() => new TickIngest({ maxPending: 0, pending: () => 0 })).toThrow(InvalidOptionError);
    expect(() => new TickIngest({ maxPending: 1, pending: () => 0, chunks: { ticks: 0 } })).toThrow(/chunks.ticks/);
    expect(() => new TickIngest({ maxPending: 1, pending: () => 0, chunks: { turnMs: -1 } })).toThrow(/chunks.turnMs/);
  });
});

/** A pipeline whose publisher records every publication synchronously, fed by an ingest of its own. */
function submitRig(chunks: TickIngestOptions['chunks'], maxSymbols = 1_000) {
  const published: { channel: string; data: unknown }[] = [];
  const publisher: ChannelPublisher = { publish: async () => {}, publishSync: (channel, data) => void published.push({ channel, data }) };
  const ingest: TickIngest = new TickIngest({ maxPending: 10, pending: () => 0, symbols: { knows: (s) => pipeline.knows(s), room: () => pipeline.room() }, now: () => now, chunks });
  const batches: number[] = [];
  ingest.batches().subscribe((batch) => batches.push(batch.length));
  const pipeline = new MarketPipeline({ feed: ingest, publisher, maxSymbols, conflateMs: 10_000 });
  pipeline.start();
  const tradesOf = (symbol: string): number[] => published
    .filter((p) => p.channel === `ticks:${symbol}`)
    .flatMap((p) => Array.from((p.data as { price: Float64Array }).price));
  return { ingest, pipeline, batches, tradesOf };
}

const at = (symbol: string, price: number) => ({ symbol, price, size: 1, ts: now });
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TickIngest.submit', () => {
  it('takes a long list in chunks over several turns and answers the whole list exactly once it is in', async () => {
    const { ingest, pipeline, batches, tradesOf } = submitRig({ ticks: 10, turnMs: 0 });
    const items: unknown[] = Array.from({ length: 35 }, (_, i) => at('AAA', 1 + i));
    items[3] = { ...at('AAA', 1), price: -1 };
    items[27] = 'nonsense';
    const answered = ingest.submit(items);
    // The first chunk is taken at once; the loop is free before the next.
    expect(batches).toEqual([9]);
    expect(ingest.queued).toBe(25);
    await nextTurn();
    expect(batches).toEqual([9, 10]);
    expect(await answered).toEqual({
      accepted: 33,
      rejected: 2,
      errors: [{ index: 3, reason: 'BAD_PRICE', message: expect.any(String) as unknown }, { index: 27, reason: 'BAD_SHAPE', message: expect.any(String) as unknown }],
    });
    expect(batches).toEqual([9, 10, 9, 5]);
    expect(ingest.queued).toBe(0);
    expect(tradesOf('AAA')).toEqual(items.flatMap((item, i) => (i === 3 || i === 27 ? [] : [1 + i])));
    expect(pipeline.state.snapshot('AAA')).toMatchObject({ last: 35, trades: 33 });
    await pipeline.stop();
  });

  it('ends a chunk at its share of new symbols, and checks the room for new symbols per chunk', async () => {
    const { ingest, pipeline, batches } = submitRig({ ticks: 1_000, newSymbols: 4, turnMs: 0 }, 10);
    // Known symbols cost no share: AAA and BBB become known in the first chunk.
    const items = ['AAA', 'BBB', 'AAA', 'BBB', 'CCC', 'DDD', 'EEE', 'FFF', 'GGG', 'HHH', 'III', 'JJJ', 'KKK', 'LLL', 'AAA'].map((s, i) => at(s, 1 + i));
    const report = await ingest.submit(items);
    // 4 new (AAA-DDD), 4 new (EEE-HHH), then III and JJJ fill the room of 10 and KKK, LLL are refused.
    expect(batches).toEqual([6, 4, 3]);
    expect(report).toMatchObject({ accepted: 13, rejected: 2, errors: [{ index: 12, reason: 'SYMBOL_LIMIT' }, { index: 13, reason: 'SYMBOL_LIMIT' }] });
    expect(pipeline.state.size).toBe(10);
    await pipeline.stop();
  });

  it('takes submissions one after the other in arrival order, so a symbol\'s ticks keep the order they were sent in', async () => {
    const { ingest, pipeline, tradesOf } = submitRig({ ticks: 4, turnMs: 0 });
    const first = ingest.submit(Array.from({ length: 10 }, (_, i) => at('ORD', 1 + i)));
    const second = ingest.submit(Array.from({ length: 3 }, (_, i) => at('ORD', 100 + i)));
    const order: string[] = [];
    await Promise.all([first.then(() => order.push('first')), second.then(() => order.push('second'))]);
    expect(order).toEqual(['first', 'second']);
    expect(tradesOf('ORD')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, 101, 102]);
    await pipeline.stop();
  });

  it('refuses a submission whole while maxQueuedTicks submitted ticks wait, and takes it once they are in', async () => {
    const { ingest, pipeline } = submitRig({ ticks: 5, turnMs: 0, maxQueuedTicks: 10 });
    const big = ingest.submit(Array.from({ length: 20 }, (_, i) => at('BSY', 1 + i)));
    expect(ingest.queued).toBe(15);
    await expect(ingest.submit([at('BSY', 50)])).rejects.toThrow(IngestBusyError);
    await expect(ingest.submit([at('BSY', 50)])).rejects.toThrow(/15 submitted ticks waiting \(limit 10\)/);
    await nextTurn();
    await nextTurn();
    // 5 left: below the limit, so one more may queue behind them.
    expect(ingest.queued).toBe(5);
    const small = ingest.submit([at('BSY', 60)]);
    expect((await big).accepted).toBe(20);
    expect((await small).accepted).toBe(1);
    expect(pipeline.state.snapshot('BSY')).toMatchObject({ last: 60, trades: 21 });
    await pipeline.stop();
  });

  it('refuses while the pipeline is behind or not running, and gives up what is left when it stops, saying how much went in', async () => {
    const { publisher, pipeline, ingest } = rig(3);
    await expect(ingest.submit([])).rejects.toThrow(IngestUnavailableError);
    pipeline.start(); // the other feed's tick and its snapshot: 2 pending
    const tick = { symbol: 'AAPL', price: 1, size: 1, ts: now };
    expect((await ingest.submit([tick])).accepted).toBe(1);
    await expect(ingest.submit([tick])).rejects.toThrow(IngestBusyError);
    publisher.releaseAll();
    await nextTurn();

    const chunked = new TickIngest({ maxPending: 10, pending: () => 0, now: () => now, chunks: { ticks: 2, turnMs: 0 } });
    const p2 = new MarketPipeline({ feed: chunked, publisher: { publish: async () => {}, publishSync: () => undefined } });
    p2.start();
    const running = chunked.submit(Array.from({ length: 6 }, () => tick));
    const waiting = chunked.submit([tick]);
    await p2.stop();
    await expect(running).rejects.toThrow(/stopped after 2 of the 6 ticks were taken \(2 accepted\)/);
    await expect(waiting).rejects.toThrow(IngestUnavailableError);
    expect(chunked.queued).toBe(0);
    await stopHeld(pipeline, publisher);
  });
});

describe('MergedFeed', () => {
  it('names its parts and unsubscribes from each when unsubscribed', () => {
    let active = 0;
    const counted: Feed = { name: 'a', batches: () => new Observable<never>(() => { active++; return () => { active--; }; }) };
    const merged = new MergedFeed([counted, counted]);
    expect(merged.name).toBe('a+a');
    const sub = merged.batches().subscribe();
    expect(active).toBe(2);
    sub.unsubscribe();
    expect(active).toBe(0);
  });
});
