import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InProcessScorer } from '../../src/ml/in-process-scorer.js';
import type { SentimentResult } from '../../src/ml/labels.js';
import { MODEL_DIR, removeDir, scaledModelCopy, testReplicas, threadOf } from './test-support.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const fleet = testReplicas('ml-supervision', { batchWaitMs: 0, cache: { maxItems: 10_000, maxBytes: 8 << 20, ttlMs: 60_000 }, faults: true });
const replicas = fleet.start;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


afterEach(() => fleet.stopAll());

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const texts = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag} ${i}: shares of $NVDA ${i % 2 ? 'jump' : 'slide'} after the report`);

let reference: InProcessScorer | undefined;
afterAll(async () => {
  await reference?.stop();
});
async function expected(t: string[]): Promise<SentimentResult[]> {
  reference ??= new InProcessScorer({ modelDir: MODEL_DIR, backend: 'auto' });
  if (reference.report().version === null) await reference.start();
  return reference.score(t);
}

describe('ModelReplicas supervision (real worker threads, real faults)', () => {
  it('a worker thread killed with a batch in flight is replaced, and the batch is retried and answered', async () => {
    const m = await replicas();
    const before = threadOf(m, 0).threadId;
    const batch = texts('killed', 64);
    const scoring = m.score(batch);
    // Both replicas hold a batch of 32 now; the thread of replica 0 is ended under it.
    await threadOf(m, 0).terminate();
    expect(await scoring).toEqual(await expected(batch));
    const r = m.report();
    expect(r.restarts.exit).toBe(1);
    expect(r.retries).toBeGreaterThanOrEqual(1);
    await until(() => m.report().ready === 2, 'the replacement to be ready');
    expect(threadOf(m, 0).threadId).not.toBe(before);
    // The replacement scores.
    const again = texts('after the kill', 40);
    expect(await m.score(again)).toEqual(await expected(again));
  });

  it('a worker that exits while idle is replaced before it is needed', async () => {
    const m = await replicas({ replicas: 1 });
    await threadOf(m, 0).terminate();
    await until(() => m.report().restarts.exit === 1 && m.report().ready === 1, 'the idle replica to be replaced');
    expect(m.report().retries).toBe(0);
    const t = texts('idle kill', 5);
    expect(await m.score(t)).toEqual(await expected(t));
  });

  it('a hung worker is ended after SUPERNOVA_ML_TIMEOUT_MS and its batch answered by another replica', async () => {
    const m = await replicas({ timeoutMs: 800 });
    m.testing.block(0, 20_000);
    await sleep(50);
    const t0 = performance.now();
    // Two calls so both replicas get one; replica 0's thread spins and never answers.
    const [a, b] = await Promise.all([m.score(texts('hung a', 32)), m.score(texts('hung b', 32))]);
    const took = performance.now() - t0;
    expect([...a, ...b]).toEqual(await expected([...texts('hung a', 32), ...texts('hung b', 32)]));
    expect(took).toBeGreaterThanOrEqual(700);
    expect(took).toBeLessThan(5_000);
    expect(m.report().restarts).toMatchObject({ timeout: 1, exit: 0 });
    expect(m.report().retries).toBe(32);
  });

  it('a batch that fails on the retry too is failed with REPLICA_FAILED, not lost', async () => {
    const m = await replicas({ replicas: 1, timeoutMs: 500 });
    m.testing.block(0, 20_000);
    await sleep(50);
    const scoring = m.score(texts('twice', 3)).then(() => 'scored', (err: unknown) => err);
    await until(() => m.report().restarts.timeout === 1, 'the first timeout');
    // The replacement hangs too, before the retry reaches it.
    m.testing.block(0, 20_000);
    const outcome = await scoring;
    expect(outcome).toMatchObject({ name: 'MlError', code: 'REPLICA_FAILED', message: expect.stringContaining('retry') });
    expect(m.report().restarts.timeout).toBe(2);
    expect(m.report().refused.replica_failed).toBe(3);
    // And the replica recovers for the next request.
    await until(() => m.report().ready === 1, 'the second replacement');
    const t = texts('recovered', 2);
    expect(await m.score(t)).toEqual(await expected(t));
  }, 60_000);

  it('a replacement that cannot load the model is retried with a growing delay; texts meanwhile fail with TIMEOUT, not hang', async () => {
    const dir = scaledModelCopy(1);
    try {
      const m = await replicas({ replicas: 1, modelDir: dir, startTimeoutMs: 5_000 });
      rmSync(join(dir, 'weights.bin'));
      await threadOf(m, 0).terminate();
      await until(() => m.report().restarts.start >= 1, 'a failed start', 10_000);
      expect(m.report().ready).toBe(0);
      const t0 = performance.now();
      await expect(m.score(['nobody can score this'])).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(4_900);
      // The replica keeps trying, each time after a longer wait.
      await until(() => m.report().restarts.start >= 2, 'a second failed start', 10_000);
      // The files are back: the next attempt starts.
      scaledModelCopy(1, dir);
      await until(() => m.report().ready === 1, 'a replica that loads again', 20_000);
      const t = texts('back', 3);
      expect(await m.score(t)).toEqual(await expected(t));
      expect(m.report().restarts.exit).toBe(1);
    } finally {
      removeDir(dir);
    }
  }, 40_000);
});
