import type { Priority, TaskDefinition, TaskStatus, TaskView } from './types.js';

/** One task as the dispatcher tracks it (memory mode). */
export interface TaskRecord {
  readonly id: string;
  readonly type: string;
  readonly def: TaskDefinition;
  readonly args: unknown;
  readonly priority: Priority;
  readonly timeoutMs: number;
  readonly user: string | undefined;
  readonly createdAt: number;
  status: TaskStatus;
  progress: number;
  attempts: number;
  queuedAt: number;
  startedAt?: number;
  finishedAt?: number;
  result?: unknown;
  error?: string;
  /** Bytes of the msgpack-encoded result, counted against SUPERNOVA_TASK_RESULTS_MAX_BYTES. */
  bytes: number;
  /** While running: ends the attempt at once (timeout, cancellation) and aborts the task's signal. */
  stop?: ((why: 'timeout' | 'cancelled') => void) | undefined;
  retryTimer?: NodeJS.Timeout;
  /** Callers of wait(); settled once the task is final. */
  waiters?: ((view: TaskView) => void)[];
  /** The batch this is an item of (items are not listed by id). */
  batch?: { onDone(rec: TaskRecord): void };
  /** A batch's own items: done and all, and each item's outcome in order. */
  items?: { done: number; total: number };
}

export function viewOf(r: TaskRecord): TaskView {
  const v: TaskView = { id: r.id, type: r.type, status: r.status, progress: r.progress, priority: r.priority, attempts: r.attempts, createdAt: r.createdAt };
  if (r.startedAt !== undefined) v.startedAt = r.startedAt;
  if (r.finishedAt !== undefined) v.finishedAt = r.finishedAt;
  if (r.result !== undefined) v.result = r.result;
  if (r.error !== undefined) v.error = r.error;
  if (r.user !== undefined) v.user = r.user;
  if (r.items) v.items = { ...r.items };
  return v;
}
