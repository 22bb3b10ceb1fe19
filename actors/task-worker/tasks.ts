import type { TaskRegistry } from './registry.js';
import type { BatchSubmission, Priority, Submission, TaskDefinition, TaskView } from './types.js';

/** The engine's task service, in memory mode (MemoryTasks) or durable mode on Redis (DurableTasks). */
export interface Tasks {
  readonly mode: 'memory' | 'redis';
  /** Task types: `tasks.registry.register(type, definition)` before start. */
  readonly registry: TaskRegistry;
  /** Adds a task type (`engine.tasks.register(type, {schema, run, cpu, retryable})`); before start in redis mode. */
  register<A, R>(type: string, definition: TaskDefinition<A, R>): void;
  /** The new task's id; UnknownTaskTypeError / InvalidTaskArgsError (400, 107), TaskQueueFullError (429, 106). */
  submit(s: Submission): Promise<string>;
  submitBatch(b: BatchSubmission): Promise<string>;
  /** TaskNotFoundError (404) for an unknown or expired id. */
  status(id: string): Promise<TaskView>;
  /** Cancels a queued or running task; a final one is answered as it is. */
  cancel(id: string): Promise<TaskView>;
  /** Resolves once the task is final. */
  wait(id: string): Promise<TaskView>;
  stats(): TaskStats;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface TaskLimits {
  workersMin: number;
  workersMax: number;
  queueMax: number;
  timeoutMs: number;
  timeoutMaxMs: number;
  resultTtlMs: number;
  recordsMax: number;
  resultMaxBytes: number;
  resultsMaxBytes: number;
  attempts: number;
  retryBaseMs: number;
  agingMs: number;
  scaleIntervalMs: number;
  scaleUpWaitMs: number;
  scaleDownIdleMs: number;
  batchMaxItems: number;
  argsMaxBytes: number;
}

export interface TaskCounters {
  submitted: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  cancelled: number;
  retries: number;
  /** Submissions refused because the queue was full. */
  rejected: number;
  /** Submissions refused for their type or arguments. */
  invalid: number;
  scaledUp: number;
  scaledDown: number;
  workerRestarts: number;
  /** Memory mode: resets of the dispatcher actor after its handler crashed. */
  dispatcherRestarts: number;
  /** Result writes or reads of the store (the cache) that failed. */
  storeErrors: number;
  /** Redis mode: jobs of the shared queue of a type this engine does not run, handed back for another engine. */
  handedBack: number;
}

export interface TaskStats {
  mode: 'memory' | 'redis';
  queued: Record<Priority, number>;
  oldestWaitMs: number;
  running: number;
  workers: number;
  workersMin: number;
  workersMax: number;
  /** Finished tasks held in memory, and their results' bytes. */
  kept: number;
  keptBytes: number;
  cpu: { threads: number; queued: number; completed: number };
  counters: TaskCounters;
}

/** Hooks for metrics and the `user#ID` push; each must not throw. */
export interface TaskEvents {
  started?(type: string, priority: Priority, waitSeconds: number): void;
  ran?(type: string, outcome: string, runSeconds: number): void;
  finished?(view: TaskView, user: string | undefined): void;
}

/** Where finished tasks are written through (the engine's cache). */
export interface TaskResultStore {
  set(key: string, value: StoredResult): Promise<void>;
  get(key: string): Promise<StoredResult | undefined>;
}

export interface StoredResult {
  view: TaskView;
  expiresAt: number;
}
