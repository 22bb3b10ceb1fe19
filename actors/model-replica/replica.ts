import { HandlerTimeoutError, type ActorRef, type Supervisor } from '../runtime/index.js';
import { MlError } from '../../src/ml/errors.js';
import type { Batch } from './jobs.js';
import type { WorkerInit } from './protocol.js';
import { probabilitiesOf } from './protocol.js';
import { ReplicaWorker, WorkerGone, type ExitReason } from './replica-worker.js';

/** Why a replica's worker was replaced (supernova_ml_replica_restarts_total{reason}). */
export type RestartReason = ExitReason | 'error';

export type LoadOutcome = { ok: true; maxChars: number } | { ok: false; error: Error };

export type ReplicaMsg =
  | { type: 'batch'; batch: Batch }
  | { type: 'load'; version: string; dir: string; reply: (o: LoadOutcome) => void }
  | { type: 'unload'; version: string }
  /** The worker exited by itself (sent by its exit handler): replace it if it is still the current one. */
  | { type: 'gone'; worker: ReplicaWorker }
  | { type: 'block'; ms: number };

/** What a replica needs of the router that owns it. */
export interface ReplicaHost {
  readonly init: WorkerInit;
  /** How long a batch may take in the worker before the worker is deemed hung. */
  readonly timeoutMs: number;
  /** How long a new worker may take to load the backend and the models. */
  readonly startTimeoutMs: number;
  /** The versions a new worker loads, current first. */
  models(): { version: string; dir: string }[];
  scored(replica: Replica, batch: Batch, probs: Float32Array, ms: number): void;
  /** The batch was not scored: retry or fail its texts. `counted`: the attempt counts toward the one retry. */
  failed(replica: Replica, batch: Batch, err: Error, counted: boolean): void;
  restarted(replica: Replica, reason: RestartReason, err: unknown): void;
  /** The replica may take work now (a worker became ready, a batch or a load finished). */
  changed(): void;
}

/** A thrown failure of the worker: the supervisor replaces the worker (reset). */
class ReplicaFailure extends Error {
  constructor(readonly reason: RestartReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplicaFailure';
  }
}

interface ReplicaState {
  readonly worker: ReplicaWorker;
}

/** Batches a replica holds at most (one in the worker, one waiting in the mailbox so the worker never idles between them). */
export const MAX_OUTSTANDING_BATCHES = 2;

/** First and longest wait before starting a worker after workers that did not start. */
const START_BACKOFF_MS = 500;
const START_BACKOFF_MAX_MS = 30_000;

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReplicaFailure('timeout', `${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/**
 * One model replica: an actor owning one worker thread. Batches come through its mailbox and
 * run one at a time; the handler waits for the worker's answer for at most timeoutMs. A worker
 * that exits, throws or does not answer in time makes the handler throw, and the crash policy
 * resets the actor, which starts a new worker with every loaded version; the batch it was
 * scoring goes back to the router to be retried once.
 */
export class Replica {
  ref!: ActorRef<ReplicaMsg>;
  worker!: ReplicaWorker;
  /** Batches sent to it and not finished. */
  outstanding = 0;
  outstandingTexts = 0;
  /** Loads of a new version under way: the router sends it nothing meanwhile. */
  loading = 0;
  restarts = 0;
  /** Workers in a row whose start failed. */
  private startFailures = 0;

  constructor(readonly index: number, private readonly host: ReplicaHost) {}

  spawn(supervisor: Supervisor): void {
    this.ref = supervisor.spawn<ReplicaState, ReplicaMsg>({
      name: `model-replica-${this.index}`,
      initialState: () => ({ worker: this.startWorker() }),
      handle: (state, msg) => this.handle(state, msg),
      onCrash: (err, msg) => this.crashed(err, msg),
      onStop: (state) => void state.worker.terminate(),
      mailboxLimit: 64,
      // A backstop only: the handler's own deadlines end first.
      handlerTimeoutMs: this.host.startTimeoutMs + this.host.timeoutMs + 1_000,
    });
  }

  get available(): boolean {
    return !this.ref.stopped && this.worker.isReady && this.loading === 0 && this.outstanding < MAX_OUTSTANDING_BATCHES;
  }

  send(batch: Batch): boolean {
    if (!this.ref.tell({ type: 'batch', batch })) return false;
    this.outstanding++;
    this.outstandingTexts += batch.jobs.length;
    return true;
  }

  private startWorker(): ReplicaWorker {
    // Workers that did not start in a row (model files gone, backend broken): wait longer before each next one.
    const delayMs = this.startFailures === 0 ? 0 : Math.min(START_BACKOFF_MAX_MS, START_BACKOFF_MS * 2 ** (this.startFailures - 1));
    const worker = new ReplicaWorker({
      init: this.host.init,
      models: this.host.models(),
      delayMs,
      onExit: (w) => this.ref.tell({ type: 'gone', worker: w }),
    });
    this.worker = worker;
    worker.ready.then(() => {
      this.startFailures = 0;
      this.host.changed();
    }, () => {
      this.startFailures++;
      // Its thread may live on (a model that did not load): replace it all the same.
      if (worker.gone === undefined) this.ref.tell({ type: 'gone', worker });
    });
    return worker;
  }

  private async handle(state: ReplicaState, msg: ReplicaMsg): Promise<ReplicaState> {
    const w = state.worker;
    switch (msg.type) {
      case 'batch': {
        await this.ready(w);
        let reply;
        try {
          reply = await within(w.request({ t: 'score', version: msg.batch.version, texts: msg.batch.jobs.map((j) => j.text) }), this.host.timeoutMs, `scoring ${msg.batch.jobs.length} texts`);
        } catch (err) {
          if (err instanceof MlError) {
            // The worker answered, with an error of the request (not of the thread): nothing to replace.
            this.finished(msg.batch);
            this.host.failed(this, msg.batch, err, true);
            return state;
          }
          throw await this.failure(w, err);
        }
        this.finished(msg.batch);
        if (reply.t === 'scored') this.host.scored(this, msg.batch, probabilitiesOf(reply.probs), reply.ms);
        else this.host.failed(this, msg.batch, new MlError('REPLICA_FAILED', `the worker answered ${reply.t} to a batch`), true);
        return state;
      }
      case 'load':
        try {
          await this.ready(w);
          await within(w.load(msg.version, msg.dir), this.host.startTimeoutMs, `loading ${msg.version}`);
          msg.reply({ ok: true, maxChars: w.maxChars.get(msg.version) ?? 0 });
        } catch (err) {
          msg.reply({ ok: false, error: err as Error });
          if (!(err instanceof MlError)) throw await this.failure(w, err);
        }
        return state;
      case 'unload':
        await within(w.request({ t: 'unload', version: msg.version }), this.host.timeoutMs, `unloading ${msg.version}`).catch(async (err: unknown) => {
          if (!(err instanceof MlError)) throw await this.failure(w, err);
        });
        return state;
      case 'gone':
        if (msg.worker !== w) return state;
        if (w.gone) throw new ReplicaFailure(w.gone.reason, w.gone.message);
        throw await this.failure(w, new Error('the worker did not load the backend or a model'), 'start');
      case 'block':
        await this.ready(w);
        // Not awaited: the mailbox goes on, and the next batch finds the thread hung.
        w.request({ t: 'block', ms: msg.ms }).catch(() => undefined);
        return state;
    }
  }

  private async ready(w: ReplicaWorker): Promise<void> {
    if (w.isReady) return;
    try {
      await within(w.ready, this.host.startTimeoutMs, 'starting the worker');
    } catch (err) {
      throw await this.failure(w, err, 'start');
    }
  }

  /** Ends the worker (if it still runs) and says why, for the crash policy. */
  private async failure(w: ReplicaWorker, err: unknown, as?: RestartReason): Promise<ReplicaFailure> {
    const reason: RestartReason = as ?? (err instanceof ReplicaFailure ? err.reason : err instanceof WorkerGone ? err.reason : 'error');
    await w.terminate(reason === 'exit' ? 'exit' : reason === 'start' ? 'start' : 'timeout', err instanceof Error ? err.message : String(err));
    return new ReplicaFailure(reason, err instanceof Error ? err.message : String(err), { cause: err });
  }

  private finished(batch: Batch): void {
    this.outstanding--;
    this.outstandingTexts -= batch.jobs.length;
  }

  private crashed(err: unknown, msg: ReplicaMsg): 'reset' {
    const reason: RestartReason = err instanceof ReplicaFailure ? err.reason : err instanceof HandlerTimeoutError ? 'timeout' : 'error';
    void this.worker.terminate(reason === 'error' ? 'exit' : reason, `replaced after ${reason}`);
    this.restarts++;
    this.host.restarted(this, reason, err);
    if (msg.type === 'batch') {
      this.finished(msg.batch);
      this.host.failed(this, msg.batch, err instanceof Error ? err : new Error(String(err)), true);
    } else if (msg.type === 'load') {
      msg.reply({ ok: false, error: err instanceof Error ? err : new Error(String(err)) });
    }
    return 'reset';
  }
}
