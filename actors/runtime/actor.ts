import { askScope, type AskRegistry, type AskScoped } from './ask.js';
import type { ParentNode, RuntimeCore, TreeNode } from './core.js';
import { CrashWindow } from './crash-window.js';
import { HandlerTimeoutError } from './errors.js';
import { dispatchNact, spawnNact, stopNact, type NactRef } from './nact.js';
import type { ActorContext, ActorRef, CrashDecision, SpawnOptions } from './types.js';

const DEFAULT_MAILBOX_LIMIT = 1024;
const DEFAULT_HANDLER_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_CRASHES = 5;
const DEFAULT_CRASH_WINDOW_MS = 10_000;
const MAX_TIMER_MS = 2_147_483_647;

function positiveInt(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a positive integer, got ${value}`);
  return value;
}

function timeoutMs(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || value > MAX_TIMER_MS) throw new RangeError(`${what} must be in (0, ${MAX_TIMER_MS}], got ${value}`);
  return value;
}

function ignore(): void {}

interface InFlight<M> {
  readonly msg: M;
  readonly release: () => void;
}

function isPromiseLike<S>(value: S | PromiseLike<S>): value is PromiseLike<S> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * A user actor: nact provides the mailbox and the one-at-a-time dispatch; this
 * class owns the state, the depth count, the handler timeout and the crash
 * policy, so nact's own fault path (async, unhandled-rejection prone, reusing
 * mutated initial state on reset) is never entered.
 */
export class ActorCell<S, M> implements ActorRef<M>, TreeNode, AskScoped {
  readonly name: string;
  readonly [askScope]: AskRegistry;
  private readonly nactRef: NactRef;
  private readonly ctx: ActorContext<M>;
  private readonly initialState: () => S;
  private readonly handle: SpawnOptions<S, M>['handle'];
  private readonly onCrash: SpawnOptions<S, M>['onCrash'];
  private readonly onStop: SpawnOptions<S, M>['onStop'];
  private readonly mailboxLimit: number;
  private readonly handlerTimeoutMs: number;
  private readonly maxCrashes: number;
  private readonly crashWindowMs: number;
  private crashWindow: CrashWindow | undefined;
  private state: S;
  private pending = 0;
  private isStopped = false;
  /** The pending async handler, if any; whoever clears it (result, timeout, stop) releases nact. */
  private flight: InFlight<M> | undefined;
  private deadline = 0;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly core: RuntimeCore, private readonly parent: ParentNode, opts: SpawnOptions<S, M>) {
    this.mailboxLimit = positiveInt(opts.mailboxLimit, DEFAULT_MAILBOX_LIMIT, 'mailboxLimit');
    this.handlerTimeoutMs = timeoutMs(opts.handlerTimeoutMs, DEFAULT_HANDLER_TIMEOUT_MS, 'handlerTimeoutMs');
    this.maxCrashes = positiveInt(opts.maxCrashes, DEFAULT_MAX_CRASHES, 'maxCrashes');
    this.crashWindowMs = opts.crashWindowMs ?? DEFAULT_CRASH_WINDOW_MS;
    if (!(this.crashWindowMs >= 0)) throw new RangeError(`crashWindowMs must be >= 0, got ${this.crashWindowMs}`);
    this.initialState = opts.initialState;
    this.handle = opts.handle;
    this.onCrash = opts.onCrash;
    this.onStop = opts.onStop;
    this[askScope] = core.asks;
    this.name = core.uniqueName(opts.name ?? 'actor');
    // Before nact knows the actor: if the factory throws, spawn() throws and nothing leaks.
    this.state = opts.initialState();
    this.ctx = Object.freeze({ self: this, name: this.name });
    this.nactRef = spawnNact(parent.nactRef, this.name, (msg) => this.process(msg as M));
    core.counters.actors += 1;
  }

  get depth(): number {
    return this.pending;
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  tell(msg: M): boolean {
    if (this.isStopped) return false;
    if (this.pending >= this.mailboxLimit) {
      this.core.counters.mailboxRejections += 1;
      return false;
    }
    this.pending += 1;
    this.core.counters.mailboxDepth += 1;
    dispatchNact(this.nactRef, msg);
    return true;
  }

  stop(): void {
    this.stopTree();
  }

  stopTree(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    const flight = this.flight;
    this.flight = undefined;
    // Lets nact's await return; it then sees the actor stopped and processes nothing more.
    flight?.release();
    const counters = this.core.counters;
    counters.actors -= 1;
    counters.mailboxDepth -= this.pending;
    this.pending = 0;
    // Clears nact's scheduled immediate, so queued messages are dropped, not processed.
    stopNact(this.nactRef);
    this.parent.childStopped(this);
    const state = this.state;
    // Refs can outlive the actor (held by other actors); do not let them pin its state.
    this.state = undefined as S;
    if (!this.onStop) return;
    try {
      this.onStop(state);
    } catch (error) {
      this.core.warn({ actor: this.name, err: error }, 'actor onStop threw');
    }
  }

  /** Called by nact, one message at a time. Never throws and never rejects. */
  private process(msg: M): void | Promise<void> {
    if (this.isStopped) return;
    let result: S | PromiseLike<S>;
    try {
      result = this.handle(this.state, msg, this.ctx);
    } catch (error) {
      this.crash(error, msg);
      this.finish();
      return;
    }
    if (isPromiseLike(result)) return this.settle(result, msg);
    if (!this.isStopped) this.state = result;
    this.finish();
  }

  /**
   * Races the handler against `handlerTimeoutMs`. The promise handed back to
   * nact always resolves (on result, error, timeout or stop), so a handler that
   * never settles cannot wedge the mailbox (defect 5); its eventual outcome is
   * ignored. Only one handler is in flight per actor, so a deadline field plus
   * one lazily re-armed watchdog timer replaces a setTimeout/clearTimeout pair
   * per message (about half a microsecond each on the hot path).
   */
  private settle(result: PromiseLike<S>, msg: M): Promise<void> | undefined {
    if (this.isStopped) {
      // The handler stopped its own actor: nothing to wait for, but a late rejection must still be observed.
      Promise.resolve(result).then(undefined, ignore);
      return undefined;
    }
    this.deadline = performance.now() + this.handlerTimeoutMs;
    this.watchdog ??= this.armWatchdog(this.handlerTimeoutMs);
    return new Promise<void>((release) => {
      const flight: InFlight<M> = { msg, release };
      this.flight = flight;
      // Promise.resolve adopts foreign thenables and turns a throwing then() into a rejection.
      Promise.resolve(result).then(
        (next) => {
          if (this.flight !== flight) return; // timed out or stopped meanwhile
          this.flight = undefined;
          if (!this.isStopped) this.state = next;
          this.finish();
          release();
        },
        (error: unknown) => {
          if (this.flight !== flight) return;
          this.flight = undefined;
          this.crash(error, msg);
          this.finish();
          release();
        },
      );
    });
  }

  private armWatchdog(ms: number): NodeJS.Timeout {
    // Deliberately ref'd: runtime.stop() clears it, and an unref'd timer would be invisible to leak checks.
    return setTimeout(this.onWatchdog, ms);
  }

  private readonly onWatchdog = (): void => {
    this.watchdog = undefined;
    const flight = this.flight;
    if (!flight || this.isStopped) return; // idle: let the timer lapse until the next async handler
    const remaining = this.deadline - performance.now();
    if (remaining > 0) {
      // A later handler is in flight (or the timer fired a hair early): wait for its own deadline.
      this.watchdog = this.armWatchdog(remaining);
      return;
    }
    this.flight = undefined;
    this.crash(new HandlerTimeoutError(this.name, this.handlerTimeoutMs), flight.msg);
    this.finish();
    flight.release();
  };

  private finish(): void {
    // stopTree already removed this actor's whole depth from the totals.
    if (this.isStopped) return;
    this.pending -= 1;
    this.core.counters.mailboxDepth -= 1;
  }

  private crash(error: unknown, msg: M): void {
    const counters = this.core.counters;
    counters.crashes += 1;
    if (this.isStopped) return;
    let decision: CrashDecision;
    try {
      decision = this.onCrash ? this.onCrash(error, msg, this.ctx) : this.defaultDecision();
    } catch (policyError) {
      this.core.warn({ actor: this.name, err: policyError, cause: error }, 'actor onCrash threw; stopping actor');
      decision = 'stop';
    }
    this.core.warn({ actor: this.name, err: error, decision }, 'actor handler crashed');
    if (this.isStopped) return; // the policy stopped it itself
    if (decision === 'resume') return;
    if (decision === 'reset') {
      try {
        this.state = this.initialState();
        counters.resets += 1;
        return;
      } catch (resetError) {
        this.core.warn({ actor: this.name, err: resetError }, 'actor initialState threw on reset; stopping actor');
      }
    } else if (decision !== 'stop') {
      this.core.warn({ actor: this.name, decision }, 'actor onCrash returned an unknown decision; stopping actor');
    }
    counters.stopsByPolicy += 1;
    this.stopTree();
  }

  private defaultDecision(): CrashDecision {
    this.crashWindow ??= new CrashWindow(this.maxCrashes, this.crashWindowMs);
    return this.crashWindow.record(this.core.now());
  }
}
