import { randomUUID } from 'node:crypto';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import { pack } from 'msgpackr';
import type { RedisClient, RedisConnector } from '../../src/redis/index.js';
import type { ActorRef, Supervisor } from '../runtime/index.js';
import { InvalidTaskArgsError, TaskError, TaskNotFoundError, TaskQueueFullError, TasksStoppedError, TasksUnavailableError, TaskTimeoutError } from './errors.js';
import { executeAttempt, type Outcome } from './execute.js';
import type { CpuPool } from './cpu-pool.js';
import type { TaskRecord } from './record.js';
import { TYPE_PATTERN, type TaskRegistry } from './registry.js';
import { scaleStep } from './scaling.js';
import type { TaskCounters, TaskEvents, TaskLimits, Tasks, TaskStats } from './tasks.js';
import { PRIORITIES, PRIORITY_LEVEL, TASK_ID_PATTERN, type BatchSubmission, type Priority, type Submission, type TaskDefinition, type TaskStatus, type TaskView } from './types.js';

export interface DurableTasksOptions {
  connector: RedisConnector;
  /** SUPERNOVA_REDIS_PREFIX: the queue's keys are PREFIX:tasks:* (in one hash slot on a cluster). */
  prefix: string;
  /** SUPERNOVA_TASK_LOCK_MS. */
  lockMs: number;
  node: string;
  runtime: { supervisor(name: string): Supervisor };
  registry: TaskRegistry;
  cpu?: CpuPool;
  limits: TaskLimits;
  events?: TaskEvents;
  onError: (where: string, err: unknown) => void;
}

/** What a job carries: everything another engine needs to run it and answer for it. */
interface JobData {
  type: string;
  args: unknown;
  priority: Priority;
  timeoutMs: number;
  user?: string;
  /** A batch: the items' type and arguments, at most `concurrency` at once. */
  batch?: { items: unknown[]; concurrency: number };
}

interface WorkerMsg {
  rec: TaskRecord;
  done: (outcome: Outcome) => void;
}

/** The internal type a batch runs as. */
const BATCH = '$batch';
/** The shared queue, of every type without a queue of its own. */
const MAIN_QUEUE = 'q';
/** The queue of a type with `ownQueue`: only engines that run the type consume it. */
const queueName = (type: string): string => `type.${type}`;
/**
 * The id of a task of an own-queue type names the queue (`TYPE~UUID`; a type never holds `~`),
 * so that any engine finds it in one read, one of a type it does not know included; a bare UUID
 * is a job of the shared queue.
 */
const queueOfId = (id: string): string | undefined => {
  const at = id.lastIndexOf('~');
  if (at < 0) return MAIN_QUEUE;
  // Not a type's name: no queue is opened for it.
  const type = id.slice(0, at);
  return TYPE_PATTERN.test(type) ? queueName(type) : undefined;
};
/** BullMQ's priority: 1 is the highest; 0 would mean none (ahead of every prioritised job). */
const BULL_PRIORITY: Record<Priority, number> = { high: 1, normal: 2, low: 3 };
const QUEUED_STATES = ['waiting', 'prioritized', 'delayed', 'waiting-children'] as const;
/** Jobs looked at per aging pass. */
const AGING_SCAN = 1_000;
/** How long a job of a type this engine does not know waits before it is offered again. */
const UNKNOWN_TYPE_DELAY_MS = 1_000;
/** How long a request's Redis work may take before it is answered 503. */
const IO_TIMEOUT_MS = 5_000;
/** Retries of a first connection while Redis is away: from this, doubling, up to the max. */
const OPEN_RETRY_MS = 250;
const OPEN_RETRY_MAX_MS = 5_000;
/** Progress goes to Redis at most this often per task. */
const PROGRESS_MS = 250;

/**
 * Durable mode: the queue is BullMQ on Redis, shared by every engine with the same prefix, so
 * queued tasks survive a restart and a task whose engine died (its lock lapses after
 * SUPERNOVA_TASK_LOCK_MS) is run again by another. BullMQ's worker hands each job to one of this
 * engine's worker actors, which runs the attempt as in memory mode (timeout, cancellation, CPU
 * pool); its concurrency is the pool's size, scaled on the shared queue's depth and wait.
 * Priorities are BullMQ's (strict), with aging as a periodic promotion of jobs that waited;
 * retries are BullMQ's attempts with a jittered backoff; a cancellation is a marker key plus a
 * message on PREFIX:tasks:cancel that the engine running the task acts on.
 */
export class DurableTasks implements Tasks {
  readonly mode = 'redis' as const;
  private readonly keyPrefix: string;
  /** The shared queue and those of the own-queue types this engine runs, by name, opened once Redis answers (others are opened for a read: inQueueOf()). */
  private readonly queues = new Map<string, Queue>();
  /** One per queue of `queues`. */
  private readonly workers: Worker[] = [];
  /** Jobs each worker runs now (its concurrency follows it: see rebalance()). */
  private readonly runningIn = new Map<Worker, number>();
  /** Jobs that hold their lock and wait for a worker actor (several queues share the pool). */
  private readonly waitingForActor: ((actor: ActorRef<WorkerMsg> | undefined) => void)[] = [];
  private client: RedisClient | undefined;
  private readonly workerClients: RedisClient[] = [];
  private subscriber: RedisClient | undefined;
  private supervisor: Supervisor | undefined;
  private readonly actors: ActorRef<WorkerMsg>[] = [];
  private readonly idle: ActorRef<WorkerMsg>[] = [];
  /** Tasks running here, by id: a cancel message aborts them. */
  private readonly runningHere = new Map<string, TaskRecord>();
  private timers: NodeJS.Timeout[] = [];
  private running = false;
  /** The opening of the queue once Redis answers (see open()). */
  private opened: Promise<void> | undefined;
  /** Ends open()'s wait between attempts: stop() does not wait for it. */
  private wakeOpen: (() => void) | undefined;
  /** Adds started on this engine and not yet in Redis. */
  private adding = 0;
  private calmSince = Date.now();
  private depth: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
  private oldestWaitMs = 0;
  readonly counters: TaskCounters = { submitted: 0, succeeded: 0, failed: 0, timedOut: 0, cancelled: 0, retries: 0, rejected: 0, invalid: 0, scaledUp: 0, scaledDown: 0, workerRestarts: 0, dispatcherRestarts: 0, storeErrors: 0, handedBack: 0 };

  constructor(private readonly o: DurableTasksOptions) {
    // BullMQ's scripts touch several keys of a queue: on a cluster they must share a slot.
    this.keyPrefix = o.connector.topology === 'cluster' ? `{${o.prefix}:tasks}` : `${o.prefix}:tasks`;
  }

  get registry(): TaskRegistry {
    return this.o.registry;
  }

  register<A, R>(type: string, definition: TaskDefinition<A, R>): void {
    this.o.registry.register(type, definition);
  }

  private key(name: string): string {
    return `${this.keyPrefix}:${name}`;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const c = this.o.connector;
    this.o.cpu?.start();
    // BullMQ needs maxRetriesPerRequest null: its blocking commands wait longer than a request timeout.
    this.client = c.command('tasks', { maxRetriesPerRequest: null });
    // A connection per worker (BullMQ adds a blocking one to each).
    for (const queue of this.consumed()) this.workerClients.push(c.command(`tasks-worker-${queue}`, { maxRetriesPerRequest: null }));
    this.subscriber = c.subscriber('tasks-cancel', { maxRetriesPerRequest: null });
    for (const client of this.connections()) client.on('error', (err: unknown) => this.o.onError('tasks redis', err));
    this.supervisor = this.o.runtime.supervisor('task-workers');
    // Like the rest of the engine, this starts without Redis: requests answer TasksUnavailable
    // (503 / error 108) until it answers, then the queue opens.
    let firstTried!: () => void;
    const tried = new Promise<void>((resolve) => (firstTried = resolve));
    this.opened = this.open(firstTried).catch((err: unknown) => this.o.onError('tasks redis', err)).finally(firstTried);
    // A Redis that answers opens the queue before start() returns; one that does not, later.
    await tried;
  }

  /** The queues this engine consumes: the shared one, and each own-queue type's it runs. */
  private consumed(): string[] {
    return [MAIN_QUEUE, ...this.o.registry.types().filter((t) => this.o.registry.get(t).ownQueue).map(queueName)];
  }

  private connections(): RedisClient[] {
    return [this.client, ...this.workerClients, this.subscriber].filter((c): c is RedisClient => c !== undefined);
  }

  /** Connects (again and again while Redis is away), then opens the queues and their workers. */
  private async open(firstTried: () => void): Promise<void> {
    const c = this.o.connector;
    const clients = this.connections();
    const subscriber = this.subscriber as RedisClient;
    subscriber.on('message', (_channel: string, id: string) => this.runningHere.get(id)?.stop?.('cancelled'));
    for (let attempt = 0; this.running; attempt++) {
      try {
        await Promise.all(clients.map((client) => c.connect(client)));
        await subscriber.subscribe(this.key('cancel'));
        break;
      } catch (err) {
        if (attempt === 0) {
          this.o.onError('tasks redis', err);
          firstTried();
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(OPEN_RETRY_MAX_MS, OPEN_RETRY_MS * 2 ** attempt));
          this.wakeOpen = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    }
    if (!this.running) return;
    for (const name of this.consumed()) this.queues.set(name, this.openQueue(name));
    const l = this.o.limits;
    for (let i = 0; i < l.workersMin; i++) this.addActor();
    this.consumed().forEach((name, i) => {
      const worker: Worker = new Worker(name, (job, token, signal) => this.process(worker, job, token, signal), {
        connection: this.workerClients[i] as RedisClient,
        prefix: this.keyPrefix,
        concurrency: l.workersMin,
        lockDuration: this.o.lockMs,
        stalledInterval: Math.max(250, Math.floor(this.o.lockMs / 2)),
        // A task whose engine died is run once more; a second stall fails it.
        maxStalledCount: 1,
        settings: { backoffStrategy: (attemptsMade: number) => Math.floor(Math.random() * l.retryBaseMs * 2 ** Math.max(0, attemptsMade - 1)) },
      });
      worker.on('error', (err) => this.o.onError('tasks worker', err));
      worker.on('failed', (job, err) => {
        if (!job) return;
        if (job.attemptsMade < (job.opts.attempts ?? 1) && !(err instanceof UnrecoverableError)) this.counters.retries++;
      });
      this.workers.push(worker);
      this.runningIn.set(worker, 0);
    });
    this.rebalance();
    const every = (ms: number, run: () => Promise<void>) => {
      const t = setInterval(() => void run().catch((err: unknown) => this.o.onError('tasks maintenance', err)), ms);
      t.unref();
      this.timers.push(t);
    };
    every(l.scaleIntervalMs, () => this.scale());
    every(l.agingMs, () => this.age());
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeOpen?.();
    await this.opened;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    // Running tasks are abandoned, not failed: their locks lapse and another engine runs them.
    await Promise.all(this.workers.map((w) => w.close(true).catch(() => undefined)));
    for (const rec of this.runningHere.values()) rec.stop?.('cancelled');
    for (const wake of this.waitingForActor.splice(0)) wake(undefined);
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.workers.length = 0;
    this.runningIn.clear();
    this.queues.clear();
    this.supervisor?.stop();
    this.actors.length = 0;
    this.idle.length = 0;
    for (const client of this.connections()) client.disconnect();
    this.workerClients.length = 0;
    await this.o.cpu?.stop();
  }

  submit(s: Submission): Promise<string> {
    return this.io('submit', () => this.submitNow(s));
  }

  submitBatch(b: BatchSubmission): Promise<string> {
    return this.io('submit', () => this.submitBatchNow(b));
  }

  status(id: string): Promise<TaskView> {
    return this.io('status', () => this.statusNow(id));
  }

  cancel(id: string): Promise<TaskView> {
    return this.io('cancel', () => this.cancelNow(id));
  }

  /**
   * A request's Redis work, bounded in time: BullMQ's connections queue commands while Redis is
   * away (they must, for its blocking reads), so without this a request would wait for the outage.
   */
  private io<T>(what: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TasksUnavailableError(`${what} took over ${IO_TIMEOUT_MS} ms`)), IO_TIMEOUT_MS);
    });
    const work = run().catch((err: unknown) => {
      if (err instanceof TaskError) throw err;
      throw new TasksUnavailableError(what, { cause: err });
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  private async submitNow(s: Submission): Promise<string> {
    this.live();
    const def = this.o.registry.get(s.type);
    const args = this.checked(s.type, s.args);
    const timeoutMs = this.timeout(s.timeoutMs, def);
    const release = await this.bound(1);
    const data: JobData = { type: s.type, args, priority: s.priority ?? 'normal', timeoutMs, ...(s.user ? { user: s.user } : {}) };
    return this.add(data, def.retryable ? this.o.limits.attempts : 1).finally(release);
  }

  /** In redis mode a batch is one job: the engine that takes it runs its items, at most K at once. */
  private async submitBatchNow(b: BatchSubmission): Promise<string> {
    this.live();
    const l = this.o.limits;
    const def = this.o.registry.get(b.type);
    if (!Array.isArray(b.items) || b.items.length === 0) throw new InvalidTaskArgsError('batch: items must be a non-empty array');
    if (b.items.length > l.batchMaxItems) throw new InvalidTaskArgsError(`batch: ${b.items.length} items, at most ${l.batchMaxItems} (SUPERNOVA_TASK_BATCH_MAX_ITEMS)`);
    const k = b.concurrency ?? 4;
    if (!Number.isInteger(k) || k < 1 || k > l.workersMax) throw new InvalidTaskArgsError(`batch: concurrency must be an integer in [1, ${l.workersMax}]`);
    const items = b.items.map((a, i) => {
      try {
        return this.checked(b.type, a);
      } catch (err) {
        if (err instanceof InvalidTaskArgsError) throw new InvalidTaskArgsError(`items[${i}]: ${err.message}`);
        throw err;
      }
    });
    const timeoutMs = this.timeout(b.timeoutMs, def);
    const release = await this.bound(1);
    return this.add({ type: b.type, args: null, priority: b.priority ?? 'normal', timeoutMs, batch: { items, concurrency: k }, ...(b.user ? { user: b.user } : {}) }, 1).finally(release);
  }

  private async statusNow(id: string): Promise<TaskView> {
    this.live();
    if (typeof id !== 'string' || !TASK_ID_PATTERN.test(id)) throw new TaskNotFoundError(String(id));
    // The state first, then the job: read the other way round, a job that completes in between
    // would be reported succeeded with the fields it had while running (no result).
    const [state, job, marker] = await this.inQueueOf(id, async (queue) => {
      const s = await queue.getJobState(id);
      return [s, ...(await Promise.all([queue.getJob(id), this.client?.get(this.key(`cancelled:${id}`))]))] as const;
    });
    if (marker) {
      const m = JSON.parse(marker) as Pick<TaskView, 'type' | 'priority' | 'createdAt' | 'user'> & { finishedAt: number };
      return { id, type: m.type, status: 'cancelled', progress: 0, priority: m.priority, attempts: job?.attemptsMade ?? 0, createdAt: m.createdAt, finishedAt: m.finishedAt, ...(m.user ? { user: m.user } : {}) };
    }
    if (!job || state === 'unknown') throw new TaskNotFoundError(id);
    return this.viewOf(job, state);
  }

  private async cancelNow(id: string): Promise<TaskView> {
    const view = await this.statusNow(id);
    if (view.status !== 'queued' && view.status !== 'running') return view;
    const ttlS = Math.ceil(this.o.limits.resultTtlMs / 1000);
    const marker = JSON.stringify({ type: view.type, priority: view.priority, createdAt: view.createdAt, finishedAt: Date.now(), ...(view.user ? { user: view.user } : {}) });
    await this.client?.set(this.key(`cancelled:${id}`), marker, 'EX', ttlS);
    // A queued job goes; a running one (its lock held by an engine) is told to stop wherever it runs.
    const job = await this.inQueueOf(id, (queue) => queue.getJob(id));
    if (view.status === 'queued') await job?.remove().catch(() => undefined);
    await this.client?.publish(this.key('cancel'), id);
    this.counters.cancelled++;
    return this.statusNow(id);
  }

  async wait(id: string): Promise<TaskView> {
    for (;;) {
      const view = await this.status(id);
      if (view.status !== 'queued' && view.status !== 'running') return view;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  stats(): TaskStats {
    const busy = this.actors.length - this.idle.length;
    return {
      mode: this.mode, queued: { ...this.depth }, oldestWaitMs: this.oldestWaitMs, running: busy, workers: this.actors.length,
      workersMin: this.o.limits.workersMin, workersMax: this.o.limits.workersMax, kept: 0, keptBytes: 0,
      cpu: this.o.cpu?.stats() ?? { threads: 0, queued: 0, completed: 0 }, counters: { ...this.counters },
    };
  }

  private live(): void {
    if (!this.running) throw new TasksStoppedError();
    if (this.queues.size === 0) throw new TasksUnavailableError(`not connected to ${this.o.connector.describe()} yet`);
  }

  /**
   * Runs `read` on the queue an id names. The queue of a type this engine does not know (one
   * registered only on other engines, or any text a client sent) is opened for the read alone,
   * so that ids cannot make this engine keep queues without bound.
   */
  private async inQueueOf<T>(id: string, read: (queue: Queue) => Promise<T>): Promise<T> {
    const name = queueOfId(id);
    if (name === undefined) throw new TaskNotFoundError(id);
    const known = this.queues.get(name);
    if (known) return read(known);
    const queue = this.openQueue(name);
    try {
      return await read(queue);
    } finally {
      // The connection is shared (BullMQ does not close a client it was given).
      await queue.close().catch(() => undefined);
    }
  }

  private openQueue(name: string): Queue {
    const queue = new Queue(name, { connection: this.client as RedisClient, prefix: this.keyPrefix });
    queue.on('error', (err) => this.o.onError('tasks queue', err));
    return queue;
  }


  private checked(type: string, args: unknown): unknown {
    try {
      const parsed = this.o.registry.parse(type, args);
      if (typeof args === 'object' && args !== null && pack(args).length > this.o.limits.argsMaxBytes) {
        throw new InvalidTaskArgsError(`${type}: args are over ${this.o.limits.argsMaxBytes} bytes (SUPERNOVA_TASK_ARGS_MAX_BYTES)`);
      }
      return parsed;
    } catch (err) {
      this.counters.invalid++;
      throw err;
    }
  }

  private timeout(asked: number | undefined, def: TaskDefinition): number {
    const l = this.o.limits;
    if (asked !== undefined && (!Number.isInteger(asked) || asked < 1 || asked > l.timeoutMaxMs)) {
      this.counters.invalid++;
      throw new InvalidTaskArgsError(`timeoutMs must be an integer in [1, ${l.timeoutMaxMs}] (SUPERNOVA_TASK_TIMEOUT_MAX_MS)`);
    }
    return asked ?? def.timeoutMs ?? l.timeoutMs;
  }

  /**
   * The shared queue's bound, checked before each add. Adds under way on this engine count too,
   * so a burst here cannot pass it; engines racing each other may pass it by a few.
   */
  private async bound(n: number): Promise<() => void> {
    this.adding += n;
    const release = () => {
      this.adding -= n;
    };
    try {
      const counts = await Promise.all([...this.queues.values()].map((q) => q.getJobCountByTypes(...QUEUED_STATES)));
      const queued = counts.reduce((n, c) => n + c, 0);
      if (queued + this.adding > this.o.limits.queueMax) {
        this.counters.rejected++;
        throw new TaskQueueFullError(this.o.limits.queueMax, 'SUPERNOVA_TASK_QUEUE_MAX');
      }
    } catch (err) {
      release();
      throw err;
    }
    return release;
  }

  private async add(data: JobData, attempts: number): Promise<string> {
    const own = this.o.registry.get(data.type).ownQueue === true;
    const id = own ? `${data.type}~${randomUUID()}` : randomUUID();
    const ageS = Math.ceil(this.o.limits.resultTtlMs / 1000);
    // A registered type's queue: opened with the others (consumed()).
    const queue = this.queues.get(own ? queueName(data.type) : MAIN_QUEUE) as Queue;
    const opts: JobsOptions = {
      jobId: id, priority: BULL_PRIORITY[data.priority], attempts, backoff: { type: 'custom' },
      // Finished jobs are kept for the TTL, and at most SUPERNOVA_TASK_RECORDS_MAX of each kind.
      removeOnComplete: { age: ageS, count: this.o.limits.recordsMax }, removeOnFail: { age: ageS, count: this.o.limits.recordsMax },
    };
    await queue.add(data.batch ? BATCH : data.type, data, opts);
    this.counters.submitted++;
    return id;
  }

  private viewOf(job: Job, state: string): TaskView {
    const data = job.data as JobData;
    const status = this.statusOf(job, state);
    const progress = typeof job.progress === 'number' ? job.progress : 0;
    const v: TaskView = {
      id: job.id as string, type: data.type, status, progress: status === 'succeeded' ? 1 : progress, priority: data.priority,
      attempts: job.attemptsMade + (state === 'active' ? 1 : 0), createdAt: job.timestamp,
    };
    if (job.processedOn) v.startedAt = job.processedOn;
    if (job.finishedOn && status !== 'queued' && status !== 'running') v.finishedAt = job.finishedOn;
    if (status === 'succeeded') v.result = job.returnvalue as unknown;
    if (status === 'failed' || status === 'timed_out') v.error = job.failedReason;
    if (data.user) v.user = data.user;
    if (data.batch) v.items = { done: status === 'succeeded' ? data.batch.items.length : Math.round(progress * data.batch.items.length), total: data.batch.items.length };
    return v;
  }

  private statusOf(job: Job, state: string): TaskStatus {
    if (state === 'active') return 'running';
    if (state === 'completed') return 'succeeded';
    if (state === 'failed') return (job.stacktrace?.at(-1) ?? '').startsWith('TaskTimeoutError') ? 'timed_out' : 'failed';
    return 'queued';
  }

  /** BullMQ's processor: one of the worker actors runs the attempt. */
  private async process(worker: Worker, job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    const data = job.data as JobData;
    if (!this.o.registry.has(data.type)) {
      // A type this engine does not run (one without a queue of its own, registered on some
      // engines only, or an engine still registering its types): back to the queue for another
      // engine, without using an attempt.
      await job.moveToDelayed(Date.now() + UNKNOWN_TYPE_DELAY_MS, token);
      this.counters.handedBack++;
      throw new DelayedError();
    }
    this.runningIn.set(worker, (this.runningIn.get(worker) ?? 0) + 1);
    try {
      const actor = await this.acquire();
      // Stopping (the worker is closed already): the lock lapses and another engine runs it.
      if (!actor) throw new Error('the engine stopped before a worker actor was free');
      return await this.processOnActor(job, signal, actor);
    } finally {
      this.runningIn.set(worker, (this.runningIn.get(worker) ?? 1) - 1);
      this.rebalance();
    }
  }

  /** Runs the attempt on `actor`, which goes back to the pool once it is through. */
  private async processOnActor(job: Job, signal: AbortSignal | undefined, actor: ActorRef<WorkerMsg>): Promise<unknown> {
    const data = job.data as JobData;
    // Cancelled before it ran (or while it waited for the actor).
    if (await this.client?.exists(this.key(`cancelled:${job.id ?? ''}`))) {
      this.release(actor);
      throw new UnrecoverableError('cancelled');
    }
    const def = data.batch ? this.batchDefinition(data) : this.o.registry.get(data.type);
    const rec: TaskRecord = {
      id: job.id as string, type: data.type, def, args: data.args, priority: data.priority, timeoutMs: data.timeoutMs, user: data.user,
      createdAt: job.timestamp, status: 'running', progress: 0, attempts: job.attemptsMade + 1, queuedAt: job.timestamp, bytes: 0,
    };
    this.o.events?.started?.(data.type, data.priority, (Date.now() - job.timestamp) / 1000);
    this.runningHere.set(rec.id, rec);
    signal?.addEventListener('abort', () => rec.stop?.('cancelled'), { once: true });
    let lastProgress = 0;
    const timer = setInterval(() => {
      if (rec.progress !== lastProgress) {
        lastProgress = rec.progress;
        job.updateProgress(rec.progress).catch(() => undefined);
      }
    }, PROGRESS_MS);
    const startedAt = Date.now();
    let outcome: Outcome;
    try {
      outcome = await this.onActor(rec, actor);
    } finally {
      clearInterval(timer);
      this.runningHere.delete(rec.id);
    }
    this.o.events?.ran?.(data.type, outcome.kind, (Date.now() - startedAt) / 1000);
    return this.settle(rec, outcome, job);
  }

  private settle(rec: TaskRecord, outcome: Outcome, job: Job): unknown {
    switch (outcome.kind) {
      case 'ok': {
        const bytes = outcome.value === undefined ? 0 : rec.bytes > 0 ? rec.bytes : pack(outcome.value).length;
        if (bytes > this.o.limits.resultMaxBytes) {
          this.counters.failed++;
          throw new UnrecoverableError(`the result is ${bytes} bytes, over ${this.o.limits.resultMaxBytes} (SUPERNOVA_TASK_RESULT_MAX_BYTES)`);
        }
        this.counters.succeeded++;
        this.finished(rec, 'succeeded', outcome.value);
        return outcome.value;
      }
      case 'cancelled':
        this.finished(rec, 'cancelled');
        throw new UnrecoverableError('cancelled');
      case 'timeout':
      case 'error': {
        const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        if (last) {
          if (outcome.kind === 'timeout') this.counters.timedOut++;
          else this.counters.failed++;
          this.finished(rec, outcome.kind === 'timeout' ? 'timed_out' : 'failed', undefined, outcome.message);
        }
        if (outcome.kind === 'timeout') throw new TaskTimeoutError(rec.timeoutMs);
        throw new Error(outcome.message);
      }
    }
  }

  private finished(rec: TaskRecord, status: TaskStatus, result?: unknown, error?: string): void {
    this.o.events?.finished?.({
      id: rec.id, type: rec.type, status, progress: status === 'succeeded' ? 1 : rec.progress, priority: rec.priority, attempts: rec.attempts, createdAt: rec.createdAt,
      ...(result !== undefined ? { result } : {}), ...(error !== undefined ? { error } : {}),
    }, rec.user);
  }

  /** A batch runs its items here, K at a time, each with the item type's definition and the batch's timeout per item. */
  private batchDefinition(data: JobData): TaskDefinition {
    const itemDef = this.o.registry.get(data.type);
    const { items, concurrency } = data.batch as { items: unknown[]; concurrency: number };
    const cpu = this.o.cpu;
    return {
      schema: itemDef.schema,
      run: async (_args, ctx) => {
        const out: { status: TaskStatus; result?: unknown; error?: string }[] = new Array(items.length);
        let next = 0;
        let done = 0;
        const lane = async (): Promise<void> => {
          while (next < items.length && !ctx.signal.aborted) {
            const i = next++;
            const rec: TaskRecord = {
              id: `${i}`, type: data.type, def: itemDef, args: items[i], priority: data.priority, timeoutMs: data.timeoutMs, user: undefined,
              createdAt: Date.now(), status: 'running', progress: 0, attempts: 1, queuedAt: Date.now(), bytes: 0,
            };
            const stop = () => rec.stop?.('cancelled');
            ctx.signal.addEventListener('abort', stop, { once: true });
            const o = await executeAttempt(rec, cpu);
            ctx.signal.removeEventListener('abort', stop);
            out[i] = o.kind === 'ok' ? { status: 'succeeded', result: o.value } : o.kind === 'cancelled' ? { status: 'cancelled' } : { status: o.kind === 'timeout' ? 'timed_out' : 'failed', error: o.message };
            ctx.progress(++done / items.length);
          }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
        return out;
      },
      // The batch as a whole has no deadline of its own beyond the longest allowed.
      timeoutMs: this.o.limits.timeoutMaxMs,
    };
  }

  /**
   * An idle worker actor, or a wait for one: the queues' workers share the pool, and their
   * concurrency follows what is idle (rebalance()), so a wait is short and rare (at most about one
   * job per queue, when every actor is busy). Undefined when the engine stops meanwhile.
   */
  private acquire(): Promise<ActorRef<WorkerMsg> | undefined> {
    const actor = this.idle.pop();
    this.rebalance();
    if (actor) return Promise.resolve(actor);
    return new Promise((resolve) => this.waitingForActor.push(resolve));
  }

  /** An actor is free again: to a job that waits for one, or to the idle list. */
  private release(actor: ActorRef<WorkerMsg>): void {
    if (actor.stopped) return;
    const next = this.waitingForActor.shift();
    if (next) next(actor);
    else this.idle.push(actor);
    this.rebalance();
  }

  /**
   * Each queue's worker may take what it runs plus what is idle: with several queues, a fixed
   * concurrency per worker would let an engine take (and hold) more jobs than it has actors.
   */
  private rebalance(): void {
    for (const worker of this.workers) {
      const concurrency = Math.max(1, (this.runningIn.get(worker) ?? 0) + this.idle.length);
      if (worker.concurrency !== concurrency) worker.concurrency = concurrency;
    }
  }

  private onActor(rec: TaskRecord, actor: ActorRef<WorkerMsg>): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const done = (outcome: Outcome) => {
        this.release(actor);
        resolve(outcome);
      };
      if (!actor.tell({ rec, done })) {
        this.dropActor(actor);
        if (this.running) this.addActor();
        resolve(executeAttempt(rec, this.o.cpu));
      }
    });
  }

  private addActor(): void {
    const l = this.o.limits;
    const ref = (this.supervisor as Supervisor).spawn<null, WorkerMsg>({
      name: 'task-worker',
      initialState: () => null,
      mailboxLimit: 2,
      handlerTimeoutMs: Math.min(2_147_483_647, l.timeoutMaxMs + 10_000),
      handle: async (state, msg) => {
        msg.done(await executeAttempt(msg.rec, this.o.cpu));
        return state;
      },
    });
    this.actors.push(ref);
    this.release(ref);
  }

  private dropActor(ref: ActorRef<WorkerMsg>): void {
    const i = this.actors.indexOf(ref);
    if (i >= 0) this.actors.splice(i, 1);
    const j = this.idle.indexOf(ref);
    if (j >= 0) this.idle.splice(j, 1);
  }

  /** Reads the shared queue's depth, then resizes the pool and BullMQ's concurrency with it. */
  private async scale(): Promise<void> {
    if (!this.running || this.queues.size === 0) return;
    const queues = [...this.queues.values()];
    const counts = await Promise.all(queues.map((q) => q.getJobCounts('prioritized', 'waiting', 'delayed')));
    const queued = counts.reduce((n, c) => n + (c.prioritized ?? 0) + (c.waiting ?? 0) + (c.delayed ?? 0), 0);
    this.depth = await this.depthByPriority(queues, queued);
    const heads = queued > 0 ? await Promise.all(queues.map(async (q) => (await q.getJobs(['prioritized', 'waiting'], 0, 0, true))[0])) : [];
    const oldest = Math.min(...heads.map((j) => j?.timestamp ?? Number.POSITIVE_INFINITY));
    this.oldestWaitMs = Number.isFinite(oldest) ? Date.now() - oldest : 0;
    const now = Date.now();
    const busy = this.actors.length - this.idle.length;
    if (queued > 0 || busy >= this.actors.length) this.calmSince = now;
    const l = this.o.limits;
    const step = scaleStep(
      { size: this.actors.length, busy, queued, oldestWaitMs: this.oldestWaitMs, calmForMs: now - this.calmSince },
      { min: l.workersMin, max: l.workersMax, upWaitMs: l.scaleUpWaitMs, downIdleMs: l.scaleDownIdleMs },
    );
    if (step > 0) {
      this.counters.scaledUp += step;
      for (let i = 0; i < step; i++) this.addActor();
    } else if (step < 0) {
      const ref = this.idle.pop();
      if (!ref) return;
      this.counters.scaledDown++;
      this.dropActor(ref);
      ref.stop();
    }
    this.rebalance();
  }

  /** Queued jobs by priority: the prioritised set holds high/normal/low; delayed ones are retries waiting their backoff. */
  private async depthByPriority(queues: Queue[], queued: number): Promise<Record<Priority, number>> {
    const out: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
    if (queued === 0) return out;
    const sample = (await Promise.all(queues.map((q) => q.getJobs(['prioritized', 'waiting', 'delayed'], 0, AGING_SCAN - 1, true)))).flat();
    for (const job of sample) out[(job.data as JobData).priority] = (out[(job.data as JobData).priority] ?? 0) + 1;
    // Past the sample, the rest is counted as its share of normal: a gauge, not a ledger.
    out.normal += Math.max(0, queued - sample.length);
    return out;
  }

  /** Aging: a job that has waited SUPERNOVA_TASK_AGING_MS per level goes up a level (BullMQ's own priorities never age). */
  private async age(): Promise<void> {
    if (!this.running || this.queues.size === 0) return;
    const now = Date.now();
    const jobs = (await Promise.all([...this.queues.values()].map((q) => q.getPrioritized(0, AGING_SCAN - 1)))).flat();
    await Promise.all(jobs.map(async (j) => {
      const job = j as Job;
      const current = PRIORITIES.findIndex((p) => BULL_PRIORITY[p] === job.opts.priority);
      const data = job.data as JobData;
      const earned = PRIORITY_LEVEL[data.priority] - Math.floor((now - job.timestamp) / this.o.limits.agingMs);
      const target = Math.max(0, earned);
      if (current > target) await job.changePriority({ priority: BULL_PRIORITY[PRIORITIES[target] as Priority] }).catch(() => undefined);
    }));
  }
}
