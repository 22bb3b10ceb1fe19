import { describe, expect, it } from 'vitest';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { MetricsPipeline } from './metrics-pipeline.js';
import type { MetricsReading, MetricsSource } from './ports.js';
import type { ChannelPublisher, StreamLogger } from '../ports.js';

/** A source whose publication counter grows by `perRead` at each read; it may throw on chosen reads. */
class FakeSource implements MetricsSource {
  reads = 0;
  constructor(private readonly perRead: number, private readonly throwOn: ReadonlySet<number> = new Set()) {}
  read(): MetricsReading {
    const n = this.reads++;
    if (this.throwOn.has(n)) throw new Error('source hiccup');
    return {
      uptimeSec: n,
      connections: 2,
      publicationsTotal: n * this.perRead,
      deliveriesTotal: n * this.perRead * 3,
      commands: { count: n, p50Ms: 1, p99Ms: 2 },
      eventLoopLagMs: { p50: 1, p99: 2, max: 3 },
      memory: { rssBytes: 100 },
      namespaces: {},
      pipelines: { market: { ticksIn: n, ticksDropped: 0, published: n, publishErrors: 0 } },
      extra: {},
    };
  }
}

class RecordingPublisher implements ChannelPublisher {
  readonly calls: { channel: string; data: unknown }[] = [];
  constructor(private readonly fail = false) {}
  publish(channel: string, data: unknown): Promise<unknown> {
    this.calls.push({ channel, data });
    return this.fail ? Promise.reject(new Error('broker down')) : Promise.resolve();
  }
}

const quiet: StreamLogger = { warn: () => {}, error: () => {} };

describe('MetricsPipeline', () => {
  it('emits a snapshot every interval with rates from the counter deltas (marbles)', () => {
    const publisher = new RecordingPublisher();
    testRun(({ expectObservable, cold }) => {
      const pipeline = new MetricsPipeline({ source: new FakeSource(50), publisher, intervalMs: 100 });
      // Listen from the start, stop after 350 ms: three snapshots at 100, 200 and 300.
      expectObservable(pipeline.snapshots.pipe(map((s) => [s.seq, s.ts, s.publicationsPerSec, s.deliveriesPerSec, s.uptimeSec]))).toBe(
        '100ms a 99ms b 99ms c 49ms |',
        { a: [1, 100, 500, 1500, 1], b: [2, 200, 500, 1500, 2], c: [3, 300, 500, 1500, 3] },
      );
      pipeline.start();
      cold('350ms x').subscribe(() => pipeline.stop());
    });
    expect(publisher.calls.map((c) => c.channel)).toEqual(['metrics', 'metrics', 'metrics']);
    expect((publisher.calls[2]?.data as { seq: number }).seq).toBe(3);
  });

  it('skips an interval whose reading throws and spans the next rate over both', () => {
    const publisher = new RecordingPublisher();
    testRun(({ expectObservable, cold }) => {
      // Reads: 0 at t=0 (baseline), 1 at 100 throws, 2 at 200, 3 at 300.
      const pipeline = new MetricsPipeline({ source: new FakeSource(10, new Set([1])), publisher, intervalMs: 100, logger: quiet });
      expectObservable(pipeline.snapshots.pipe(map((s) => [s.seq, s.intervalMs, s.publicationsPerSec]))).toBe('200ms a 99ms b 9ms |', {
        a: [1, 200, 100],
        b: [2, 100, 100],
      });
      pipeline.start();
      cold('310ms x').subscribe(() => pipeline.stop());
    });
  });

  it('keeps the latest snapshot and keeps going when publishing fails', async () => {
    const publisher = new RecordingPublisher(true);
    const warnings: object[] = [];
    let pipeline: MetricsPipeline | undefined;
    testRun(({ cold }) => {
      pipeline = new MetricsPipeline({ source: new FakeSource(1), publisher, intervalMs: 10, logger: { warn: (o) => warnings.push(o), error: () => {} } });
      pipeline.start();
      pipeline.start(); // no second interval
      cold('55ms x').subscribe(() => pipeline?.stop());
    });
    await new Promise((r) => setImmediate(r));
    expect(publisher.calls).toHaveLength(5);
    expect(pipeline?.latest?.seq).toBe(5);
    expect(pipeline?.publishErrors).toBe(5);
    expect(warnings).toHaveLength(1);
    expect(pipeline?.running).toBe(false);
  });

  it('rejects an interval that is not positive', () => {
    expect(() => new MetricsPipeline({ source: new FakeSource(1), publisher: new RecordingPublisher(), intervalMs: 0 })).toThrow(/intervalMs/);
  });
});

function testRun(body: Parameters<TestScheduler['run']>[0]): void {
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(body);
}
