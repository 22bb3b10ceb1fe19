import { median } from '../shared/median.js';
import type { HttpLoadResult } from './load-result.js';

/** The round with the median req/s, carrying the median p50 and p99 of all rounds. */
export function medianRound(rounds: readonly HttpLoadResult[]): HttpLoadResult {
  const byRate = [...rounds].sort((a, b) => a.requestsPerS - b.requestsPerS);
  const middle = byRate[(byRate.length - 1) >> 1] as HttpLoadResult;
  return {
    ...middle,
    requestsPerS: median(rounds.map((r) => r.requestsPerS)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
  };
}
