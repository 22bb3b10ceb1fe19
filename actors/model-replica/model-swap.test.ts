import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InProcessScorer } from '../../src/ml/in-process-scorer.js';
import { modelVersion } from '../../src/ml/sentiment-model.js';
import { MODEL_DIR, removeDir, scaledModelCopy, testReplicas } from './test-support.js';

const fleet = testReplicas('ml-swap');
const replicas = fleet.start;
const dirs: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


afterEach(() => fleet.stopAll());
afterAll(() => dirs.forEach(removeDir));

const HEADLINES = ['Apple shares surge after record profit', 'Tesla stock falls on recall', 'Fed holds rates steady', 'Nvidia slumps on export curbs'];

async function inProcess(dir: string, texts: string[]) {
  const s = new InProcessScorer({ modelDir: dir, backend: 'auto' });
  await s.start();
  try {
    return await s.score(texts);
  } finally {
    await s.stop();
  }
}

describe('ModelReplicas model registry', () => {
  it('a new version loads beside the old and takes over while requests go on: none fails or waits for the load', async () => {
    const next = scaledModelCopy(1.8);
    dirs.push(next);
    const m = await replicas();
    const old = m.report().version;
    const oldResults = await m.score(HEADLINES);
    // Steady load: a call of 4 new texts every 5 ms, before, during and after the swap.
    const latencies: number[] = [];
    const errors: unknown[] = [];
    let seq = 0;
    let running = true;
    const load = (async () => {
      const calls: Promise<void>[] = [];
      while (running) {
        const texts = Array.from({ length: 4 }, () => `swap traffic ${seq++} $TSLA ${seq % 3 ? 'beats' : 'misses'}`);
        const t0 = performance.now();
        calls.push(m.score(texts).then(() => { latencies.push(performance.now() - t0); }, (err: unknown) => { errors.push(err); }));
        await sleep(5);
      }
      await Promise.all(calls);
    })();
    await sleep(300);
    const version = await m.load(next);
    await sleep(300);
    running = false;
    await load;
    expect(errors).toEqual([]);
    expect(version).toBe(modelVersion(next));
    expect(version).not.toBe(old);
    const r = m.report();
    expect(r.version).toBe(version);
    expect(r.versions).toEqual([version, old]);
    // Each replica was out of the routing while it loaded, the other taking its requests: no
    // request waited as long as a replica's load took (with one replica, some would).
    const loadMs = r.lastSwap?.loadMs ?? [];
    expect(loadMs).toHaveLength(m.report().replicas);
    const max = Math.max(...latencies);
    expect(latencies.length).toBeGreaterThan(50);
    expect(max).toBeLessThan(Math.min(...loadMs));
    // New requests get the new model's results, exactly as that model scores them.
    const newResults = await m.score(HEADLINES);
    expect(newResults).toEqual(await inProcess(next, HEADLINES));
    expect(newResults).not.toEqual(oldResults);
    // Loading the old one again is a switch back, not a load.
    expect(await m.load(MODEL_DIR)).toBe(old);
    expect(await m.score(HEADLINES)).toEqual(oldResults);
  });

  it('reload() swaps only when the configured directory holds another version; past SUPERNOVA_ML_MODELS_MAX the oldest is unloaded', async () => {
    const configured = scaledModelCopy(1);
    const other = scaledModelCopy(0.5);
    dirs.push(configured, other);
    const m = await replicas({ modelDir: configured, modelsMax: 2 });
    const first = m.report().version as string;
    expect(first).toBe(modelVersion(MODEL_DIR));
    const oneModel = m.report().tensors;
    expect(await m.reload()).toBe(false);
    // Retrained in place: the same directory now holds another version.
    scaledModelCopy(2.5, configured);
    expect(await m.reload()).toBe(true);
    const second = m.report().version as string;
    expect(second).not.toBe(first);
    expect(await m.score(HEADLINES)).toEqual(await inProcess(configured, HEADLINES));
    const twoModels = m.report().tensors;
    expect(twoModels[0]).toBeGreaterThan(oneModel[0] as number);
    // A third version pushes out the least recently current (the first): its tensors are freed in every worker.
    const third = await m.load(other);
    expect(m.report().versions).toEqual([third, second]);
    await m.score(['after the eviction']);
    await sleep(50);
    expect(m.report().tensors).toEqual(twoModels);
    await expect(m.load('/nonexistent/model')).rejects.toMatchObject({ code: 'MODEL_FILES_INVALID' });
    expect(m.report().version).toBe(third);
  });

  it('a version evicted while texts wait for it stays loaded until they are scored, then is unloaded', async () => {
    const next = scaledModelCopy(0.6);
    dirs.push(next);
    const m = await replicas({ modelsMax: 1 });
    const old = m.report().version;
    const oneModel = m.report().tensors;
    const want = await inProcess(MODEL_DIR, ['held back headline']);
    m.setBatching(32, 10_000);
    const held = m.score(['held back headline']);
    await m.load(next);
    expect(m.report().versions).toEqual([modelVersion(next)]);
    expect(m.report().tensors[0]).toBeGreaterThan(oneModel[0] as number);
    // The queued text leaves now, still under the version it was asked of.
    m.setBatching(32, 2);
    expect(await held).toEqual(want);
    expect(m.report().version).not.toBe(old);
    await m.score(['a text for the new version']);
    const end = Date.now() + 5_000;
    while (Date.now() < end && m.report().tensors.some((n, i) => n !== oneModel[i])) await sleep(20);
    expect(m.report().tensors).toEqual(oneModel);
  });
});
