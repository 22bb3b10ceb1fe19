import type { Worker } from 'node:worker_threads';
import { MlError, type MlErrorCode } from '../../src/ml/errors.js';
import { decodeMessage, encodeMessage, type FromWorker, type ToWorker, type WorkerBackend, type WorkerInit } from './protocol.js';
import { startWorkerEntry } from './worker-source.js';

/** Why a worker is gone: it exited or threw by itself, or was ended for not answering in time. */
export type ExitReason = 'exit' | 'timeout' | 'start';

/** A worker that is gone, and what became of the request that was waiting on it. */
export class WorkerGone extends Error {
  constructor(readonly reason: ExitReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkerGone';
  }
}

type Request = ToWorker extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

interface Waiting {
  resolve(msg: FromWorker): void;
  reject(err: Error): void;
}

export interface ReplicaWorkerOptions {
  init: WorkerInit;
  /** Versions the worker loads before it is ready (the registry's, current first). */
  models: readonly { version: string; dir: string }[];
  /** Wait this long before starting the thread (a backoff after workers that did not start). */
  delayMs?: number;
  /** The thread exited, for whatever reason (not called after terminate()). */
  onExit: (worker: ReplicaWorker, err: WorkerGone) => void;
}

/**
 * One worker thread with the model loaded: requests go in as msgpack bytes (transferred), each
 * answered once, in order. When the thread dies every request waiting on it is rejected with
 * WorkerGone, so nothing waits for an answer that cannot come.
 */
export class ReplicaWorker {
  /** Resolves once the backend and every initial version are loaded; rejects with an MlError otherwise. */
  readonly ready: Promise<WorkerBackend>;
  isReady = false;
  gone: WorkerGone | undefined;
  /** tf.memory().numTensors as the worker last reported it. */
  tensors = 0;
  /** Each version's tokenizer character bound. */
  readonly maxChars = new Map<string, number>();
  private thread: Worker | undefined;
  private delay: NodeJS.Timeout | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private terminated = false;
  private backendReady!: { resolve(b: WorkerBackend): void; reject(err: Error): void };

  constructor(private readonly o: ReplicaWorkerOptions) {
    const backend = new Promise<WorkerBackend>((resolve, reject) => (this.backendReady = { resolve, reject }));
    if (o.delayMs && o.delayMs > 0) {
      this.delay = setTimeout(() => {
        this.delay = undefined;
        this.spawn();
      }, o.delayMs);
    } else {
      this.spawn();
    }
    this.ready = (async () => {
      const b = await backend;
      for (const m of o.models) await this.load(m.version, m.dir);
      this.isReady = true;
      return b;
    })();
    // Whoever needs the worker awaits `ready`; an unobserved failure must not be an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  private spawn(): void {
    const thread = (this.thread = startWorkerEntry({ workerData: this.o.init, stdout: false, stderr: false }));
    thread.on('message', (bytes: unknown) => this.received(bytes));
    thread.on('error', (err: Error) => this.died(new WorkerGone('exit', `the worker thread threw: ${err.message}`, { cause: err })));
    thread.on('exit', (code: number) => this.died(new WorkerGone('exit', `the worker thread exited with code ${code}`)));
  }

  /** The thread itself, for tests that fault it from outside (undefined while a delayed start waits). */
  get threadForTests(): Worker | undefined {
    return this.thread;
  }

  async load(version: string, dir: string): Promise<void> {
    const reply = await this.request({ t: 'load', version, dir });
    if (reply.t === 'loaded') this.maxChars.set(version, reply.maxChars);
  }

  /** Sends one request; resolves with its answer, rejects with an MlError (the worker's) or WorkerGone. */
  request(msg: Request): Promise<FromWorker> {
    if (this.gone) return Promise.reject(this.gone);
    const thread = this.thread;
    if (!thread) return Promise.reject(new WorkerGone('start', 'the worker thread has not started yet'));
    const id = ++this.nextId;
    return new Promise<FromWorker>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const bytes = encodeMessage({ ...msg, id } as ToWorker);
      thread.postMessage(bytes, [bytes.buffer]);
    });
  }

  /** Ends the thread (a hung one too: termination interrupts running JavaScript). */
  async terminate(reason: ExitReason = 'exit', why = 'the worker was stopped'): Promise<void> {
    clearTimeout(this.delay);
    this.delay = undefined;
    if (!this.terminated) {
      this.terminated = true;
      this.died(new WorkerGone(reason, why));
    }
    await this.thread?.terminate().catch(() => undefined);
  }

  private received(bytes: unknown): void {
    let msg: FromWorker;
    try {
      msg = decodeMessage<FromWorker>(bytes);
    } catch {
      return;
    }
    if ('tensors' in msg) this.tensors = msg.tensors;
    switch (msg.t) {
      case 'ready': return this.backendReady.resolve(msg.backend);
      case 'fatal': return this.backendReady.reject(new MlError(msg.code as MlErrorCode, msg.message));
      default: {
        const w = this.waiting.get(msg.id);
        if (!w) return;
        this.waiting.delete(msg.id);
        if (msg.t === 'error') w.reject(new MlError(msg.code as MlErrorCode, msg.message));
        else w.resolve(msg);
      }
    }
  }

  private died(err: WorkerGone): void {
    if (this.gone) return;
    this.gone = err;
    this.isReady = false;
    this.backendReady.reject(err);
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    if (!this.terminated) this.o.onExit(this, err);
  }
}
