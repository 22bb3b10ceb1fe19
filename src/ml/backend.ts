import * as tf from '@tensorflow/tfjs';
import { MlError } from './errors.js';

import type { MlBackendChoice, MlBackendName } from './backend-choice.js';

export { ML_BACKEND_CHOICES, type MlBackendChoice, type MlBackendName } from './backend-choice.js';

/** The order `auto` tries them in: fastest first. */
export const AUTO_BACKEND_ORDER: readonly MlBackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface LoadedBackend {
  /** The one that loaded. */
  name: MlBackendName;
  /** tfjs's name of it (`tensorflow` for both native ones). */
  tfName: string;
  /** wasm: SIMD instructions in use. */
  simd: boolean;
  /** wasm: threads of its pool (1: Node is not given a threaded build, see loadWasm). */
  threads: number;
  /** Those tried before it, and why each did not load. */
  skipped: { name: MlBackendName; reason: string }[];
}

/**
 * Imports a package by a name TypeScript does not resolve: the native bindings are optional
 * dependencies that a machine without libtensorflow (or CUDA) does not have installed.
 */
async function importOptional(name: string): Promise<unknown> {
  return import(name);
}

/**
 * tfjs-node and tfjs-node-gpu each register a backend named `tensorflow` (libtensorflow through
 * N-API, the GPU one built against CUDA) as a side effect of being imported, and make it the
 * engine's backend. Their install downloads libtensorflow; where it could not, the package is
 * absent (npm drops a failed optional dependency) and the import throws.
 */
async function loadNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Promise<void> {
  await importOptional(pkg);
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} was imported but its backend did not initialise`);
}

/**
 * The WebAssembly backend, SIMD where the CPU has it. tfjs answers WASM_HAS_MULTITHREAD_SUPPORT
 * false in Node, and forcing it fails in Node 20: the threaded build starts its workers from a
 * blob: URL, which node:worker_threads refuses (ERR_WORKER_PATH). So one thread per process; the
 * model replicas give parallelism by running one model per worker thread instead.
 */
async function loadWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
}

async function loadOne(name: MlBackendName): Promise<void> {
  switch (name) {
    case 'tensorflow-gpu': return loadNative('@tensorflow/tfjs-node-gpu');
    case 'tensorflow': return loadNative('@tensorflow/tfjs-node');
    case 'wasm': return loadWasm();
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
  }
}

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}

/**
 * Makes the first backend that loads tfjs's backend, in AUTO_BACKEND_ORDER, or the one `choice`
 * forces; a forced one that does not load is an error naming the variable, since an operator who
 * asked for the GPU would not want a quiet fall back to a CPU ten times slower.
 */
export async function loadBackend(choice: MlBackendChoice, env = 'SUPERNOVA_ML_BACKEND'): Promise<LoadedBackend> {
  const order = choice === 'auto' ? AUTO_BACKEND_ORDER : [choice];
  const skipped: LoadedBackend['skipped'] = [];
  for (const name of order) {
    try {
      await loadOne(name);
      await tf.ready();
      const wasm = name === 'wasm';
      return {
        name,
        tfName: tf.getBackend(),
        simd: wasm && (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true,
        threads: 1,
        skipped,
      };
    } catch (err) {
      if (choice !== 'auto') {
        const fix = `set ${env}=auto to take the first that loads`;
        const native = name === 'tensorflow' ? '@tensorflow/tfjs-node (needs libtensorflow)' : name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu (needs libtensorflow and CUDA)' : undefined;
        throw new MlError('BACKEND_UNAVAILABLE', `${env}=${choice}: the ${name} backend did not load (${reasonOf(err)}); ${native ? `install ${native}, or ${fix}` : fix}`, { cause: err });
      }
      skipped.push({ name, reason: reasonOf(err) });
    }
  }
  // cpu is pure JavaScript and always registers, so auto never gets here but on a broken install.
  throw new MlError('BACKEND_UNAVAILABLE', `${env}=auto: no backend loaded (${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`);
}
