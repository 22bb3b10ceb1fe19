import { describe, expect, it } from 'vitest';
import type { HttpLoadResult } from './load-result.js';
import { medianRound } from './median-round.js';

const round = (requestsPerS: number, p99Ms: number, errors = 0): HttpLoadResult => ({ tool: 'wrk', connections: 100, durationS: 10, requestsPerS, p50Ms: p99Ms / 4, p99Ms, errors });

describe('medianRound', () => {
  it('takes the median of each figure, so one noisy round moves nothing', () => {
    const m = medianRound([round(50_000, 3), round(20_000, 40), round(52_000, 4)]);
    expect(m.requestsPerS).toBe(50_000);
    expect(m.p99Ms).toBe(4);
    expect(m.p50Ms).toBe(1);
  });

  it('averages the middle two of an even count and sums the errors', () => {
    const m = medianRound([round(10, 1, 1), round(30, 3, 2)]);
    expect(m.requestsPerS).toBe(20);
    expect(m.p99Ms).toBe(2);
    expect(m.errors).toBe(3);
  });
});
