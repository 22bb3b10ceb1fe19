import { describe, expect, it } from 'vitest';
import { describeMetrics } from '../../src/web/app/metrics-view.js';
import { badgeText, readSentiment, rollingText, type RollingSentiment, type ScoredHeadline } from '../../src/web/app/sentiment-view.js';
import { SparklineSeries } from '../../src/web/app/sparkline.js';
import { negotiateEncoding } from '../../src/http/accept-encoding.js';
import { contentTypeOf } from '../../src/http/content-types.js';

describe('engine panel mapping', () => {
  it('shows the engine snapshot\'s figures, then the parts\' extra figures, and nothing else', () => {
    const rows = describeMetrics({
      seq: 7, ts: 1, intervalMs: 1000, uptimeSec: 12, connections: 1234, publicationsPerSec: 80.25, deliveriesPerSec: 5120.4,
      commands: { count: 10, p50Ms: 0.42, p99Ms: 12.3 }, eventLoopLagMs: { p50: 0.5, p99: 1.5, max: 3 },
      memory: { rssBytes: 104857600, heapUsedBytes: 5 }, namespaces: { ticks: { channels: 2, subscribers: 3 } },
      extra: { cache: { hitRate: 0.875 }, tasks: { queued: 3 }, sse: { clients: 1 } },
    });
    expect(rows).toEqual([
      { key: 'connections', label: 'Connections', value: '1,234' },
      { key: 'deliveriesPerSec', label: 'Messages/s', value: '5,120/s' },
      { key: 'publicationsPerSec', label: 'Publications/s', value: '80.3/s' },
      { key: 'commands.p50Ms', label: 'Latency p50', value: '0.42 ms' },
      { key: 'commands.p99Ms', label: 'Latency p99', value: '12 ms' },
      { key: 'eventLoopLagMs.p99', label: 'Event-loop lag p99', value: '1.50 ms' },
      { key: 'extra.cache.hitRate', label: 'Cache hit rate', value: '87.5%' },
      { key: 'memory.rssBytes', label: 'RSS', value: '100 MiB' },
      { key: 'extra.tasks.queued', label: 'tasks.queued', value: '3' },
    ]);
  });

  it('shows a dash for command latency when no command was answered in the interval', () => {
    const rows = describeMetrics({ commands: { count: 0, p50Ms: 0, p99Ms: 0 } });
    expect(rows.map((r) => r.value)).toEqual(['—', '—']);
  });

  it('still reads an older snapshot shape', () => {
    expect(describeMetrics({ clients: 3, latency: { p99: 2 } }).map((r) => r.label)).toEqual(['Connections', 'Latency p99']);
  });

  it('renders nothing for a non-object and skips non-finite values', () => {
    expect(describeMetrics(null)).toEqual([]);
    expect(describeMetrics('hello')).toEqual([]);
    expect(describeMetrics({ connections: Number.NaN, clients: 'many' })).toEqual([]);
  });
});

describe('sentiment reading', () => {
  const score = { type: 'score', symbol: 'AAPL', id: 'n1', headline: 'Beats estimates', source: 'wire', ts: 5, label: 'bullish', scores: { bearish: 0.05, bullish: 0.9, neutral: 0.05 }, sentiment: 0.85, model: 'm' };
  const aggregate = { type: 'aggregate', symbol: 'AAPL', ema: -0.3, label: 'bearish', items: 12, ts: 5, hour: { hour: 0, items: 12, labels: { bearish: 7, bullish: 2, neutral: 3 }, mean: { bearish: 0.5, bullish: 0.2, neutral: 0.3 }, sentiment: -0.3 } };

  it('reads a score message as a headline with its label and that label\'s probability', () => {
    const { headline, rolling } = readSentiment(score);
    expect(headline).toEqual({ id: 'n1', text: 'Beats estimates', label: 'bullish', probability: 0.9, sentiment: 0.85, ts: 5 });
    expect(rolling).toBeUndefined();
    expect(badgeText(headline as ScoredHeadline)).toBe('bullish 90%');
  });

  it('reads an aggregate message as the rolling EMA and the newest hour\'s counts', () => {
    const { headline, rolling } = readSentiment(aggregate);
    expect(headline).toBeUndefined();
    expect(rolling).toEqual({ ema: -0.3, label: 'bearish', hourItems: 12, hourLabels: { bearish: 7, bullish: 2, neutral: 3 } });
    expect(rollingText(rolling as RollingSentiment)).toBe('\u22120.30 bearish · 12 this hour (2▲ 7▼ 3•)');
  });

  it('reads nothing from other shapes or broken messages', () => {
    expect(readSentiment({ ...score, label: 'positive' })).toEqual({ headline: undefined, rolling: undefined });
    expect(readSentiment({ ...score, scores: null })).toEqual({ headline: undefined, rolling: undefined });
    expect(readSentiment({ ...aggregate, ema: 'up' })).toEqual({ headline: undefined, rolling: undefined });
    expect(readSentiment({ headline: 'no type', score: 0.8 })).toEqual({ headline: undefined, rolling: undefined });
    expect(readSentiment(42)).toEqual({ headline: undefined, rolling: undefined });
    expect(readSentiment(null)).toEqual({ headline: undefined, rolling: undefined });
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

  it('ignores a price older than its newest point', () => {
    const s = new SparklineSeries(5);
    s.push(5000, 1);
    s.push(3000, 9);
    s.push(5900, 2);
    expect(s.values()).toEqual([2]);
  });

  it('fills history in before the live points, one point per bucket, still bounded', () => {
    const s = new SparklineSeries(4, 60_000);
    s.push(180_500, 30);
    s.push(190_000, 31);
    // Bar closes by start: the bucket of the live price (180,000) is not duplicated.
    s.seed([0, 60_000, 120_000, 180_000].map((ts, i) => ({ ts, price: i })));
    expect(s.values()).toEqual([0, 1, 2, 31]);
    s.push(240_000, 40);
    expect(s.values()).toEqual([1, 2, 31, 40]);
  });

  it('seeds an empty series and skips unusable history points', () => {
    const s = new SparklineSeries(10);
    s.seed([{ ts: 2000, price: 2 }, { ts: 1000, price: 1 }, { ts: 3000, price: Number.NaN }, { ts: 4000, price: 4 }]);
    expect(s.values()).toEqual([2, 4]);
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
