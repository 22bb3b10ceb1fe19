import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/index.js';
import { loadBackend } from './backend.js';
import { MlError } from './errors.js';

const resolvable = (pkg: string) => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};
const hasNode = resolvable('@tensorflow/tfjs-node');
const hasNodeGpu = resolvable('@tensorflow/tfjs-node-gpu');

describe('loadBackend', () => {
  it('auto takes the first that loads: wasm (SIMD) where the native bindings are not installed', async () => {
    const loaded = await loadBackend('auto');
    if (hasNodeGpu || hasNode) {
      expect(loaded.tfName).toBe('tensorflow');
      return;
    }
    expect(loaded.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(loaded.simd).toBe(true);
    expect(loaded.threads).toBe(1);
    expect(loaded.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
    for (const s of loaded.skipped) expect(s.reason).toMatch(/tfjs-node/);
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]);
    expect(y).toBe(11);
  });

  it('forcing cpu gives cpu', async () => {
    const loaded = await loadBackend('cpu');
    expect(loaded).toMatchObject({ name: 'cpu', tfName: 'cpu', simd: false, skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('forcing wasm gives wasm', async () => {
    expect((await loadBackend('wasm')).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it.runIf(!hasNode)('forcing tensorflow where tfjs-node is not installed is an error naming the variable and the fix', async () => {
    const err = await loadBackend('tensorflow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlError);
    expect(err).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect((err as Error).message).toMatch(/^SUPERNOVA_ML_BACKEND=tensorflow: the tensorflow backend did not load \(.*@tensorflow\/tfjs-node.*\); install @tensorflow\/tfjs-node .*, or set SUPERNOVA_ML_BACKEND=auto/);
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it.runIf(!hasNodeGpu)('forcing tensorflow-gpu without tfjs-node-gpu fails the same way', async () => {
    await expect(loadBackend('tensorflow-gpu')).rejects.toThrow(/SUPERNOVA_ML_BACKEND=tensorflow-gpu: .*CUDA/);
  });
});

describe('SUPERNOVA_ML_BACKEND', () => {
  it('defaults to auto and takes the five names only', () => {
    expect(loadConfig({}).mlBackend).toBe('auto');
    expect(loadConfig({ SUPERNOVA_ML_BACKEND: 'wasm' }).mlBackend).toBe('wasm');
    expect(() => loadConfig({ SUPERNOVA_ML_BACKEND: 'gpu' })).toThrow(ConfigError);
    expect(() => loadConfig({ SUPERNOVA_ML_BACKEND: 'gpu' })).toThrow(/SUPERNOVA_ML_BACKEND/);
  });
});
