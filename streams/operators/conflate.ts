import { Observable, asyncScheduler } from 'rxjs';
import type { MonoTypeOperatorFunction, SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { InvalidOptionError } from '../errors.js';

/**
 * Rate-limits a stream per key to at most one value per `windowMs`, keeping the LATEST value.
 *
 * Semantics, per key (keys are fully independent):
 * - Leading: a value arriving while the key has no open window is emitted at once and opens a
 *   window of `windowMs`, so a dashboard sees the first change after a quiet period immediately.
 * - Inside an open window values are not emitted; each one replaces the key's pending value.
 * - Trailing: when the window ends, a pending value is emitted and a new window opens right away
 *   (so emissions stay at least `windowMs` apart under sustained input). With nothing pending the
 *   window just closes and the key is quiet again.
 * - Completion: every pending value is emitted (keys in the order their windows opened), then the
 *   output completes. The final value of every key is never lost.
 * - Error: forwarded at once; pending values are dropped (an error aborts, as in RxJS at large).
 * - Unsubscribe: every window timer is cancelled.
 *
 * - Pass-through (optional): a value for which `passThrough` holds is emitted at once, whatever
 *   the window, which it leaves as it is (so the key's rate holds across it). The key's pending
 *   value is dropped when `supersedes(passed, pending)` says the pass-through made it stale
 *   (default: always). The bars operator passes final bars this way, dropping a held-back
 *   partial of the same bar, so a stale partial can never follow the final bar it belongs to.
 *
 * Without `keyOf` the whole stream is one key. `scheduler` exists so virtual-time tests can drive
 * the windows; inside `TestScheduler.run` the default is already virtual.
 */
export function conflate<T, K = unknown>(
  windowMs: number,
  keyOf?: (value: T) => K,
  scheduler: SchedulerLike = asyncScheduler,
  options: ConflateOptions<T> = {},
): MonoTypeOperatorFunction<T> {
  const passThrough = options.passThrough;
  const supersedes = options.supersedes ?? (() => true);
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new InvalidOptionError('windowMs', `must be a positive number of milliseconds, got ${windowMs}`);
  }
  return (source) =>
    new Observable<T>((subscriber) => {
      const windows = new Map<K | typeof SINGLE_KEY, KeyWindow<T>>();

      const openWindow = (key: K | typeof SINGLE_KEY, window: KeyWindow<T>): void => {
        window.timer = scheduler.schedule(function (this: SchedulerAction<unknown>) {
          if (!window.hasPending) {
            windows.delete(key);
            return;
          }
          const value = window.pending as T;
          window.pending = undefined;
          window.hasPending = false;
          subscriber.next(value);
          // next() may have unsubscribed us synchronously (e.g. take(1) downstream).
          if (subscriber.closed) return;
          // Rescheduling the same action with the same delay lets the async scheduler reuse
          // its interval instead of creating a timer per window.
          window.timer = this.schedule(undefined, windowMs);
        }, windowMs);
      };

      const cancelAll = (): void => {
        for (const window of windows.values()) window.timer?.unsubscribe();
        windows.clear();
      };

      const sourceSubscription = source.subscribe({
        next: (value) => {
          const key = keyOf ? keyOf(value) : SINGLE_KEY;
          const window = windows.get(key);
          if (passThrough?.(value)) {
            if (window?.hasPending && supersedes(value, window.pending as T)) {
              window.pending = undefined;
              window.hasPending = false;
            }
            subscriber.next(value);
            return;
          }
          if (window) {
            window.pending = value;
            window.hasPending = true;
            return;
          }
          const opened: KeyWindow<T> = { pending: undefined, hasPending: false, timer: undefined };
          windows.set(key, opened);
          subscriber.next(value);
          if (!subscriber.closed) openWindow(key, opened);
        },
        error: (err: unknown) => {
          cancelAll();
          subscriber.error(err);
        },
        complete: () => {
          for (const window of windows.values()) {
            window.timer?.unsubscribe();
            if (window.hasPending) {
              subscriber.next(window.pending as T);
              if (subscriber.closed) break;
            }
          }
          windows.clear();
          subscriber.complete();
        },
      });

      return () => {
        sourceSubscription.unsubscribe();
        cancelAll();
      };
    });
}

export interface ConflateOptions<T> {
  /** Values to emit at once, whatever their key's window. */
  passThrough?: (value: T) => boolean;
  /** Whether a pass-through makes its key's pending value stale, to be dropped (default: always). */
  supersedes?: (passed: T, pending: T) => boolean;
}

const SINGLE_KEY: unique symbol = Symbol('conflate.single');

interface KeyWindow<T> {
  /** Only meaningful when hasPending: T may itself include undefined. */
  pending: T | undefined;
  hasPending: boolean;
  timer: Subscription | undefined;
}
