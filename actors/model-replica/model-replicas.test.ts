import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { ActorRuntime } from '../runtime/index.js';
import { InProcessScorer } from '../../src/ml/in-process-scorer.js';
import { ModelReplicas, type ModelReplicasOptions } from './model-replicas.js';
import { registerModelMetrics } from './model-metrics.js';

export const MODEL_DIR = fileURLToPath(new URL('../../models/sentiment', import.meta.url));
const open: { m: ModelReplicas; rt: ActorRuntime }[] = [];

export function options(rt: ActorRuntime, o: Partial<ModelReplicasOptions> = {}): ModelReplicasOptions {
  return {
    runtime: rt, modelDir: MODEL_DIR, backend: 'auto', replicas: 2, batchMax: 32, batchWaitMs: 2, timeoutMs: 5_000, maxQueued: 10_000,
    cache: { maxItems: 50_000, maxBytes: 16 << 20, ttlMs: 60_000 }, modelsMax: 2, ...o,
  };
}

async function replicas(o: Partial<ModelReplicasOptions> = {}): Promise<ModelReplicas> {
  const rt = new ActorRuntime({ name: 'ml-test' });
  rt.start();
  const m = new ModelReplicas(options(rt, o));
  open.push({ m, rt });
  await m.start();
  return m;
}

afterEach(async () => {
  for (const { m, rt } of open.splice(0)) {
    await m.stop();
    await rt.stop();
  }
});

const HEADLINES = [
  'Apple shares surge after record quarterly profit beats estimates',
  'Tesla recalls 2 million vehicles over autopilot safety concerns, stock falls',
  'Microsoft to hold annual shareholder meeting on Tuesday',
  'Nvidia slumps as export curbs hit China sales',
  'Amazon raises full-year guidance on strong cloud demand',
];

describe('ModelReplicas', () => {
  it('scores in worker threads exactly as the model on the calling thread does, each caller in its order', async () => {
    const m = await replicas();
    const local = new InProcessScorer({ modelDir: MODEL_DIR, backend: 'auto' });
    await local.start();
    const want = await local.score(HEADLINES);
    const { backend, version } = local.report();
    await local.stop();
    // Concurrent callers with overlapping texts in different orders.
    const calls = [HEADLINES, [...HEADLINES].reverse(), [HEADLINES[2] as string, HEADLINES[0] as string]];
    const got = await Promise.all(calls.map((c) => m.score(c)));
    expect(got[0]).toEqual(want);
    expect(got[1]).toEqual([...want].reverse());
    expect(got[2]).toEqual([want[2], want[0]]);
    const r = m.report();
    expect(r).toMatchObject({ backend, replicas: 2, ready: 2, texts: 12, version });
    // Five distinct texts were scored once each; the rest waited on them.
    expect(r.batches).toBeGreaterThanOrEqual(1);
    expect(r.meanBatchSize).toBeGreaterThan(1);
  });

  it('answers a repeated text from L1 without a batch, and counts the hit rate', async () => {
    const m = await replicas();
    const first = await m.score(HEADLINES);
    const batches = m.report().batches;
    expect(await m.score(HEADLINES)).toEqual(first);
    const r = m.report();
    expect(r.batches).toBe(batches);
    expect(r.cache.l1.hits).toBe(HEADLINES.length);
    expect(r.cache.hitRate).toBe(0.5);
  });

  it('micro-batches: 200 texts at once leave as batches of at most batchMax; one text leaves after batchWaitMs', async () => {
    const m = await replicas({ batchMax: 16, batchWaitMs: 50 });
    const texts = Array.from({ length: 200 }, (_, i) => `headline number ${i} about $AAPL earnings`);
    await Promise.all(texts.map((t) => m.score([t])));
    const r = m.report();
    expect(r.batches).toBeGreaterThanOrEqual(13);
    expect(r.meanBatchSize).toBeGreaterThan(8);
    expect(r.meanBatchSize).toBeLessThanOrEqual(16);
    const t0 = performance.now();
    await m.score(['a lone headline about bonds']);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(49);
    expect(took).toBeLessThan(1_000);
  });

  it('rejects bad input and floods with clear errors', async () => {
    const m = await replicas({ maxQueued: 100 });
    await expect(m.score('text' as unknown as string[])).rejects.toMatchObject({ name: 'MlError', code: 'INPUT_INVALID' });
    await expect(m.score(['ok', 42 as unknown as string])).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('texts[1]') });
    await expect(m.score(Array.from({ length: 101 }, (_, i) => `t${i}`))).rejects.toMatchObject({ code: 'OVERLOADED' });
    // A flood of single calls: past 100 waiting, they are refused at once; the others are scored.
    const flood = await Promise.allSettled(Array.from({ length: 400 }, (_, i) => m.score([`flood text ${i}`])));
    const refused = flood.filter((s) => s.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((s) => (s as PromiseRejectedResult).reason.code === 'OVERLOADED')).toBe(true);
    expect(flood.filter((s) => s.status === 'fulfilled').length).toBeGreaterThanOrEqual(100);
    expect(m.report().refused.overloaded).toBeGreaterThan(100);
    // A huge text costs what the tokenizer reads of it: it scores like its first maxChars characters.
    const huge = `${'Apple soars on record earnings. '.repeat(100)}`.repeat(300);
    const [a] = await m.score([huge]);
    const [b] = await m.score([huge.slice(0, 2_000)]);
    expect(a).toEqual(b);
    expect(m.report().cache.l1.hits).toBeGreaterThanOrEqual(1);
  });

  it('keeps the event loop free while inference runs', async () => {
    const m = await replicas();
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    for (let round = 0; round < 20; round++) await Promise.all(Array.from({ length: 32 }, (_, i) => m.score([`loop round ${round} text ${i} $MSFT`])));
    h.disable();
    expect(h.percentile(99) / 1e6).toBeLessThan(20);
  });

  it('stop fails what waits with STOPPED and frees the threads', async () => {
    const m = await replicas({ batchWaitMs: 1_000, batchMax: 64 });
    const pending = m.score(['waits for the batch window']).then(() => 'scored', (err: unknown) => err);
    await m.stop();
    expect(await pending).toMatchObject({ code: 'STOPPED' });
    await expect(m.score(['after'])).rejects.toMatchObject({ code: 'STOPPED' });
    expect(m.testing.thread(0).threadId).toBe(-1);
  });

  it('exposes supernova_ml_* metrics; the worker threads run at SUPERNOVA_ML_WORKER_NICE', async () => {
    const registry = new Registry();
    const m = await replicas({ registry, workerNice: 7 });
    if (process.platform === 'linux') {
      // Field 19 of /proc/PID/task/TID/stat is the thread's nice value; the two workers have 7.
      const nice = readdirSync('/proc/self/task').map((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      });
      expect(nice.filter((n) => n === 7)).toHaveLength(2);
    }
    registerModelMetrics(registry, () => m.stats());
    await m.score(HEADLINES);
    await m.score(HEADLINES);
    const text = await registry.metrics();
    expect(text).toMatch(/supernova_ml_backend\{name="(wasm|cpu|tensorflow)"\} 1/);
    expect(text).toMatch(/supernova_ml_cache_hits_total\{tier="l1"\} 5/);
    expect(text).toMatch(/supernova_ml_texts_total 10/);
    expect(text).toMatch(/supernova_ml_request_duration_seconds_count 2/);
    expect(text).toMatch(/supernova_ml_batch_size_sum 5/);
    expect(text).toMatch(/supernova_ml_tensors\{replica="1"\} \d+/);
    expect(text).toMatch(/supernova_ml_replica_restarts_total\{reason="timeout"\} 0/);
  });
});
