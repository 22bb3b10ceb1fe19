import { Registry } from 'prom-client';
import type { MlBackendChoice } from '../../src/ml/backend-choice.js';
import { MlError } from '../../src/ml/errors.js';
import { resultFromProbabilities, type SentimentResult } from '../../src/ml/labels.js';
import type { SentimentScorer } from '../../src/ml/scorer.js';
import { modelVersion } from '../../src/ml/sentiment-model.js';
import type { RedisConnector } from '../../src/redis/index.js';
import { ask, type Supervisor } from '../runtime/index.js';
import { InferenceCache, type CachedProbabilities } from './inference-cache.js';
import type { Batch, Job } from './jobs.js';
import { ModelHistograms } from './model-metrics.js';
import { ModelRegistry, type LoadedVersion } from './model-registry.js';
import type { WorkerInit } from './protocol.js';
import { Replica, type LoadOutcome, type ReplicaHost, type RestartReason } from './replica.js';
import { modelsReport, type ModelReplicasReport, type ModelStats } from './stats.js';

export interface ModelReplicasOptions {
  /** Where the replica actors live (the engine's ActorRuntime); asked at start(). */
  runtime: { supervisor(name: string): Supervisor };
  /** SUPERNOVA_ML_MODEL_DIR: loaded at start, and what reload() reads again. */
  modelDir: string;
  backend: MlBackendChoice;
  /** Worker threads, each with the model loaded (at least 1). */
  replicas: number;
  /** A batch holds at most this many texts (B)... */
  batchMax: number;
  /** ...and leaves at the latest this long after its first text was queued (T). */
  batchWaitMs: number;
  /** A batch unanswered this long means a hung worker; a text not scored this long after it was queued fails with TIMEOUT. */
  timeoutMs: number;
  /** Texts waiting for a replica at most; past it score() fails with OVERLOADED. */
  maxQueued: number;
  cache: { maxItems: number; maxBytes: number; ttlMs: number };
  /** L2 of the inference cache, when Redis is configured. */
  redis?: { connector: RedisConnector; prefix: string; timeoutMs: number } | undefined;
  /** Versions kept loaded in every replica; past it the least recently current is unloaded. */
  modelsMax: number;
  /** How long a new worker may take to load the backend and the models (default 60 s). */
  startTimeoutMs?: number;
  /**
   * Nice value of each worker thread on Linux (SUPERNOVA_ML_WORKER_NICE): above 0, the event
   * loop's thread wins the cores when inference saturates them. 0 leaves the default.
   */
  workerNice?: number;
  /** Lets tests hang a worker (testing.block); never set in the engine. */
  faults?: boolean;
  /** Where the supernova_ml_* histograms go (the engine's); a registry of its own otherwise. */
  registry?: Registry;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void } | undefined;
}

type Phase = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';
type Waiter = Job['waiters'][number];

/**
 * The sentiment model in N worker threads, one per replica actor (inference never holds the
 * event loop). score() answers what the inference cache knows, and queues the rest here, one job
 * per distinct text; the queue leaves as batches of up to batchMax texts, or sooner once its
 * oldest text has waited batchWaitMs, each to the replica with the fewest texts outstanding.
 * Each caller gets its results in its order. A version loaded by load() or reload() loads beside
 * the current one in every replica (each replica out of the routing while it loads) and takes
 * new requests from then on; batches of the old one finish on it.
 */
export class ModelReplicas implements SentimentScorer {
  readonly registry: Registry;
  private readonly histograms: ModelHistograms;
  private readonly cache: InferenceCache;
  private readonly models: ModelRegistry;
  private readonly replicas: Replica[] = [];
  private readonly host: ReplicaHost;
  private phase: Phase = 'new';
  private supervisor: Supervisor | undefined;
  private backend: string | null = null;
  /** Jobs waiting for a replica: retried ones first, then in arrival order. */
  private readonly retryQueue: Job[] = [];
  private queue: Job[] = [];
  private head = 0;
  /** Jobs queued or in a replica, by cache key: a text asked for again meanwhile waits on the same job. */
  private readonly flights = new Map<string, Job>();
  private readonly inFlight = new Set<Batch>();
  /** Jobs queued or in a replica, by version: a version evicted while some remain is unloaded once they are done. */
  private readonly jobsByVersion = new Map<string, number>();
  /** Evicted versions still loaded for the jobs that name them. */
  private readonly retiring = new Map<string, LoadedVersion>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private swapping: Promise<unknown> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private lastSwap: ModelStats['lastSwap'] = null;
  private batchMax: number;
  private batchWaitMs: number;
  private readonly counts = {
    texts: 0, batches: 0, batchedTexts: 0, retries: 0,
    restarts: { exit: 0, timeout: 0, start: 0, error: 0 } as Record<RestartReason, number>,
    refused: { overloaded: 0, timeout: 0, replica_failed: 0 },
  };

  constructor(private readonly o: ModelReplicasOptions) {
    for (const [what, n] of [['replicas', o.replicas], ['batchMax', o.batchMax], ['timeoutMs', o.timeoutMs], ['maxQueued', o.maxQueued]] as const) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`model replicas: ${what} must be a positive integer, got ${n}`);
    }
    if (!Number.isInteger(o.batchWaitMs) || o.batchWaitMs < 0) throw new RangeError(`model replicas: batchWaitMs must be an integer >= 0, got ${o.batchWaitMs}`);
    this.batchMax = o.batchMax;
    this.batchWaitMs = o.batchWaitMs;
    this.registry = o.registry ?? new Registry();
    this.histograms = new ModelHistograms(this.registry);
    this.cache = new InferenceCache({ ...o.cache, redis: o.redis, log: o.log });
    this.models = new ModelRegistry(o.modelsMax);
    const init: WorkerInit = { backend: o.backend, faults: o.faults === true, nice: o.workerNice ?? 0 };
    this.host = {
      init, timeoutMs: o.timeoutMs, startTimeoutMs: o.startTimeoutMs ?? 60_000,
      models: () => [...this.models.list(), ...this.retiring.values()].map((v) => ({ version: v.version, dir: v.dir })),
      scored: (_r, batch, probs, ms) => this.scored(batch, probs, ms),
      failed: (_r, batch, err, counted) => this.batchFailed(batch, err, counted),
      restarted: (r, reason, err) => {
        this.counts.restarts[reason]++;
        o.log?.warn({ replica: r.index, reason, err: err instanceof Error ? err.message : String(err) }, 'sentiment model replica replaced');
      },
      changed: () => this.pump(),
    };
  }

  /** Starts the replicas and loads the backend and the model in each; rejects with the first MlError. */
  async start(): Promise<void> {
    if (this.phase !== 'new') throw new MlError('STOPPED', `the model replicas cannot start: they are ${this.phase}`);
    this.phase = 'starting';
    const first: LoadedVersion = { version: modelVersion(this.o.modelDir), dir: this.o.modelDir, maxChars: 0 };
    this.models.makeCurrent(first);
    await this.cache.start();
    this.supervisor = this.o.runtime.supervisor('model-replicas');
    for (let i = 0; i < this.o.replicas; i++) {
      const r = new Replica(i, this.host);
      r.spawn(this.supervisor);
      this.replicas.push(r);
    }
    try {
      const backends = await withDeadline(Promise.all(this.replicas.map((r) => r.worker.ready)), this.host.startTimeoutMs, 'starting the model replicas');
      const b = backends[0];
      this.backend = b?.name ?? null;
      first.maxChars = this.replicas[0]?.worker.maxChars.get(first.version) ?? 0;
      this.o.log?.info({ backend: b?.name, tfName: b?.tfName, simd: b?.simd, skipped: b?.skipped, replicas: this.o.replicas, version: first.version }, `sentiment model replicas ready on the ${b?.name} backend`);
    } catch (err) {
      await this.stop();
      throw err instanceof MlError ? err : new MlError('BACKEND_UNAVAILABLE', `a model replica did not start: ${(err as Error).message}`, { cause: err });
    }
    if (this.phase !== 'starting') throw new MlError('STOPPED', 'the model replicas were stopped while they started');
    this.phase = 'running';
  }

  /** Labels and probabilities of each text, in the order given. */
  async score(texts: readonly string[]): Promise<SentimentResult[]> {
    if (this.phase !== 'running') throw this.notRunning();
    if (!Array.isArray(texts)) throw new MlError('INPUT_INVALID', 'score() takes an array of strings');
    if (texts.length > this.o.maxQueued) {
      this.counts.refused.overloaded += texts.length;
      throw new MlError('OVERLOADED', `${texts.length} texts in one call is over the ${this.o.maxQueued} that may wait (SUPERNOVA_ML_MAX_QUEUED); send them in smaller calls`);
    }
    for (let i = 0; i < texts.length; i++) if (typeof texts[i] !== 'string') throw new MlError('INPUT_INVALID', `texts[${i}] is a ${typeof texts[i]}, not a string`);
    const t0 = performance.now();
    const model = this.models.current as LoadedVersion;
    const cut = (t: string) => (model.maxChars > 0 && t.length > model.maxChars ? t.slice(0, model.maxChars) : t);
    const keys = texts.map((t) => InferenceCache.key(model.version, cut(t)));
    const out: (SentimentResult | Promise<SentimentResult>)[] = new Array(texts.length);
    let missed: number[] = [];
    keys.forEach((k, i) => {
      const p = this.cache.peek(k);
      if (p) out[i] = resultFromProbabilities(p);
      else missed.push(i);
    });
    if (missed.length > 0 && this.cache.hasL2) {
      const fromL2 = await this.cache.fromL2(missed.map((i) => keys[i] as string));
      missed = missed.filter((i, j) => {
        const p = fromL2[j];
        if (p) out[i] = resultFromProbabilities(p);
        return !p;
      });
      if (this.phase !== 'running') throw this.notRunning();
      // Its version was evicted while Redis answered (two swaps in that time): ask again of the current one.
      if (!this.models.get(model.version)) return this.score(texts);
    }
    if (missed.length > 0) {
      const fresh = new Set(missed.map((i) => keys[i] as string).filter((k) => !this.flights.has(k))).size;
      if (this.queueDepth + fresh > this.o.maxQueued) {
        this.counts.refused.overloaded += missed.length;
        throw new MlError('OVERLOADED', `${this.queueDepth} texts are waiting for a model replica; ${fresh} more would be over SUPERNOVA_ML_MAX_QUEUED (${this.o.maxQueued})`);
      }
      for (const i of missed) out[i] = this.enqueue(keys[i] as string, cut(texts[i] as string), model.version);
      this.pump();
    }
    const results = await Promise.all(out);
    this.counts.texts += texts.length;
    this.histograms.observeRequest(performance.now() - t0);
    return results;
  }

  /**
   * Loads the model in `dir` in every replica beside the current one, one replica at a time
   * (the others go on scoring), then makes it current for new requests. A version already
   * loaded just becomes current again. Resolves with the version.
   */
  load(dir: string): Promise<string> {
    const run = this.swapping.then(() => this.swap(dir));
    this.swapping = run.catch(() => undefined);
    return run;
  }

  /** Reads SUPERNOVA_ML_MODEL_DIR again and loads it if its version changed; resolves with whether it did. */
  async reload(): Promise<boolean> {
    if (this.phase !== 'running') throw this.notRunning();
    if (modelVersion(this.o.modelDir) === this.models.current?.version) return false;
    const before = this.models.current?.version;
    return (await this.load(this.o.modelDir)) !== before;
  }

  private async swap(dir: string): Promise<string> {
    if (this.phase !== 'running') throw this.notRunning();
    const version = modelVersion(dir);
    const known = this.models.get(version);
    if (known) {
      this.models.makeCurrent(known);
      return version;
    }
    let maxChars = 0;
    const loaded: Replica[] = [];
    const loadMs: number[] = [];
    try {
      for (const r of this.replicas) {
        const t0 = performance.now();
        r.loading++;
        let outcome: LoadOutcome;
        try {
          outcome = await ask<import('./replica.js').ReplicaMsg, LoadOutcome>(r.ref, (reply) => ({ type: 'load', version, dir, reply }), this.host.startTimeoutMs + this.o.timeoutMs);
        } finally {
          r.loading--;
          this.pump();
        }
        if (!outcome.ok) throw outcome.error instanceof MlError ? outcome.error : new MlError('REPLICA_FAILED', `replica ${r.index} failed loading ${version}: ${outcome.error.message}`, { cause: outcome.error });
        maxChars = outcome.maxChars;
        loaded.push(r);
        loadMs.push(Math.round(performance.now() - t0));
      }
    } catch (err) {
      for (const r of loaded) r.ref.tell({ type: 'unload', version });
      throw err;
    }
    const evicted = this.models.makeCurrent({ version, dir, maxChars });
    this.retiring.delete(version);
    this.lastSwap = { version, at: new Date().toISOString(), loadMs, evicted: evicted.map((e) => e.version) };
    this.o.log?.info({ version, dir, evicted: evicted.map((e) => e.version) }, 'sentiment model version is current');
    for (const old of evicted) this.evict(old);
    return version;
  }

  /** Unloads `old` in every replica (after the batches already sent to each), or once the texts queued for it are done. */
  private evict(old: LoadedVersion): void {
    if ((this.jobsByVersion.get(old.version) ?? 0) > 0) this.retiring.set(old.version, old);
    else this.unload(old.version);
  }

  private unload(version: string): void {
    for (const r of this.replicas) r.ref.tell({ type: 'unload', version });
  }

  async stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.phase = 'stopping';
    clearTimeout(this.timer);
    this.timer = undefined;
    const stopped = new MlError('STOPPED', 'the model replicas stopped before the text was scored');
    for (const job of [...this.retryQueue.splice(0), ...this.queue.slice(this.head)]) this.settle(job, stopped);
    this.queue = [];
    this.head = 0;
    for (const batch of this.inFlight) for (const job of batch.jobs) this.settle(job, stopped);
    this.inFlight.clear();
    this.supervisor?.stop();
    await Promise.all(this.replicas.map((r) => r.worker?.terminate()));
    await this.cache.stop();
    this.phase = 'stopped';
  }

  report(): ModelReplicasReport {
    return modelsReport(this.stats(), this.histograms.requestFigures(), this.histograms.inferenceFigures());
  }

  stats(): ModelStats {
    return {
      backend: this.backend, version: this.models.current?.version ?? null, versions: this.models.list().map((v) => v.version),
      replicas: this.replicas.length, ready: this.replicas.filter((r) => r.worker?.isReady).length,
      texts: this.counts.texts, batches: this.counts.batches, batchedTexts: this.counts.batchedTexts,
      queueDepth: this.queueDepth, inFlight: this.replicas.reduce((n, r) => n + r.outstandingTexts, 0), retries: this.counts.retries,
      restarts: { ...this.counts.restarts }, refused: { ...this.counts.refused }, cache: this.cache.stats(),
      tensors: this.replicas.map((r) => r.worker?.tensors ?? 0), lastSwap: this.lastSwap,
    };
  }

  /**
   * Changes B and T for the batches cut from now on (what the benchmark compares against
   * one text per batch, on the same replicas).
   */
  setBatching(batchMax: number, batchWaitMs: number): void {
    if (!Number.isInteger(batchMax) || batchMax < 1 || !Number.isInteger(batchWaitMs) || batchWaitMs < 0) {
      throw new RangeError(`batching needs batchMax >= 1 and batchWaitMs >= 0, got ${batchMax} and ${batchWaitMs}`);
    }
    this.batchMax = batchMax;
    this.batchWaitMs = batchWaitMs;
    this.pump();
  }

  /** Fault injection and inspection for tests of the supervision: real threads, real faults. */
  get testing(): { thread(replica: number): import('node:worker_threads').Worker | undefined; block(replica: number, ms: number): void; cacheSettled(): Promise<void> } {
    return {
      thread: (i) => this.replicaAt(i).worker.threadForTests,
      block: (i, ms) => {
        if (!this.o.faults) throw new Error('fault injection needs the faults option');
        this.replicaAt(i).ref.tell({ type: 'block', ms });
      },
      cacheSettled: () => this.cache.settled(),
    };
  }

  private replicaAt(i: number): Replica {
    const r = this.replicas[i];
    if (!r) throw new RangeError(`no replica ${i}`);
    return r;
  }

  private get queueDepth(): number {
    return this.retryQueue.length + this.queue.length - this.head;
  }

  private enqueue(key: string, text: string, version: string): Promise<SentimentResult> {
    return new Promise<SentimentResult>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      const flying = this.flights.get(key);
      if (flying) {
        flying.waiters.push(waiter);
        return;
      }
      const job: Job = { key, text, version, waitingSince: performance.now(), sends: 0, waiters: [waiter] };
      this.flights.set(key, job);
      this.jobsByVersion.set(version, (this.jobsByVersion.get(version) ?? 0) + 1);
      this.queue.push(job);
    });
  }

  private peekJob(): Job | undefined {
    return this.retryQueue[0] ?? this.queue[this.head];
  }

  private takeJob(): Job | undefined {
    if (this.retryQueue.length > 0) return this.retryQueue.shift();
    const job = this.queue[this.head];
    if (job === undefined) return undefined;
    this.queue[this.head++] = undefined as unknown as Job;
    // Compact once the taken part is most of the array, so it does not grow for ever.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return job;
  }

  /** Sends what may leave now to the least loaded replicas; arms the timer for what must wait. */
  private pump(): void {
    if (this.phase !== 'running') return;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    while (this.queueDepth > 0) {
      const headJob = this.peekJob() as Job;
      const due = headJob.waitingSince + this.batchWaitMs;
      if (this.queueDepth < this.batchMax && this.retryQueue.length === 0 && now < due) {
        next = due;
        break;
      }
      const replica = this.leastLoaded();
      if (!replica) break;
      const batch = this.cutBatch();
      if (!replica.send(batch)) {
        for (const job of [...batch.jobs].reverse()) this.retryQueue.unshift(job);
        break;
      }
      for (const job of batch.jobs) job.sends++;
      this.inFlight.add(batch);
    }
    // What could not leave now and has waited too long fails; what just found a replica did not.
    this.expire(now);
    const oldest = this.peekJob();
    if (oldest) next = Math.min(next, oldest.waitingSince + this.waitLimit());
    this.arm(next);
  }

  private arm(at: number): void {
    if (at === Number.POSITIVE_INFINITY || (this.timer && at >= this.timerAt)) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.pump();
    }, Math.max(0, Math.ceil(at - performance.now())));
  }

  /**
   * How long a text may wait for a replica: timeoutMs while one is ready (they are all that
   * busy), the start timeout while none is (each is being replaced, which takes longer).
   */
  private waitLimit(): number {
    return this.replicas.some((r) => r.worker.isReady) ? this.o.timeoutMs : this.host.startTimeoutMs;
  }

  /** Queued texts that have waited past waitLimit fail with TIMEOUT. */
  private expire(now: number): void {
    const limit = this.waitLimit();
    for (let job = this.peekJob(); job && now - job.waitingSince >= limit; job = this.peekJob()) {
      this.takeJob();
      this.counts.refused.timeout++;
      this.settle(job, new MlError('TIMEOUT', `the text waited ${Math.round(now - job.waitingSince)} ms for a model replica (SUPERNOVA_ML_TIMEOUT_MS is ${this.o.timeoutMs})`));
    }
  }

  private leastLoaded(): Replica | undefined {
    let best: Replica | undefined;
    for (const r of this.replicas) if (r.available && (!best || r.outstandingTexts < best.outstandingTexts)) best = r;
    return best;
  }

  /** Up to batchMax jobs from the head, all of the head's version. */
  private cutBatch(): Batch {
    const first = this.takeJob() as Job;
    const jobs = [first];
    for (let j = this.peekJob(); j && jobs.length < this.batchMax && j.version === first.version; j = this.peekJob()) jobs.push(this.takeJob() as Job);
    return { version: first.version, jobs };
  }

  private scored(batch: Batch, probs: Float32Array, ms: number): void {
    if (!this.inFlight.delete(batch)) return;
    this.counts.batches++;
    this.counts.batchedTexts += batch.jobs.length;
    this.histograms.observeBatch(batch.jobs.length, ms);
    batch.jobs.forEach((job, i) => {
      const p: CachedProbabilities = [probs[i * 3] ?? 0, probs[i * 3 + 1] ?? 0, probs[i * 3 + 2] ?? 0];
      this.cache.put(job.key, p);
      this.settle(job, resultFromProbabilities(p));
    });
    this.pump();
  }

  /** A batch the worker could not score: texts sent once go back to the head of the queue, the others fail. */
  private batchFailed(batch: Batch, err: Error, counted: boolean): void {
    if (!this.inFlight.delete(batch)) return;
    const retry: Job[] = [];
    for (const job of batch.jobs) {
      if (!counted) job.sends--;
      if (err instanceof MlError) {
        this.settle(job, err);
      } else if (job.sends >= 2 || this.phase !== 'running') {
        this.counts.refused.replica_failed++;
        this.settle(job, new MlError('REPLICA_FAILED', `a model replica failed scoring the text, and so did the retry: ${err.message}`, { cause: err }));
      } else {
        job.waitingSince = performance.now();
        retry.push(job);
      }
    }
    this.counts.retries += retry.length;
    this.retryQueue.unshift(...retry);
    this.pump();
  }

  private settle(job: Job, outcome: SentimentResult | MlError): void {
    if (job.waiters.length === 0) return;
    if (this.flights.get(job.key) === job) this.flights.delete(job.key);
    const left = (this.jobsByVersion.get(job.version) ?? 1) - 1;
    if (left > 0) this.jobsByVersion.set(job.version, left);
    else {
      this.jobsByVersion.delete(job.version);
      if (this.retiring.delete(job.version) && this.phase === 'running') this.unload(job.version);
    }
    for (const w of job.waiters) {
      if (outcome instanceof MlError) w.reject(outcome);
      else w.resolve(outcome);
    }
    job.waiters.length = 0;
  }

  private notRunning(): MlError {
    return this.phase === 'new' || this.phase === 'starting'
      ? new MlError('MODEL_NOT_LOADED', 'the model replicas are not started')
      : new MlError('STOPPED', `the model replicas are ${this.phase}`);
  }
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MlError('TIMEOUT', `${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

