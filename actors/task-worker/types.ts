import type { z } from 'zod';

export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const PRIORITY_LEVEL: Record<Priority, number> = { high: 0, normal: 1, low: 2 };

export const TASK_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const FINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);

/** What GET /api/v1/tasks/:id and `tasks.status` answer. */
export interface TaskView {
  id: string;
  type: string;
  status: TaskStatus;
  /** 0 to 1, as the task reports it (1 once it succeeded). */
  progress: number;
  priority: Priority;
  attempts: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  result?: unknown;
  error?: string;
  /** Who submitted it over RPC (completions are pushed to `user#USER`). */
  user?: string;
  /** A batch: items done so far and in all. */
  items?: { done: number; total: number };
}

/** What a task's `run` gets besides its arguments. */
export interface TaskContext {
  /** Aborted on timeout and on cancellation; a long task checks it (or passes it on). */
  readonly signal: AbortSignal;
  /** 1-based; above 1 on a retry. */
  readonly attempt: number;
  /** Reports progress, 0 to 1 (clamped). */
  progress(fraction: number): void;
  /**
   * Runs the type's `cpu` export in the worker-thread pool with `input` (msgpack across), and
   * resolves with what it returns. Aborting the signal terminates that thread.
   */
  cpu<R>(input: unknown): Promise<R>;
}

/** A task type, as an embedding application registers it: `engine.tasks.register(type, definition)`. */
export interface TaskDefinition<A = unknown, R = unknown> {
  /** Validates and shapes `args` at submission; a failure is 400 / error 107 with zod's reason. */
  schema: z.ZodType<A>;
  /** Runs on the event loop: I/O, then `ctx.cpu(...)` for the heavy part. */
  run(args: A, ctx: TaskContext): Promise<R> | R;
  /** The module and export a worker thread runs for `ctx.cpu` (a pure function of msgpack-able input). */
  cpu?: { module: string | URL; name?: string };
  /** Failures and timeouts are retried with jittered backoff (SUPERNOVA_TASK_ATTEMPTS). */
  retryable?: boolean;
  /** This type's default run time limit, below SUPERNOVA_TASK_TIMEOUT_MAX_MS. */
  timeoutMs?: number;
  /**
   * Redis mode: the type has a queue of its own, which only the engines that run it consume. For
   * a type some engines of a deployment do not run (it needs a setting or a service not every
   * engine has): on the shared queue, such an engine would take its jobs and hand them back.
   */
  ownQueue?: boolean;
}

/**
 * What a task id looks like: a UUID, or in redis mode `TYPE~UUID` for a type with a queue of its
 * own (a type is at most 64 characters).
 */
export const TASK_ID_PATTERN = /^[0-9a-zA-Z_.~-]{1,101}$/;

export interface Submission {
  type: string;
  args: unknown;
  priority?: Priority;
  timeoutMs?: number;
  /** Who submitted it: completions are pushed to `user#USER`. */
  user?: string;
}

export interface BatchSubmission {
  type: string;
  items: unknown[];
  /** At most this many items run at once. */
  concurrency?: number;
  priority?: Priority;
  timeoutMs?: number;
  user?: string;
}

/** A finished task, as pushed to its user's channel. */
export interface TaskCompletion {
  id: string;
  type: string;
  status: TaskStatus;
  result?: unknown;
  error?: string;
}
