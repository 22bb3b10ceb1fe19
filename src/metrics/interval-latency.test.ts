import { describe, expect, it } from 'vitest';
import { IntervalLatency } from './interval-latency.js';

describe('IntervalLatency', () => {
  it('summarises the interval and starts the next one empty', () => {
    const w = new IntervalLatency();
    for (let i = 1; i <= 100; i++) w.record(i / 1000); // 1..100 ms
    const s = w.take();
    expect(s.count).toBe(100);
    expect(s.p50Ms).toBeGreaterThan(49);
    expect(s.p50Ms).toBeLessThan(51);
    expect(s.p99Ms).toBeGreaterThan(98);
    expect(s.p99Ms).toBeLessThan(100.5);
    expect(w.take()).toEqual({ count: 0, p50Ms: 0, p99Ms: 0 });
  });

  it('counts sub-microsecond latencies as 1 µs', () => {
    const w = new IntervalLatency();
    w.record(0);
    w.record(1e-9);
    expect(w.take()).toEqual({ count: 2, p50Ms: 0.001, p99Ms: 0.001 });
  });
});
