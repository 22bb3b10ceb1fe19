import { Packr } from 'msgpackr';
import type { MlBackendChoice, MlBackendName } from '../../src/ml/backend-choice.js';

/** What the main thread asks of a replica's worker; `id` pairs the answer with the request. */
export type ToWorker =
  | { t: 'load'; id: number; version: string; dir: string }
  | { t: 'unload'; id: number; version: string }
  | { t: 'score'; id: number; version: string; texts: string[] }
  /** Fault injection (accepted only when the worker was started with `faults`): holds the thread for `ms`. */
  | { t: 'block'; id: number; ms: number };

/** The backend a worker loaded, as it says at start. */
export interface WorkerBackend {
  name: MlBackendName;
  tfName: string;
  simd: boolean;
  skipped: { name: MlBackendName; reason: string }[];
}

export type FromWorker =
  | { t: 'ready'; backend: WorkerBackend; tensors: number }
  /** The backend did not load: the worker is of no use and exits. */
  | { t: 'fatal'; code: string; message: string }
  | { t: 'loaded'; id: number; version: string; maxChars: number; tensors: number }
  /** Class probabilities, float32, three per text in the order sent, as their bytes. */
  | { t: 'scored'; id: number; probs: Uint8Array; tensors: number; ms: number }
  | { t: 'done'; id: number; tensors: number }
  | { t: 'error'; id: number; code: string; message: string };

/** What a worker is started with (workerData, structured-cloned once). */
export interface WorkerInit {
  backend: MlBackendChoice;
  /** Whether `block` is honoured (tests of the supervision only). */
  faults: boolean;
  /** Nice value of the worker's thread on Linux (0: leave it). */
  nice: number;
}

/**
 * msgpack, plain maps and no records (each message stands alone). Every message is copied into
 * a buffer of its own before it is transferred: msgpackr packs into a shared buffer, which a
 * transfer would take away from it.
 */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export function encodeMessage(msg: ToWorker | FromWorker): Uint8Array<ArrayBuffer> {
  const packed = packr.pack(msg);
  const own = new Uint8Array(packed.length);
  own.set(packed);
  return own;
}

export function decodeMessage<T extends ToWorker | FromWorker>(bytes: unknown): T {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('a replica message is msgpack bytes');
  return packr.unpack(bytes) as T;
}

/** Float32 probabilities out of their bytes (copied, so the view is aligned). */
export function probabilitiesOf(bytes: Uint8Array): Float32Array {
  const copy = bytes.slice();
  return new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
}
