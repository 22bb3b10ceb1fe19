import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { ActorRuntime } from '../runtime/index.js';
import { InProcessScorer } from '../../src/ml/in-process-scorer.js';
import { ModelReplicas } from './model-replicas.js';
import { registerModelMetrics } from './model-metrics.js';
import { MODEL_DIR, testReplicas, threadOf } from './test-support.js';

const fleet = testReplicas('ml-test');
const replicas = fleet.start;


afterEach(() => fleet.stopAll());

const HEADLINES = [
  'Apple shares surge after record quarterly profit beats estimates',
  'Tesla recalls 2 million vehicles over autopilot safety concerns, stock falls',
  'Microsoft to hold annual shareholder meeting on Tuesday',
  'Nvidia slumps as export curbs hit China sales',
  'Amazon raises full-year guidance on strong cloud demand',
];

describe('ModelReplicas', () => {
  // One set of replicas for the tests that need no options of their own (each start costs a second or two).
  const registry = new Registry();
  let m: ModelReplicas;
  let rt: ActorRuntime;
  beforeAll(async () => {
    rt = new ActorRuntime({ name: 'ml-shared' });
    rt.start();
    m = new ModelReplicas({
      runtime: rt, modelDir: MODEL_DIR, backend: 'auto', replicas: 2, batchMax: 32, batchWaitMs: 2, timeoutMs: 5_000, maxQueued: 100,
      cache: { maxItems: 50_000, maxBytes: 16 << 20, ttlMs: 60_000 }, modelsMax: 2, registry, workerNice: 7,
    });
    registerModelMetrics(registry, () => m.stats());
    await m.start();
  });
  afterAll(async () => {
    await m?.stop();
    await rt?.stop();
  });

  it('scores in worker threads exactly as the model on the calling thread does, each caller in its order', async () => {
    const local = new InProcessScorer({ modelDir: MODEL_DIR, backend: 'auto' });
    await local.start();
    const want = await local.score(HEADLINES);
    const { backend, version } = local.report();
    await local.stop();
    const before = m.report();
    // Concurrent callers with overlapping texts in different orders.
    const calls = [HEADLINES, [...HEADLINES].reverse(), [HEADLINES[2] as string, HEADLINES[0] as string]];
    const got = await Promise.all(calls.map((c) => m.score(c)));
    expect(got[0]).toEqual(want);
    expect(got[1]).toEqual([...want].reverse());
    expect(got[2]).toEqual([want[2], want[0]]);
    const r = m.report();
    expect(r).toMatchObject({ backend, version, versions: [version], replicas: 2, ready: 2 });
    expect(r.texts - before.texts).toBe(12);
    // Five distinct texts, each scored once: the others waited on them.
    expect(r.batches - before.batches).toBeGreaterThanOrEqual(1);
    expect(r.meanBatchSize).toBeGreaterThan(1);
  });

  it('answers a repeated text from L1 without a batch, and counts the hit rate', async () => {
    const texts = HEADLINES.map((h) => `${h} (again)`);
    const first = await m.score(texts);
    const before = m.report();
    expect(await m.score(texts)).toEqual(first);
    const r = m.report();
    expect(r.batches).toBe(before.batches);
    expect(r.cache.l1.hits - before.cache.l1.hits).toBe(texts.length);
    expect(r.cache.hitRate).toBeGreaterThan(0);
  });

  it('micro-batches: 100 texts at once leave as batches of at most B; one text leaves after T', async () => {
    m.setBatching(16, 50);
    try {
      const before = m.report();
      const texts = Array.from({ length: 100 }, (_, i) => `headline number ${i} about $AAPL earnings`);
      await Promise.all(texts.map((t) => m.score([t])));
      const r = m.report();
      const batches = r.batches - before.batches;
      expect(batches).toBeGreaterThanOrEqual(7);
      expect(batches).toBeLessThan(20);
      const t0 = performance.now();
      await m.score(['a lone headline about bonds']);
      const took = performance.now() - t0;
      expect(took).toBeGreaterThanOrEqual(49);
      expect(took).toBeLessThan(1_000);
    } finally {
      m.setBatching(32, 2);
    }
  });

  it('rejects bad input and floods with clear errors', async () => {
    await expect(m.score('text' as unknown as string[])).rejects.toMatchObject({ name: 'MlError', code: 'INPUT_INVALID' });
    await expect(m.score(['ok', 42 as unknown as string])).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('texts[1]') });
    await expect(m.score([undefined as unknown as string])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(m.score(Array.from({ length: 101 }, (_, i) => `t${i}`))).rejects.toMatchObject({ code: 'OVERLOADED' });
    const refusedBefore = m.report().refused.overloaded;
    // A flood of single calls: past 100 waiting, they are refused at once; the others are scored.
    const flood = await Promise.allSettled(Array.from({ length: 400 }, (_, i) => m.score([`flood text ${i}`])));
    const refused = flood.filter((s) => s.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((s) => (s as PromiseRejectedResult).reason.code === 'OVERLOADED')).toBe(true);
    expect(flood.filter((s) => s.status === 'fulfilled').length).toBeGreaterThanOrEqual(100);
    expect(m.report().refused.overloaded - refusedBefore).toBe(refused.length);
    // Control characters, lone surrogates, the empty text: scored like any other.
    const odd = await m.score(['\uD800 lone surrogate \uDFFF', 'nul\u0000inside', '', '\u202Ebidi']);
    expect(odd).toHaveLength(4);
    expect(odd.every((r) => ['bearish', 'bullish', 'neutral'].includes(r.label))).toBe(true);
    // A huge text costs what the tokenizer reads of it: it scores like its first 2,000 characters (and is one cache entry).
    const huge = 'Apple soars on record earnings. '.repeat(30_000);
    const [a] = await m.score([huge]);
    const hits = m.report().cache.l1.hits;
    const [b] = await m.score([huge.slice(0, 2_000)]);
    expect(a).toEqual(b);
    expect(m.report().cache.l1.hits).toBe(hits + 1);
  });

  it('keeps the event loop free while inference runs', async () => {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    for (let round = 0; round < 20; round++) await Promise.all(Array.from({ length: 32 }, (_, i) => m.score([`loop round ${round} text ${i} $MSFT`])));
    h.disable();
    expect(h.percentile(99) / 1e6).toBeLessThan(20);
  });

  it('exposes supernova_ml_* metrics; the worker threads run at SUPERNOVA_ML_WORKER_NICE', async () => {
    if (process.platform === 'linux') {
      // Field 19 of /proc/PID/task/TID/stat is the thread's nice value; the two workers have 7.
      const nice = readdirSync('/proc/self/task').map((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      });
      expect(nice.filter((n) => n === 7)).toHaveLength(2);
    }
    const r = m.report();
    const text = await registry.metrics();
    expect(text).toContain(`supernova_ml_backend{name="${r.backend}"} 1`);
    expect(text).toContain(`supernova_ml_cache_hits_total{tier="l1"} ${r.cache.l1.hits}`);
    expect(text).toContain(`supernova_ml_texts_total ${r.texts}`);
    expect(text).toContain(`supernova_ml_batches_total ${r.batches}`);
    expect(text).toMatch(/supernova_ml_request_duration_seconds_count [1-9]\d*/);
    expect(text).toMatch(/supernova_ml_inference_duration_seconds_bucket\{le="0.005"\} \d+/);
    expect(text).toContain(`supernova_ml_refused_total{reason="overloaded"} ${r.refused.overloaded}`);
    expect(text).toMatch(/supernova_ml_batch_size_sum [1-9]\d*/);
    expect(text).toContain(`supernova_ml_tensors{replica="1"} ${r.tensors[1]}`);
    expect(text).toContain('supernova_ml_replica_restarts_total{reason="timeout"} 0');
    expect(text).toContain('supernova_ml_models_loaded 1');
    expect(text).toContain('supernova_ml_queue_depth 0');
  });

  it('refuses fault injection unless enabled', () => {
    expect(() => m.testing.block(0, 10)).toThrow(/faults/);
  });
});

describe('ModelReplicas stop', () => {
  it('fails what waits with STOPPED and frees the threads', async () => {
    const m = await replicas({ replicas: 1, batchWaitMs: 1_000, batchMax: 64 });
    const pending = m.score(['waits for the batch window']).then(() => 'scored', (err: unknown) => err);
    await m.stop();
    expect(await pending).toMatchObject({ code: 'STOPPED' });
    await expect(m.score(['after'])).rejects.toMatchObject({ code: 'STOPPED' });
    expect(threadOf(m, 0).threadId).toBe(-1);
  });
});
