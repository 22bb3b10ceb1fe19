import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BucketHistogram } from './bucket-histogram.js';

const BOUNDS = [0.001, 0.01, 0.1, 1];

describe('BucketHistogram', () => {
  it('exposes exactly what prom-client\'s Histogram exposes for the same observations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.double({ min: 0, max: 2, noNaN: true })), { maxLength: 200 }), async (observations) => {
        const ours = new Registry();
        const theirs = new Registry();
        const fast = new BucketHistogram('h_seconds', 'help', ['route'], BOUNDS, ours);
        const reference = new Histogram({ name: 'h_seconds', help: 'help', labelNames: ['route'], buckets: BOUNDS, registers: [theirs] });
        for (const [route, v] of observations) {
          fast.for({ route }).observe(v);
          reference.observe({ route }, v);
        }
        const lines = async (r: Registry) => (await r.metrics()).split('\n').sort();
        expect(await lines(ours)).toEqual(await lines(theirs));
      }),
      { numRuns: 50 },
    );
  });

  it('counts by a subset of its labels', () => {
    const h = new BucketHistogram('x', 'help', ['route', 'status'], BOUNDS, new Registry());
    h.for({ route: '/a', status: '200' }).observe(0.5);
    h.for({ route: '/a', status: '500' }).observe(0.5);
    h.for({ route: '/b', status: '200' }).observe(0.5);
    expect(h.countsBy(['route']).sort((x, y) => x.labels.route.localeCompare(y.labels.route))).toEqual([
      { labels: { route: '/a' }, count: 2 },
      { labels: { route: '/b' }, count: 1 },
    ]);
  });

  it('resets in place, so a series looked up before still counts', async () => {
    const registry = new Registry();
    const h = new BucketHistogram('x', 'help', ['route'], BOUNDS, registry);
    const kept = h.for({ route: '/a' });
    kept.observe(0.5);
    registry.resetMetrics();
    kept.observe(0.05);
    expect(h.countsBy(['route'])).toEqual([{ labels: { route: '/a' }, count: 1 }]);
    expect(await registry.metrics()).toContain('x_bucket{le="0.1",route="/a"} 1');
  });

  it('keeps at most maxSeries label sets and sends the rest to an overflow series', async () => {
    const h = new BucketHistogram('x', 'help', ['route'], BOUNDS, new Registry(), 2);
    for (const route of ['/1', '/2', '/3', '/4']) h.for({ route }).observe(0.5);
    const counts = h.countsBy(['route']);
    expect(counts.map((c) => c.labels.route).sort()).toEqual(['/1', '/2', 'overflow']);
    expect(counts.find((c) => c.labels.route === 'overflow')?.count).toBe(2);
  });
});
