import { describe, expect, it } from 'vitest';
import { describeMetrics } from '../../src/web/app/metrics-view.js';
import { readSentiment } from '../../src/web/app/sentiment-view.js';
import { SparklineSeries } from '../../src/web/app/sparkline.js';
import { negotiateEncoding } from '../../src/http/accept-encoding.js';
import { contentTypeOf } from '../../src/http/content-types.js';

describe('engine panel mapping', () => {
  it('finds the known metrics wherever the snapshot keeps them, then shows other numbers', () => {
    const rows = describeMetrics({ ts: 1, connections: 1234, rates: { messagesPerSecond: 5120.4 }, latency: { p50: 0.42, p99: 12.3 }, eventLoop: { lagMs: 1.5 }, cache: { hitRate: 0.875 }, tasks: { queued: 3 }, name: 'x' });
    expect(rows).toEqual([
      { key: 'connections', label: 'Connections', value: '1,234' },
      { key: 'rates.messagesPerSecond', label: 'Messages/s', value: '5,120/s' },
      { key: 'latency.p50', label: 'Latency p50', value: '0.42 ms' },
      { key: 'latency.p99', label: 'Latency p99', value: '12 ms' },
      { key: 'eventLoop.lagMs', label: 'Event-loop lag', value: '1.50 ms' },
      { key: 'cache.hitRate', label: 'Cache hit rate', value: '87.5%' },
      { key: 'tasks.queued', label: 'tasks.queued', value: '3' },
    ]);
  });

  it('renders nothing for a non-object and skips non-finite values', () => {
    expect(describeMetrics(null)).toEqual([]);
    expect(describeMetrics('hello')).toEqual([]);
    expect(describeMetrics({ connections: Number.NaN, clients: 'many' })).toEqual([]);
  });
});

describe('sentiment reading', () => {
  it('reads a scored headline under either name, labelling an unlabelled score', () => {
    expect(readSentiment({ headline: 'Beats estimates', score: 0.8 }).headline).toMatchObject({ text: 'Beats estimates', label: 'positive', score: 0.8 });
    expect(readSentiment({ text: 'Recall', label: 'negative' }).headline).toMatchObject({ text: 'Recall', label: 'negative', score: undefined });
  });

  it('reads the rolling sentiment as a number or an object', () => {
    expect(readSentiment({ rolling: -0.3 }).rolling).toBe(-0.3);
    expect(readSentiment({ ema: { score: 0.1 } }).rolling).toBe(0.1);
    expect(readSentiment({ rolling: 'up' })).toEqual({ headline: undefined, rolling: undefined });
    expect(readSentiment(42)).toEqual({ headline: undefined, rolling: undefined });
  });
});

describe('sparkline series', () => {
  it('keeps one point per second, bounded, newest at the right edge', () => {
    const s = new SparklineSeries(3);
    s.push(1000, 1);
    s.push(1500, 2);
    s.push(2000, 3);
    s.push(3000, 4);
    s.push(4000, 5);
    expect(s.values()).toEqual([3, 4, 5]);
    expect(s.polyline(100, 10)).toBe('0.0,9.0 50.0,5.0 100.0,1.0');
  });
});

describe('content negotiation', () => {
  it('prefers brotli, then gzip, honours q=0, and defaults to identity', () => {
    const all = ['identity', 'br', 'gzip'] as const;
    expect(negotiateEncoding('gzip, deflate, br', all)).toBe('br');
    expect(negotiateEncoding('gzip, br;q=0', all)).toBe('gzip');
    expect(negotiateEncoding('*', all)).toBe('br');
    expect(negotiateEncoding('br', ['identity', 'gzip'])).toBe('identity');
    expect(negotiateEncoding(undefined, all)).toBe('identity');
    expect(negotiateEncoding('', all)).toBe('identity');
  });

  it('maps extensions to content types', () => {
    expect(contentTypeOf('index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeOf('assets/app-X.JS')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeOf('blob')).toBe('application/octet-stream');
  });
});
