import { afterEach, describe, expect, it } from 'vitest';
import { testReplicas } from './test-support.js';

const fleet = testReplicas('ml-tensors', { batchMax: 64, cache: { maxItems: 20_000, maxBytes: 16 << 20, ttlMs: 60_000 } });
const replicas = fleet.start;


afterEach(() => fleet.stopAll());

describe('ModelReplicas tensors', () => {
  it('holds as many tensors after 10,000 inferences as before them', async () => {
    const m = await replicas();
    await m.score(['warm up replica zero', 'and the other']);
    await Promise.all([m.score(['warm a']), m.score(['warm b'])]);
    const baseline = m.report().tensors;
    expect(baseline.every((n) => n > 0)).toBe(true);
    // Distinct texts, so every one is scored by a worker (none answered by the cache).
    for (let call = 0; call < 20; call++) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => m.score(Array.from({ length: 50 }, (_, k) => `tensor check ${call}-${j}-${k}: $AMZN ${k % 3 ? 'rallies' : 'drops'}`))));
    }
    const r = m.report();
    expect(r.cache.l1.hits).toBe(0);
    expect(r.batches * (r.meanBatchSize ?? 0)).toBeGreaterThanOrEqual(10_000);
    expect(r.tensors).toEqual(baseline);
  }, 60_000);
});
