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
  // The AbortController is made only if the task asks for its signal: its events cost more than a
  // trivial task does. Likewise the timer and the race exist only once `run` has returned a
  // promise: a synchronous run cannot be timed out or cancelled while it runs.
  let controller: AbortController | undefined;
  let stopped: Outcome | undefined;
  let end: ((outcome: Outcome) => void) | undefined;
  rec.stop = (why) => {
    const reason = why === 'timeout' ? new TaskTimeoutError(rec.timeoutMs) : new TaskCancelledError();
    stopped ??= why === 'timeout' ? { kind: 'timeout', message: reason.message } : { kind: 'cancelled' };
    end?.(stopped);
    controller?.abort(reason);
  };
  const def = rec.def;
  rec.bytes = 0;
  const ctx: TaskContext = {
    get signal() {
      return (controller ??= new AbortController()).signal;
    },
    attempt: rec.attempts,
    progress: (f) => {
      if (rec.status === 'running' && typeof f === 'number' && Number.isFinite(f)) rec.progress = Math.min(1, Math.max(0, f));
    },
    cpu: <R>(input: unknown): Promise<R> => {
      if (!def.cpu || !cpu) return Promise.reject(new Error(`task type ${rec.type} has no cpu module`));
      // The size of what came back from the thread stands for the result's: measuring it again
      // on the event loop would cost as much as packing it did.
      return cpu.run<R>(def.cpu.module, def.cpu.name ?? 'default', input, ctx.signal, (n) => (rec.bytes = n));
    },
  };
  let returned: unknown;
  try {
    returned = def.run(rec.args, ctx);
  } catch (err) {
    rec.stop = undefined;
    return stopped ?? { kind: 'error', message: messageOf(err) };
  }
  if (!isThenable(returned)) {
    rec.stop = undefined;
    return stopped ?? { kind: 'ok', value: returned };
  }
  const ended = new Promise<Outcome>((resolve) => (end = resolve));
  if (stopped) end?.(stopped);
  const timer = setTimeout(() => rec.stop?.('timeout'), Math.min(rec.timeoutMs, MAX_TIMER_MS));
  const ran = (async (): Promise<Outcome> => {
    try {
      return { kind: 'ok', value: await returned };
    } catch (err) {
      return { kind: 'error', message: messageOf(err) };
    }
  })();
  try {
    return await Promise.race([ran, ended]);
  } finally {
    clearTimeout(timer);
    rec.stop = undefined;
    // Whatever the task still does after a timeout or cancellation has been told to stop; one
    // that finished has nothing left to abort.
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : 'task failed';
  return text.length > 500 ? `${text.slice(0, 500)}...` : text;
}
