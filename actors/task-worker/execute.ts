import { TaskCancelledError, TaskTimeoutError } from './errors.js';
import type { CpuPool } from './cpu-pool.js';
import type { TaskRecord } from './record.js';
import type { TaskContext } from './types.js';

export type Outcome =
  | { kind: 'ok'; value: unknown }
  | { kind: 'error'; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'cancelled' };

/** Node clamps longer delays to 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * One attempt of a task: its `run` raced against its timeout and its cancellation, so the worker
 * is free the moment either happens, whatever the task does (a CPU call is aborted, which
 * terminates its thread). Never rejects.
 */
export async function executeAttempt(rec: TaskRecord, cpu: CpuPool | undefined): Promise<Outcome> {
  const abort = (rec.abort = new AbortController());
  const ended = new Promise<Outcome>((resolve) => {
    abort.signal.addEventListener('abort', () => {
      const reason: unknown = abort.signal.reason;
      resolve(reason instanceof TaskTimeoutError ? { kind: 'timeout', message: reason.message } : { kind: 'cancelled' });
    }, { once: true });
  });
  const timer = setTimeout(() => abort.abort(new TaskTimeoutError(rec.timeoutMs)), Math.min(rec.timeoutMs, MAX_TIMER_MS));
  const def = rec.def;
  const ctx: TaskContext = {
    signal: abort.signal,
    attempt: rec.attempts,
    progress: (f) => {
      if (rec.status === 'running' && typeof f === 'number' && Number.isFinite(f)) rec.progress = Math.min(1, Math.max(0, f));
    },
    cpu: <R>(input: unknown): Promise<R> => {
      if (!def.cpu || !cpu) return Promise.reject(new Error(`task type ${rec.type} has no cpu module`));
      return cpu.run<R>(def.cpu.module, def.cpu.name ?? 'default', input, abort.signal);
    },
  };
  const ran = (async (): Promise<Outcome> => {
    try {
      return { kind: 'ok', value: await def.run(rec.args, ctx) };
    } catch (err) {
      return { kind: 'error', message: messageOf(err) };
    }
  })();
  try {
    return await Promise.race([ran, ended]);
  } finally {
    clearTimeout(timer);
    rec.abort = undefined;
    // Whatever the task still does after a timeout or cancellation is told to stop.
    if (!abort.signal.aborted) abort.abort(new TaskCancelledError());
  }
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : 'task failed';
  return text.length > 500 ? `${text.slice(0, 500)}...` : text;
}
