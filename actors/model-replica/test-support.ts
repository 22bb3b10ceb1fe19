import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { ActorRuntime } from '../runtime/index.js';
import { ModelReplicas, type ModelReplicasOptions } from './model-replicas.js';

export const MODEL_DIR = fileURLToPath(new URL('../../models/sentiment', import.meta.url));

interface Manifest {
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string } }[] }[];
}

const ELEMENT_BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

/**
 * A copy of the committed model in `into` (a new temp dir by default), with every output
 * kernel's weights (float32, not quantized) multiplied by `factor`: another version (its hash
 * differs) with other probabilities.
 */
export function scaledModelCopy(factor: number, into = mkdtempSync(join(tmpdir(), 'supernova-model-'))): string {
  for (const f of readdirSync(MODEL_DIR)) copyFileSync(join(MODEL_DIR, f), join(into, f));
  const manifest = JSON.parse(readFileSync(join(into, 'model.json'), 'utf8')) as Manifest;
  const bytes = readFileSync(join(into, 'weights.bin'));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let scaled = 0;
  for (const group of manifest.weightsManifest) {
    for (const w of group.weights) {
      const dtype = w.quantization?.dtype ?? w.dtype;
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (w.name.endsWith('probabilities/kernel') && dtype === 'float32') {
        for (let i = 0; i < n; i++) view.setFloat32(offset + i * 4, view.getFloat32(offset + i * 4, true) * factor, true);
        scaled++;
      }
      offset += n * (ELEMENT_BYTES[dtype] ?? Number.NaN);
    }
  }
  if (offset !== bytes.byteLength || scaled === 0) throw new Error(`the weights manifest does not describe weights.bin (${offset} of ${bytes.byteLength} bytes, ${scaled} kernels scaled)`);
  writeFileSync(join(into, 'weights.bin'), bytes);
  return into;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Replicas for a test file, each on an actor runtime of its own: `start()` with the file's
 * defaults and a test's overrides, `stopAll()` in afterEach.
 */
export function testReplicas(name: string, defaults: Partial<ModelReplicasOptions> = {}) {
  const open: { m: ModelReplicas; rt: ActorRuntime }[] = [];
  return {
    async start(o: Partial<ModelReplicasOptions> = {}): Promise<ModelReplicas> {
      const rt = new ActorRuntime({ name });
      rt.start();
      const m = new ModelReplicas({
        runtime: rt, modelDir: MODEL_DIR, backend: 'auto', replicas: 2, batchMax: 32, batchWaitMs: 2, timeoutMs: 5_000, maxQueued: 10_000,
        cache: { maxItems: 50_000, maxBytes: 16 << 20, ttlMs: 60_000 }, modelsMax: 2, ...defaults, ...o,
      });
      open.push({ m, rt });
      await m.start();
      return m;
    },
    async stopAll(): Promise<void> {
      for (const { m, rt } of open.splice(0)) {
        await m.stop();
        await rt.stop();
      }
    },
  };
}

/** The worker thread of replica `i` (for the fault tests), which must have started. */
export function threadOf(m: ModelReplicas, i: number): Worker {
  const t = m.testing.thread(i);
  if (!t) throw new Error(`replica ${i} has no thread yet`);
  return t;
}
