import { describe, expect, it } from 'vitest';
import { Histogram, Registry } from 'prom-client';
import { histogramQuantile, histogramSeries } from './histogram-quantile.js';

const inf = Number.POSITIVE_INFINITY;

describe('histogramQuantile', () => {
  it('interpolates inside the bucket holding the rank, like histogram_quantile', () => {
    // 10 observations <= 1, 30 in (1, 2], 60 in (2, 4].
    const buckets = [{ le: 1, count: 10 }, { le: 2, count: 40 }, { le: 4, count: 100 }, { le: inf, count: 100 }];
    expect(histogramQuantile(0.05, buckets)).toBeCloseTo(0.5); // first bucket starts at 0
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(1.5);
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(3);
    expect(histogramQuantile(1, buckets)).toBeCloseTo(4);
  });

  it('answers the highest finite bound for a rank in +Inf, and undefined without observations', () => {
    expect(histogramQuantile(0.99, [{ le: 1, count: 1 }, { le: inf, count: 10 }])).toBe(1);
    expect(histogramQuantile(0.5, [{ le: 1, count: 0 }, { le: inf, count: 0 }])).toBeUndefined();
  });

  it('groups a prom-client histogram by the chosen labels, summing the others', async () => {
    const registry = new Registry();
    const h = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['route', 'status'], buckets: [0.1, 1], registers: [registry] });
    h.observe({ route: '/a', status: '200' }, 0.05);
    h.observe({ route: '/a', status: '404' }, 0.5);
    h.observe({ route: '/b', status: '200' }, 5);
    const series = histogramSeries(await h.get(), ['route'] as const);
    const a = series.find((s) => s.labels.route === '/a');
    expect(a).toMatchObject({ count: 2, buckets: [{ le: 0.1, count: 1 }, { le: 1, count: 2 }, { le: inf, count: 2 }] });
    expect(a?.sum).toBeCloseTo(0.55);
    expect(histogramQuantile(0.5, a?.buckets ?? [])).toBeCloseTo(0.1);
    expect(series.find((s) => s.labels.route === '/b')?.count).toBe(1);
  });
});
