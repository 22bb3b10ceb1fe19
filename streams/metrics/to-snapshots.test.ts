import { describe, expect, it } from 'vitest';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { toSnapshots } from './to-snapshots.js';
import type { MetricsReading, TimedReading } from './ports.js';

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

function reading(publicationsTotal: number, deliveriesTotal: number, connections = 1): MetricsReading {
  return {
    uptimeSec: 1,
    connections,
    publicationsTotal,
    deliveriesTotal,
    commands: { count: 0, p50Ms: 0, p99Ms: 0 },
    eventLoopLagMs: { p50: 0, p99: 0, max: 0 },
    memory: { rssBytes: 1 },
    namespaces: {},
    pipelines: {},
    extra: {},
  };
}

describe('toSnapshots', () => {
  it('uses the first reading as the baseline and computes rates over the real elapsed time', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // Readings at 0, 1000 and 1500 ms: 10 publications in 1 s, then 10 more in 0.5 s.
      const readings = cold<TimedReading>('a 999ms b 499ms c |', {
        a: { at: 0, reading: reading(100, 1000) },
        b: { at: 1000, reading: reading(110, 1300) },
        c: { at: 1500, reading: reading(120, 1300, 4) },
      });
      const rates = readings.pipe(
        toSnapshots(),
        map((s) => [s.seq, s.ts, s.intervalMs, s.publicationsPerSec, s.deliveriesPerSec, s.connections]),
      );
      expectObservable(rates).toBe('1000ms x 499ms y |', {
        x: [1, 1000, 1000, 10, 300, 1],
        y: [2, 1500, 500, 20, 0, 4],
      });
    });
  });

  it('passes the reading through and drops the running totals', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const later = { ...reading(5, 5), namespaces: { metrics: { channels: 1, subscribers: 3 } }, extra: { cache: { hits: 2 } } };
      const readings = cold<TimedReading>('a b |', { a: { at: 0, reading: reading(0, 0) }, b: { at: 1, reading: later } });
      expectObservable(readings.pipe(toSnapshots())).toBe('- x |', {
        x: {
          seq: 1, ts: 1, intervalMs: 1, uptimeSec: 1, connections: 1, publicationsPerSec: 5000, deliveriesPerSec: 5000,
          commands: { count: 0, p50Ms: 0, p99Ms: 0 }, eventLoopLagMs: { p50: 0, p99: 0, max: 0 }, memory: { rssBytes: 1 },
          namespaces: { metrics: { channels: 1, subscribers: 3 } }, pipelines: {}, extra: { cache: { hits: 2 } },
        },
      });
    });
  });

  it('counts a counter that went down from zero, and gives 0 over an empty interval', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const readings = cold<TimedReading>('a 9ms b c |', {
        a: { at: 0, reading: reading(50, 0) },
        b: { at: 10, reading: reading(2, 0) }, // source restarted: 2 since then
        c: { at: 10, reading: reading(9, 0) }, // same instant
      });
      expectObservable(readings.pipe(toSnapshots(), map((s) => s.publicationsPerSec))).toBe('10ms x y |', { x: 200, y: 0 });
    });
  });

  it('forwards errors and completes with its source', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<TimedReading>('#').pipe(toSnapshots())).toBe('#');
      expectObservable(cold<TimedReading>('a|', { a: { at: 0, reading: reading(0, 0) } }).pipe(toSnapshots())).toBe('-|');
    });
  });
});
