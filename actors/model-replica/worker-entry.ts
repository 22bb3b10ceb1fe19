/**
 * The body of one model replica's worker thread: loads the backend, then the model versions it
 * is told to, and scores batches, one message at a time. Every message in and out is msgpack
 * bytes (protocol.ts). After each request it reports tf.memory().numTensors, so a leak shows in
 * the replica's figures.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { loadBackend } from '../../src/ml/backend.js';
import { MlError } from '../../src/ml/errors.js';
import { SentimentModel, TOKENIZER_FILE } from '../../src/ml/sentiment-model.js';
import { decodeMessage, encodeMessage, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('worker-entry runs in a worker thread');
const init = workerData as WorkerInit;
const models = new Map<string, SentimentModel>();

function send(msg: FromWorker): void {
  const bytes = encodeMessage(msg);
  port?.postMessage(bytes, [bytes.buffer]);
}

const tensors = (): number => tf.memory().numTensors;
const codeOf = (err: unknown): string => (err instanceof MlError ? err.code : 'WORKER_ERROR');
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The tokenizer's character bound (what a text is cut to before anything reads it). */
function maxCharsOf(dir: string): number {
  const t = JSON.parse(readFileSync(join(dir, TOKENIZER_FILE), 'utf8')) as { options?: { maxChars?: number } };
  return t.options?.maxChars ?? 0;
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.t) {
    case 'load': {
      if (!models.has(msg.version)) {
        const model = await SentimentModel.load(msg.dir);
        if (model.version !== msg.version) {
          model.dispose();
          throw new MlError('MODEL_FILES_INVALID', `${msg.dir} changed while it was loaded (version ${model.version}, expected ${msg.version})`);
        }
        models.set(msg.version, model);
      }
      send({ t: 'loaded', id: msg.id, version: msg.version, maxChars: maxCharsOf(msg.dir), tensors: tensors() });
      return;
    }
    case 'unload':
      models.get(msg.version)?.dispose();
      models.delete(msg.version);
      send({ t: 'done', id: msg.id, tensors: tensors() });
      return;
    case 'score': {
      const model = models.get(msg.version);
      if (!model) throw new MlError('MODEL_NOT_LOADED', `model ${msg.version} is not loaded in this replica`);
      const t0 = performance.now();
      const results = model.score(msg.texts);
      const probs = new Float32Array(results.length * 3);
      results.forEach((r, i) => probs.set([r.scores.bearish, r.scores.bullish, r.scores.neutral], i * 3));
      const ms = performance.now() - t0;
      send({ t: 'scored', id: msg.id, probs: new Uint8Array(probs.buffer), tensors: tensors(), ms });
      return;
    }
    case 'block': {
      if (!init.faults) throw new MlError('INPUT_INVALID', 'fault injection is not enabled in this replica');
      // A real hang: this thread answers nothing until the loop ends.
      const end = Date.now() + msg.ms;
      while (Date.now() < end) { /* spin */ }
      send({ t: 'done', id: msg.id, tensors: tensors() });
      return;
    }
  }
}

port.on('message', (bytes: unknown) => {
  let msg: ToWorker;
  try {
    msg = decodeMessage<ToWorker>(bytes);
  } catch (err) {
    send({ t: 'error', id: -1, code: 'INPUT_INVALID', message: messageOf(err) });
    return;
  }
  handle(msg).catch((err: unknown) => send({ t: 'error', id: msg.id, code: codeOf(err), message: messageOf(err) }));
});

/**
 * On Linux, a nice value can be set per thread (setpriority on the thread's id): this one yields
 * to the event loop's thread when the cores are all busy, so a burst of inference delays the
 * batches, not the sockets. Elsewhere, or where it is refused, the thread keeps the default.
 */
function yieldToEventLoop(): void {
  if (process.platform !== 'linux' || init.nice === 0) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, init.nice);
  } catch {
    // Not permitted or no /proc: the default priority.
  }
}

yieldToEventLoop();
try {
  const b = await loadBackend(init.backend);
  send({ t: 'ready', backend: { name: b.name, tfName: b.tfName, simd: b.simd, skipped: b.skipped }, tensors: tensors() });
} catch (err) {
  send({ t: 'fatal', code: codeOf(err), message: messageOf(err) });
  port.close();
}
