import { randomUUID } from 'node:crypto';
import { pack } from 'msgpackr';
import { ask, type ActorRef, type Supervisor } from '../runtime/index.js';
import { InvalidTaskArgsError, TaskNotFoundError, TaskQueueFullError, TasksStoppedError, TasksUnavailableError } from './errors.js';
import type { CpuPool } from './cpu-pool.js';
import { BatchAdmission, DispatchInbox, type DispatcherMsg } from './dispatch-inbox.js';
import { DispatcherCore, RESULT_KEY, spawnDispatcher } from './dispatcher.js';
import { viewOf, type TaskRecord } from './record.js';
import type { TaskRegistry } from './registry.js';
import type { TaskCounters, TaskEvents, TaskLimits, TaskResultStore, Tasks, TaskStats } from './tasks.js';
import { FINAL_STATUSES, type BatchSubmission, type TaskDefinition, type Priority, type Submission, type TaskView } from './types.js';

export interface MemoryTasksOptions {
  runtime: { supervisor(name: string): Supervisor };
  registry: TaskRegistry;
  cpu?: CpuPool;
  limits: TaskLimits;
  /** Finished tasks written through (the cache: Redis and PostgreSQL when configured), read back once memory has let them go. */
  results?: TaskResultStore;
  events?: TaskEvents;
  now?: () => number;
  /** Tests only: accept injected dispatcher faults (`testing`). */
  faults?: boolean;
}

/** How long cancel() and stop() wait for the dispatcher's answer. */
const ASK_MS = 5_000;

/**
 * Memory mode. A dispatcher actor (`task-dispatcher`, see DispatcherCore) owns the priority queue
 * (with aging) and the task records and makes every dispatch decision; a pool of supervised
 * worker actors (`task-workers`) runs one task at a time each and reports each outcome to it.
 * This facade only checks and admits: it answers a submission (id, or 429) synchronously from
 * its admission count, puts the record in the dispatcher's inbox and wakes it; status and wait
 * read the records the dispatcher publishes, cancel asks it.
 */
export class MemoryTasks implements Tasks {
  readonly mode = 'memory' as const;
  private readonly inbox: DispatchInbox;
  private core: DispatcherCore | undefined;
  private dispatcher: ActorRef<DispatcherMsg> | undefined;
  private supervisors: Supervisor[] = [];
  private scaleTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private running = false;
  readonly counters: TaskCounters = { submitted: 0, succeeded: 0, failed: 0, timedOut: 0, cancelled: 0, retries: 0, rejected: 0, invalid: 0, scaledUp: 0, scaledDown: 0, workerRestarts: 0, dispatcherRestarts: 0, storeErrors: 0, handedBack: 0 };
  private readonly now: () => number;

  constructor(private readonly o: MemoryTasksOptions) {
    this.now = o.now ?? Date.now;
    this.inbox = new DispatchInbox(() => this.dispatcher);
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
    const dispatchers = this.o.runtime.supervisor('task-dispatcher');
    const workers = this.o.runtime.supervisor('task-workers');
    this.supervisors = [dispatchers, workers];
    const core = new DispatcherCore({
      limits: this.o.limits, inbox: this.inbox, counters: this.counters, workers, cpu: this.o.cpu,
      results: this.o.results, events: this.o.events, faults: this.o.faults === true, now: this.now,
    });
    this.core = core;
    this.dispatcher = spawnDispatcher(dispatchers, core, () => {
      // Only a stopped runtime stops it while running (its crash policy always resets): nothing
      // will take the tasks any more, so they end now, saying why.
      if (!this.running) return;
      this.running = false;
      clearInterval(this.scaleTimer);
      clearInterval(this.sweepTimer);
      core.shutdown('the task dispatcher stopped', 'failed');
      this.dropAdmitted('the task dispatcher stopped');
    });
    // Ticks are messages: a tick the full mailbox refuses is simply the next one. Each also
    // re-sends a drain the mailbox refused.
    this.scaleTimer = setInterval(() => {
      if (!this.inbox.empty) this.inbox.wake();
      this.dispatcher?.tell({ type: 'scale' });
    }, this.o.limits.scaleIntervalMs);
    this.scaleTimer.unref();
    this.sweepTimer = setInterval(() => this.dispatcher?.tell({ type: 'sweep' }), Math.min(60_000, Math.max(100, Math.floor(this.o.limits.resultTtlMs / 10))));
    this.sweepTimer.unref();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.scaleTimer);
    clearInterval(this.sweepTimer);
    const dispatcher = this.dispatcher as ActorRef<DispatcherMsg>;
    // Queued and running tasks end cancelled: nobody runs them once the engine is gone.
    await ask<DispatcherMsg, true>(dispatcher, (reply) => ({ type: 'shutdown', reply }), ASK_MS).catch(() => {
      this.core?.shutdown('the engine stopped');
    });
    this.dropAdmitted('the engine stopped');
    for (const s of this.supervisors.reverse()) s.stop();
    this.supervisors = [];
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
    if (this.queued() >= this.o.limits.queueMax) {
      this.counters.rejected++;
      throw new TaskQueueFullError(this.o.limits.queueMax, 'SUPERNOVA_TASK_QUEUE_MAX');
    }
    this.counters.submitted++;
    (this.core as DispatcherCore).records.set(rec.id, rec);
    this.inbox.admit(rec);
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
    if (this.queued() + Math.min(k, items.length) > l.queueMax) {
      this.counters.rejected++;
      throw new TaskQueueFullError(l.queueMax, 'SUPERNOVA_TASK_QUEUE_MAX');
    }
    const parent = this.makeRecord(b.type, undefined, b.priority, l.timeoutMaxMs, b.user, true);
    parent.items = { done: 0, total: items.length };
    parent.status = 'running';
    parent.startedAt = this.now();
    this.counters.submitted++;
    (this.core as DispatcherCore).records.set(parent.id, parent);
    this.inbox.admit(new BatchAdmission(parent, items, k));
    return parent.id;
  }

  async status(id: string): Promise<TaskView> {
    const rec = typeof id === 'string' ? this.record(id) : undefined;
    if (rec && !rec.batch) return viewOf(rec);
    if (typeof id === 'string' && this.o.results && id.length <= 64) {
      const stored = await this.o.results.get(RESULT_KEY + id).catch(() => {
        this.counters.storeErrors++;
        return undefined;
      });
      if (stored && stored.expiresAt > this.now()) return stored.view;
    }
    throw new TaskNotFoundError(String(id));
  }

  async cancel(id: string): Promise<TaskView> {
    const rec = typeof id === 'string' ? this.record(id) : undefined;
    if (!rec || rec.batch) return this.status(id);
    if (FINAL_STATUSES.has(rec.status) || !this.dispatcher) return viewOf(rec);
    let view: TaskView | undefined;
    try {
      view = await ask<DispatcherMsg, TaskView | undefined>(this.dispatcher, (reply) => ({ type: 'cancel', id, reply }), ASK_MS);
    } catch (err) {
      throw new TasksUnavailableError('the task dispatcher did not take the cancellation', { cause: err });
    }
    return view ?? this.status(id);
  }

  /** Resolves with the task's view once it is final (memory mode only keeps waiters while it has the record). */
  wait(id: string): Promise<TaskView> {
    const rec = this.record(id);
    if (!rec) return this.status(id);
    if (FINAL_STATUSES.has(rec.status)) return Promise.resolve(viewOf(rec));
    // The one thing the facade adds to a record: the dispatcher settles its waiters when it finishes it.
    return new Promise((resolve) => (rec.waiters ??= []).push(resolve));
  }

  stats(): TaskStats {
    const core = this.core;
    return {
      mode: this.mode,
      queued: this.depth(),
      oldestWaitMs: core ? core.queue.oldestWaitMs() : 0,
      running: core?.busy ?? 0,
      workers: core?.workers.size ?? 0,
      workersMin: this.o.limits.workersMin,
      workersMax: this.o.limits.workersMax,
      kept: core?.finished.size ?? 0,
      keptBytes: core?.finishedBytes ?? 0,
      cpu: this.o.cpu?.stats() ?? { threads: 0, queued: 0, completed: 0 },
      counters: { ...this.counters },
    };
  }

  /** Fault injection for tests of the dispatcher's supervision (needs the `faults` option): real crashes of its handler. */
  get testing(): { crash(): void; crashOnInboxItem(n: number): void; admittedQueued(): number } {
    const tell = (msg: DispatcherMsg): void => {
      if (!this.o.faults) throw new Error('fault injection needs the faults option');
      this.dispatcher?.tell(msg);
    };
    return {
      crash: () => tell({ type: 'fault' }),
      crashOnInboxItem: (n) => tell({ type: 'fault', after: n }),
      admittedQueued: () => this.inbox.admittedQueued,
    };
  }

  private depth(): Record<Priority, number> {
    const d = this.core?.queue.depth() ?? { high: 0, normal: 0, low: 0 };
    const a = this.inbox.admittedDepth;
    return { high: d.high + a.high, normal: d.normal + a.normal, low: d.low + a.low };
  }

  /** Queued tasks: those admitted and not yet taken by the dispatcher, and those in its queue. */
  private queued(): number {
    return this.inbox.admittedQueued + (this.core?.queue.size ?? 0);
  }

  private record(id: string): TaskRecord | undefined {
    return this.core?.records.get(id);
  }

  /** Admissions no dispatcher will take: they end cancelled with `error`. */
  private dropAdmitted(error: string): void {
    for (const a of this.inbox.admitted) {
      const rec = a instanceof BatchAdmission ? a.parent : a;
      rec.status = 'cancelled';
      rec.error = error;
      rec.finishedAt = this.now();
      this.counters.cancelled++;
      const waiters = rec.waiters;
      rec.waiters = undefined;
      if (waiters) for (const w of waiters) w(viewOf(rec));
    }
    for (const a of this.inbox.admitted.splice(0)) this.inbox.taken(a);
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
}
