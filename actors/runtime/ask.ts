import { ActorStoppedError, AskTimeoutError, MailboxFullError } from './errors.js';
import type { ActorRef } from './types.js';

interface Pending {
  readonly actor: string;
  readonly timer: NodeJS.Timeout;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Node clamps larger delays to 1 ms with a warning; a longer timeout is indistinguishable from none. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Request/reply without nact's query(): nact keys replies by a random 32-bit id
 * in a map shared by the whole system, so two concurrent queries can collide
 * and one receives the other's reply (defect 2). Here ids are a per-registry
 * monotonic counter, and each reply closure carries its own id, so a reply can
 * only ever settle its own request, exactly once.
 */
export class AskRegistry {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  get size(): number {
    return this.pending.size;
  }

  ask<M, R>(ref: ActorRef<M>, make: (reply: (result: R) => void) => M, timeoutMs: number): Promise<R> {
    if (!(timeoutMs > 0) || timeoutMs > MAX_TIMER_MS) {
      return Promise.reject(new RangeError(`ask timeoutMs must be in (0, ${MAX_TIMER_MS}], got ${timeoutMs}`));
    }
    if (ref.stopped) return Promise.reject(new ActorStoppedError(ref.name));
    this.nextId += 1;
    const id = this.nextId;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new AskTimeoutError(ref.name, timeoutMs));
      }, timeoutMs);
      // Registered before make() so even a reply sent synchronously from make() lands.
      this.pending.set(id, { actor: ref.name, timer, resolve: resolve as (value: unknown) => void, reject });
      const reply = (result: R): void => this.settle(id, result);
      let msg: M;
      try {
        msg = make(reply);
      } catch (error) {
        this.fail(id, error);
        return;
      }
      if (!ref.tell(msg)) {
        this.fail(id, ref.stopped ? new ActorStoppedError(ref.name) : new MailboxFullError(ref.name, ref.depth));
      }
    });
  }

  /** Rejects everything still pending and clears its timers, so a stopped runtime leaves no timer behind. */
  cancelAll(): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.reject(new ActorStoppedError(entry.actor));
    }
  }

  private settle(id: number, result: unknown): void {
    const entry = this.pending.get(id);
    if (!entry) return; // late (after timeout/cancel) or duplicate reply
    this.pending.delete(id);
    clearTimeout(entry.timer);
    entry.resolve(result);
  }

  private fail(id: number, error: unknown): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    entry.reject(error);
  }
}

/** Lets ask() find the registry of the runtime that owns a ref, so runtime.stop() can cancel its asks. */
export const askScope: unique symbol = Symbol('askScope');

export interface AskScoped {
  readonly [askScope]: AskRegistry;
}

/** For refs that do not belong to a runtime (e.g. test doubles). */
const detached = new AskRegistry();

function registryOf(ref: object): AskRegistry {
  return askScope in ref ? (ref as AskScoped)[askScope] : detached;
}

/**
 * Sends `make(reply)` to `ref` and resolves with the first value passed to
 * `reply`. Rejects with AskTimeoutError, MailboxFullError (tell refused, mailbox
 * full), ActorStoppedError (target stopped, or its runtime stopped while waiting)
 * or whatever `make` throws.
 */
export function ask<M, R>(ref: ActorRef<M>, make: (reply: (result: R) => void) => M, timeoutMs: number): Promise<R> {
  return registryOf(ref).ask(ref, make, timeoutMs);
}
