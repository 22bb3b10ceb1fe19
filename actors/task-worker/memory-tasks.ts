import { randomUUID } from 'node:crypto';
import { pack } from 'msgpackr';
import type { ActorRef, Supervisor } from '../runtime/index.js';
import { InvalidTaskArgsError, TaskNotFoundError, TaskQueueFullError, TasksStoppedError } from './errors.js';
import { executeAttempt, type Outcome } from './execute.js';
import type { CpuPool } from './cpu-pool.js';
import { PriorityQueue } from './priority-queue.js';
import { viewOf, type TaskRecord } from './record.js';
import type { TaskRegistry } from './registry.js';
import { scaleStep } from './scaling.js';
import type { TaskCounters, TaskEvents, TaskLimits, TaskResultStore, Tasks, TaskStats } from './tasks.js';
import { FINAL_STATUSES, type BatchSubmission, type TaskDefinition, type Priority, type Submission, type TaskStatus, type TaskView } from './types.js';

export interface MemoryTasksOptions {
  runtime: { supervisor(name: string): Supervisor };
  registry: TaskRegistry;
  cpu?: CpuPool;
  limits: TaskLimits;
  /** Finished tasks written through (the cache: Redis and PostgreSQL when configured), read back once memory has let them go. */
  results?: TaskResultStore;
  events?: TaskEvents;
  now?: () => number;
}

interface WorkerMsg {
  rec: TaskRecord;
}

interface Worker {
  ref: ActorRef<WorkerMsg>;
  busy: boolean;
  /** Set when the pool shrinks: it takes no more work. */
  retiring: boolean;
}

/** Node clamps longer delays to 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;
/** How long a worker goes on taking queued tasks within one message. */
const PULL_BUDGET_MS = 50;
/** The result store's key prefix. */
const KEY = 'task:';

/**
 * Memory mode: a priority queue (with aging) on this engine, dispatched to a pool of supervised
 * worker actors that each run one task at a time. The dispatcher is the one owner of the queue
 * and the records, on the event loop, so a submission is answered (id, or 429) synchronously;
 * a worker actor runs its attempt and reports the outcome back. The pool scales between the
 * min and the max on queue depth and wait.
 */
export class MemoryTasks implements Tasks {
  readonly mode = 'memory' as const;
  private readonly queue: PriorityQueue<TaskRecord>;
  private readonly records = new Map<string, TaskRecord>();
  /** Finished records in finish order: the TTL and the bounds drop from the front. */
  private readonly finished = new Map<string, TaskRecord>();
  private finishedBytes = 0;
  private readonly workers = new Set<Worker>();
  private readonly idle: Worker[] = [];
  private readonly retrying = new Set<TaskRecord>();
  private supervisor: Supervisor | undefined;
  private scaleTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private calmSince: number;
  private running = false;
  private busy = 0;
  readonly counters: TaskCounters = { submitted: 0, succeeded: 0, failed: 0, timedOut: 0, cancelled: 0, retries: 0, rejected: 0, invalid: 0, scaledUp: 0, scaledDown: 0, workerRestarts: 0, storeErrors: 0 };
  private readonly now: () => number;

  constructor(private readonly o: MemoryTasksOptions) {
    this.now = o.now ?? Date.now;
    this.queue = new PriorityQueue(o.limits.agingMs, this.now);
    this.calmSince = this.now();
  }

  get registry(): TaskRegistry {
    return this.o.registry;
  }

  register<A, R>(type: string, definition: TaskDefinition<A, R>): void {
    this.o.registry.register(type, definition);
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    this.o.cpu?.start();
    this.supervisor = this.o.runtime.supervisor('task-workers');
    for (let i = 0; i < this.o.limits.workersMin; i++) this.addWorker();
    this.scaleTimer = setInterval(() => this.scale(), this.o.limits.scaleIntervalMs);
    this.scaleTimer.unref();
    this.sweepTimer = setInterval(() => this.sweep(), Math.min(60_000, Math.max(100, Math.floor(this.o.limits.resultTtlMs / 10))));
    this.sweepTimer.unref();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.scaleTimer);
    clearInterval(this.sweepTimer);
    for (const rec of this.retrying) clearTimeout(rec.retryTimer);
    this.retrying.clear();
    // Queued and running tasks end cancelled: nobody runs them once the engine is gone.
    for (const rec of this.records.values()) {
      if (FINAL_STATUSES.has(rec.status)) continue;
      const stop = rec.stop;
      this.finish(rec, 'cancelled', { error: 'the engine stopped' });
      stop?.('cancelled');
    }
    this.supervisor?.stop();
    this.workers.clear();
    this.idle.length = 0;
    await this.o.cpu?.stop();
  }

  submit(s: Submission): Promise<string> {
    try {
      return Promise.resolve(this.submitNow(s));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** submit() without the promise: the HTTP route and the bench call it. */
  submitNow(s: Submission): string {
    if (!this.running) throw new TasksStoppedError();
    const rec = this.makeRecord(s.type, s.args, s.priority, s.timeoutMs, s.user);
    if (this.queue.size >= this.o.limits.queueMax) {
      this.counters.rejected++;
      throw new TaskQueueFullError(this.o.limits.queueMax, 'SUPERNOVA_TASK_QUEUE_MAX');
    }
    this.records.set(rec.id, rec);
    this.counters.submitted++;
    this.enqueue(rec);
    return rec.id;
  }

  /**
   * One task whose items run as tasks of `type`, at most `concurrency` at once; its result is
   * each item's `{status, result?, error?}` in the order given. Items are checked first: one bad
   * item refuses the whole batch, naming its index.
   */
  submitBatch(b: BatchSubmission): Promise<string> {
    try {
      return Promise.resolve(this.submitBatchNow(b));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  private submitBatchNow(b: BatchSubmission): string {
    if (!this.running) throw new TasksStoppedError();
    const l = this.o.limits;
    if (!Array.isArray(b.items) || b.items.length === 0) throw new InvalidTaskArgsError('batch: items must be a non-empty array');
    if (b.items.length > l.batchMaxItems) throw new InvalidTaskArgsError(`batch: ${b.items.length} items, at most ${l.batchMaxItems} (SUPERNOVA_TASK_BATCH_MAX_ITEMS)`);
    const k = b.concurrency ?? 4;
    if (!Number.isInteger(k) || k < 1 || k > l.workersMax) throw new InvalidTaskArgsError(`batch: concurrency must be an integer in [1, ${l.workersMax}]`);
    const items = b.items.map((args, i) => {
      try {
        return this.makeRecord(b.type, args, b.priority, b.timeoutMs, undefined);
      } catch (err) {
        if (err instanceof InvalidTaskArgsError) throw new InvalidTaskArgsError(`items[${i}]: ${err.message}`);
        throw err;
      }
    });
    if (this.queue.size + Math.min(k, items.length) > l.queueMax) {
      this.counters.rejected++;
      throw new TaskQueueFullError(l.queueMax, 'SUPERNOVA_TASK_QUEUE_MAX');
    }
    const parent = this.makeRecord(b.type, undefined, b.priority, l.timeoutMaxMs, b.user, true);
    parent.items = { done: 0, total: items.length };
    parent.status = 'running';
    parent.startedAt = this.now();
    const outcomes: { status: TaskStatus; result?: unknown; error?: string }[] = new Array(items.length);
    let next = 0;
    const launch = (): void => {
      const item = items[next++];
      if (!item) return;
      item.batch = { onDone: (done) => settle(done) };
      this.records.set(item.id, item);
      this.enqueue(item);
    };
    const settle = (done: TaskRecord): void => {
      this.records.delete(done.id);
      const i = items.indexOf(done);
      outcomes[i] = { status: done.status, ...(done.result !== undefined ? { result: done.result } : {}), ...(done.error !== undefined ? { error: done.error } : {}) };
      const counts = parent.items as { done: number; total: number };
      counts.done++;
      parent.progress = counts.done / counts.total;
      if (parent.status !== 'running') return;
      if (counts.done === counts.total) this.finish(parent, 'succeeded', { result: outcomes });
      else launch();
    };
    parent.stop = () => {
      // Cancelling the batch cancels what runs and drops what has not started.
      next = items.length;
      for (const item of items) if (this.records.has(item.id)) this.cancelRecord(item);
    };
    this.records.set(parent.id, parent);
    this.counters.submitted++;
    for (let i = 0; i < k; i++) launch();
    return parent.id;
  }

  async status(id: string): Promise<TaskView> {
    const rec = typeof id === 'string' ? this.records.get(id) : undefined;
    if (rec && !rec.batch) return viewOf(rec);
    if (typeof id === 'string' && this.o.results && id.length <= 64) {
      const stored = await this.o.results.get(KEY + id).catch(() => {
        this.counters.storeErrors++;
        return undefined;
      });
      if (stored && stored.expiresAt > this.now()) return stored.view;
    }
    throw new TaskNotFoundError(String(id));
  }

  async cancel(id: string): Promise<TaskView> {
    const rec = typeof id === 'string' ? this.records.get(id) : undefined;
    if (!rec || rec.batch) return this.status(id);
    this.cancelRecord(rec);
    return viewOf(rec);
  }

  /** Resolves with the task's view once it is final (memory mode only keeps waiters while it has the record). */
  wait(id: string): Promise<TaskView> {
    const rec = this.records.get(id);
    if (!rec) return this.status(id);
    if (FINAL_STATUSES.has(rec.status)) return Promise.resolve(viewOf(rec));
    return new Promise((resolve) => (rec.waiters ??= []).push(resolve));
  }

  stats(): TaskStats {
    return {
      mode: this.mode,
      queued: this.queue.depth(),
      oldestWaitMs: this.queue.oldestWaitMs(),
      running: this.busy,
      workers: this.workers.size,
      workersMin: this.o.limits.workersMin,
      workersMax: this.o.limits.workersMax,
      kept: this.finished.size,
      keptBytes: this.finishedBytes,
      cpu: this.o.cpu?.stats() ?? { threads: 0, queued: 0, completed: 0 },
      counters: { ...this.counters },
    };
  }

  private makeRecord(type: string, args: unknown, priority: Priority | undefined, timeoutMs: number | undefined, user: string | undefined, batch = false): TaskRecord {
    const l = this.o.limits;
    const def = this.o.registry.get(type);
    let parsed: unknown;
    if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > l.timeoutMaxMs)) {
      this.counters.invalid++;
      throw new InvalidTaskArgsError(`timeoutMs must be an integer in [1, ${l.timeoutMaxMs}] (SUPERNOVA_TASK_TIMEOUT_MAX_MS)`);
    }
    if (!batch) {
      try {
        parsed = this.o.registry.parse(type, args);
        // Measured only when it might be large: a small args object cannot reach the bound.
        if (typeof args === 'object' && args !== null && pack(args).length > l.argsMaxBytes) {
          throw new InvalidTaskArgsError(`${type}: args are over ${l.argsMaxBytes} bytes (SUPERNOVA_TASK_ARGS_MAX_BYTES)`);
        }
      } catch (err) {
        this.counters.invalid++;
        throw err;
      }
    }
    const now = this.now();
    return {
      id: randomUUID(), type, def, args: parsed, priority: priority ?? 'normal',
      timeoutMs: timeoutMs ?? def.timeoutMs ?? l.timeoutMs, user, createdAt: now,
      status: 'queued', progress: 0, attempts: 0, queuedAt: now, bytes: 0,
    };
  }

  private enqueue(rec: TaskRecord): void {
    rec.status = 'queued';
    rec.queuedAt = this.now();
    this.queue.push(rec, rec.priority);
    this.pump();
  }

  /** Hands queued tasks to idle workers. */
  private pump(): void {
    while (this.idle.length > 0 && this.queue.size > 0) {
      const worker = this.idle.pop() as Worker;
      if (worker.retiring || worker.ref.stopped) continue;
      const rec = this.queue.pop() as TaskRecord;
      this.startOn(worker, rec);
    }
  }

  private begin(worker: Worker, rec: TaskRecord): void {
    const now = this.now();
    rec.status = 'running';
    rec.attempts++;
    rec.startedAt = now;
    this.o.events?.started?.(rec.type, rec.priority, (now - rec.queuedAt) / 1000);
    worker.busy = true;
    this.busy++;
  }

  private startOn(worker: Worker, rec: TaskRecord): void {
    this.begin(worker, rec);
    if (!worker.ref.tell({ rec })) {
      // A stopped actor (its supervisor gave up on it): replace it and put the task back first in line.
      worker.busy = false;
      this.busy--;
      this.workers.delete(worker);
      this.counters.workerRestarts++;
      rec.attempts--;
      rec.status = 'queued';
      this.queue.push(rec, 'high');
      if (this.running) this.addWorker();
    }
  }

  private addWorker(): void {
    const supervisor = this.supervisor as Supervisor;
    const limits = this.o.limits;
    const worker: Worker = { busy: false, retiring: false } as Worker;
    worker.ref = supervisor.spawn<null, WorkerMsg>({
      name: 'task-worker',
      initialState: () => null,
      // One message at a time: the one in flight, and none waiting (the dispatcher only tells an idle worker).
      mailboxLimit: 2,
      // executeAttempt ends by the task's own timeout; this only guards against a defect in it.
      handlerTimeoutMs: Math.min(MAX_TIMER_MS, limits.timeoutMaxMs + 10_000),
      // A worker that finishes a task takes the next queued one itself, for up to PULL_BUDGET_MS,
      // rather than going back to idle for a message per task: the mailbox hop costs more than a
      // trivial task. One task at a time still; each with its own timeout.
      handle: async (state, msg) => {
        const until = performance.now() + PULL_BUDGET_MS;
        let rec: TaskRecord | undefined = msg.rec;
        while (rec) {
          const outcome = await executeAttempt(rec, this.o.cpu);
          rec = this.done(worker, rec, outcome, performance.now() < until);
        }
        return state;
      },
      onStop: () => {
        if (this.workers.delete(worker) && this.running && !worker.retiring) {
          this.counters.workerRestarts++;
          this.addWorker();
        }
      },
    });
    this.workers.add(worker);
    this.idle.push(worker);
    this.pump();
  }

  /** Books an attempt's end; returns the worker's next task when it may go on (see the handler). */
  private done(worker: Worker, rec: TaskRecord, outcome: Outcome, goOn: boolean): TaskRecord | undefined {
    worker.busy = false;
    this.busy--;
    if (rec.startedAt !== undefined) this.o.events?.ran?.(rec.type, outcome.kind, (this.now() - rec.startedAt) / 1000);
    if (rec.status === 'running') this.settle(rec, outcome);
    if (worker.retiring) {
      worker.ref.stop();
      return undefined;
    }
    if (!this.running) return undefined;
    if (goOn && !worker.ref.stopped) {
      const next = this.queue.pop();
      if (next) {
        this.begin(worker, next);
        return next;
      }
    }
    this.idle.push(worker);
    this.pump();
    return undefined;
  }

  private settle(rec: TaskRecord, outcome: Outcome): void {
    switch (outcome.kind) {
      case 'ok': {
        let bytes: number;
        try {
          bytes = outcome.value === undefined ? 0 : rec.bytes > 0 ? rec.bytes : pack(outcome.value).length;
        } catch {
          return this.finish(rec, 'failed', { error: 'the result cannot be encoded (msgpack)' });
        }
        if (bytes > this.o.limits.resultMaxBytes) {
          return this.finish(rec, 'failed', { error: `the result is ${bytes} bytes, over ${this.o.limits.resultMaxBytes} (SUPERNOVA_TASK_RESULT_MAX_BYTES)` });
        }
        rec.bytes = bytes;
        rec.progress = 1;
        return this.finish(rec, 'succeeded', { result: outcome.value });
      }
      case 'cancelled':
        return this.finish(rec, 'cancelled', {});
      case 'error':
      case 'timeout': {
        if (rec.def.retryable && rec.attempts < this.o.limits.attempts && this.running) return this.retry(rec);
        return this.finish(rec, outcome.kind === 'timeout' ? 'timed_out' : 'failed', { error: outcome.message });
      }
    }
  }

  /** Full jitter: a random delay up to BASE * 2^(attempt-1), so retries of many failed tasks spread out. */
  private retry(rec: TaskRecord): void {
    this.counters.retries++;
    rec.status = 'queued';
    rec.progress = 0;
    const delay = Math.floor(Math.random() * this.o.limits.retryBaseMs * 2 ** (rec.attempts - 1));
    this.retrying.add(rec);
    rec.retryTimer = setTimeout(() => {
      this.retrying.delete(rec);
      rec.retryTimer = undefined;
      if (rec.status === 'queued') this.enqueue(rec);
    }, Math.min(delay, MAX_TIMER_MS));
  }

  private cancelRecord(rec: TaskRecord): void {
    if (FINAL_STATUSES.has(rec.status)) return;
    if (rec.retryTimer) {
      clearTimeout(rec.retryTimer);
      this.retrying.delete(rec);
      rec.retryTimer = undefined;
    }
    this.queue.remove(rec, rec.priority);
    const stop = rec.stop;
    this.finish(rec, 'cancelled', {});
    // A running attempt ends at once (its worker is freed by the race in executeAttempt).
    stop?.('cancelled');
  }

  private finish(rec: TaskRecord, status: TaskStatus, end: { result?: unknown; error?: string }): void {
    rec.status = status;
    rec.finishedAt = this.now();
    if (end.result !== undefined) rec.result = end.result;
    if (end.error !== undefined) rec.error = end.error;
    const c = this.counters;
    if (status === 'succeeded') c.succeeded++;
    else if (status === 'failed') c.failed++;
    else if (status === 'timed_out') c.timedOut++;
    else if (status === 'cancelled') c.cancelled++;
    const waiters = rec.waiters;
    rec.waiters = undefined;
    if (rec.batch) {
      rec.batch.onDone(rec);
      if (waiters) for (const w of waiters) w(viewOf(rec));
      return;
    }
    this.keep(rec);
    const view = viewOf(rec);
    if (waiters) for (const w of waiters) w(view);
    this.o.events?.finished?.(view, rec.user);
  }

  /** Keeps a finished record in memory for the TTL, within the bounds, and writes it through to the store. */
  private keep(rec: TaskRecord): void {
    const l = this.o.limits;
    this.finished.set(rec.id, rec);
    this.finishedBytes += rec.bytes;
    while (this.finished.size > l.recordsMax || this.finishedBytes > l.resultsMaxBytes) this.dropOldest();
    const store = this.o.results;
    if (store) {
      store.set(KEY + rec.id, { view: viewOf(rec), expiresAt: (rec.finishedAt ?? this.now()) + l.resultTtlMs }).catch(() => {
        this.counters.storeErrors++;
      });
    }
  }

  private dropOldest(): void {
    for (const [id, rec] of this.finished) {
      this.finished.delete(id);
      this.records.delete(id);
      this.finishedBytes -= rec.bytes;
      return;
    }
  }

  private sweep(): void {
    const cutoff = this.now() - this.o.limits.resultTtlMs;
    for (const rec of this.finished.values()) {
      if ((rec.finishedAt ?? 0) > cutoff) break;
      this.dropOldest();
    }
  }

  private scale(): void {
    if (!this.running) return;
    const now = this.now();
    const queued = this.queue.size;
    if (queued > 0 || this.busy >= this.workers.size) this.calmSince = now;
    const l = this.o.limits;
    const step = scaleStep(
      { size: this.workers.size, busy: this.busy, queued, oldestWaitMs: this.queue.oldestWaitMs(), calmForMs: now - this.calmSince },
      { min: l.workersMin, max: l.workersMax, upWaitMs: l.scaleUpWaitMs, downIdleMs: l.scaleDownIdleMs },
    );
    if (step > 0) {
      this.counters.scaledUp += step;
      for (let i = 0; i < step; i++) this.addWorker();
    } else if (step < 0) {
      const worker = this.idle.pop();
      if (!worker) return;
      this.counters.scaledDown++;
      worker.retiring = true;
      this.workers.delete(worker);
      worker.ref.stop();
    }
  }
}
