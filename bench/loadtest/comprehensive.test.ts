import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../../test/support/engine.js';
import { leakVerdict } from './analysis/leak-verdict.js';
import { runComprehensive } from './comprehensive.js';
import type { ComprehensiveOptions } from './options.js';
import { silentProgress } from './progress.js';
import { newResult } from './result.js';
import { targetFromUrl } from './target.js';

let engine: TestEngine;

beforeAll(async () => {
  engine = await startEngine({ feed: 'simulated' });
  await new Promise((r) => setTimeout(r, 300));
});

afterAll(async () => {
  await engine.stop();
});

describe('loadtest comprehensive, every phase in miniature, against an in-process engine', () => {
  it('fills load, stress, endurance and memory-leak results', async () => {
    const o: ComprehensiveOptions = {
      url: engine.url, client: 'raw', apiKey: undefined, usersPerChannel: 4, rpcRatio: 0.2, requestTimeoutMs: 5000, out: undefined, pin: false,
      phases: ['load', 'stress', 'endurance', 'leak'], scale: 1, users: 4, ratePerUser: 4,
      loadMs: 1000, stressStepMs: 1000, stressSteps: 2, stressMaxUsers: 100, enduranceMs: 1500, leakMs: 2000,
    };
    const result = newResult('comprehensive', o, { wsUrl: engine.url, startedBySuite: false, apiKey: undefined }, 'not pinned');
    await runComprehensive(o, { target: targetFromUrl(engine.url, undefined), signal: new AbortController().signal, progress: silentProgress, log: () => {} }, result);

    expect(result.load?.summary.usersConnected).toBe(4);
    expect(result.load?.summary.requests).toBeGreaterThan(0);
    // Two light levels (2 users x 4/s, then 4 x 6/s); a level only breaks on the stated limits.
    expect(result.stress?.ladder).toEqual([{ users: 2, ratePerUser: 4 }, { users: 4, ratePerUser: 6 }]);
    expect(result.stress?.steps[0]).toMatchObject({ users: 2, ratePerUser: 4 });
    expect(result.stress?.runs).toHaveLength(result.stress?.steps.length ?? -1);
    for (const step of result.stress?.steps ?? []) expect(step.broke === undefined || /p99 .* > 1000 ms|error rate/.test(step.broke)).toBe(true);
    if (result.stress?.breakingPoint === undefined) expect(result.stress?.summary).toMatch(/no breaking point within the ladder/);
    expect(result.endurance?.stability.errors).toBe(0);
    expect(result.memoryLeak?.samples.length).toBeGreaterThanOrEqual(4);
    expect(result.memoryLeak?.samples.every((s) => s.heapMiB !== undefined && s.heapMiB > 0)).toBe(true);
    // Two seconds say little about a leak; what matters here is that the verdict is the samples'.
    expect(result.memoryLeak?.verdict).toEqual(leakVerdict(result.memoryLeak?.samples ?? []));
  });
});
