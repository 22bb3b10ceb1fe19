import { describe, expect, it } from 'vitest';
import { Observable, of } from 'rxjs';
import { TickIngest } from './tick-ingest.js';
import { MergedFeed } from '../feeds/merged.js';
import { MarketPipeline } from '../market/market-pipeline.js';
import { IngestBusyError, IngestUnavailableError, InvalidOptionError } from '../errors.js';
import type { ChannelPublisher, Feed } from '../ports.js';

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

  it('refuses a nonsense maxPending at construction', () => {
    expect(() => new TickIngest({ maxPending: 0, pending: () => 0 })).toThrow(InvalidOptionError);
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
