import { pack } from 'msgpackr';
import type { ActorRef, Supervisor } from '../runtime/index.js';
import type { CpuPool } from './cpu-pool.js';
import { BatchAdmission, type Admission, type DispatchInbox, type DispatcherMsg, type PoolWorker, type Report, type WorkerMsg } from './dispatch-inbox.js';
import { executeAttempt, type Outcome } from './execute.js';
import { PriorityQueue } from './priority-queue.js';
import { viewOf, type TaskRecord } from './record.js';
import { scaleStep } from './scaling.js';
import type { TaskCounters, TaskEvents, TaskLimits, TaskResultStore } from './tasks.js';
import { FINAL_STATUSES, type TaskStatus } from './types.js';

export interface DispatcherOptions {
  limits: TaskLimits;
  inbox: DispatchInbox;
  /** Shared with the facade, which counts submissions, refusals and invalid ones itself. */
  counters: TaskCounters;
  workers: Supervisor;
  cpu: CpuPool | undefined;
  results: TaskResultStore | undefined;
  events: TaskEvents | undefined;
  faults: boolean;
  now: () => number;
}

/** Node clamps longer delays to 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;
/** How long a worker goes on taking tasks in one exchange each, within one message. */
const PULL_BUDGET_MS = 50;
/** The result store's key prefix. */
export const RESULT_KEY = 'task:';

/** Which list the inbox item the dispatcher is taking came from (what a crash ends). */
type TakingKind = 'admission' | 'report' | 'due' | 'stopped';

/**
 * The dispatcher actor's state: the priority queue, every record and the pool, and every decision
 * on them. Only the dispatcher actor's handler calls its methods that change anything; the facade
 * reads `records`, `queue` and the figures (the view it publishes; one thread, so a read is never
 * torn), adds the records it admits to `records`, and adds waiters to a record.
 *
 * The actor's initialState() returns this same instance on a reset, so a crash loses no queued or
 * running task: what the crashed handler was taking (one admission or one report) is ended as
 * failed, saying the dispatcher crashed, and the inbox items after it are taken next.
 */
export class DispatcherCore {
  readonly queue: PriorityQueue<TaskRecord>;
  /**
   * Every record by id: the view the dispatcher publishes. The facade adds a record here when it
   * admits it (so its id is known at once); every later change is the dispatcher's.
   */
  readonly records = new Map<string, TaskRecord>();
  /** Finished records in finish order: the TTL and the bounds drop from the front. */
  readonly finished = new Map<string, TaskRecord>();
  finishedBytes = 0;
  readonly workers = new Set<PoolWorker>();
  busy = 0;
  private readonly idle: PoolWorker[] = [];
  private readonly retrying = new Set<TaskRecord>();
  private calmSince: number;
  private running = true;
  private takingKind: TakingKind | undefined;
  /** The item itself, by kind: an Admission, a Report, a TaskRecord or a PoolWorker (no object made per item). */
  private takingItem: unknown;
  private faultAfter: number | undefined;

  constructor(private readonly o: DispatcherOptions) {
    this.queue = new PriorityQueue(o.limits.agingMs, o.now);
    this.calmSince = o.now();
    for (let i = 0; i < o.limits.workersMin; i++) this.addWorker();
  }

  /** The dispatcher actor's handler. */
  handle(msg: DispatcherMsg): void {
    switch (msg.type) {
      case 'drain':
        this.o.inbox.scheduled = false;
        return this.drain();
      case 'cancel': {
        // What was admitted before the cancellation is taken first, so the id is known.
        this.drain();
        const rec = this.records.get(msg.id);
        if (!rec || rec.batch) return msg.reply(undefined);
        this.cancelRecord(rec);
        return msg.reply(viewOf(rec));
      }
      case 'scale':
        this.drain();
        return this.scale();
      case 'sweep':
        return this.sweep();
      case 'shutdown':
        this.shutdown('the engine stopped');
        return msg.reply(true);
      case 'fault':
        if (!this.o.faults) return;
        if (msg.after === undefined) throw new Error('injected dispatcher fault');
        // Armed: the drain that takes inbox item number `after` (from 0) throws there.
        this.faultAfter = msg.after;
        return;
    }
  }

  /**
   * Called by the crash policy before the reset: ends what the handler was taking, since its
   * state is unknown, and takes the rest of the inbox on the next message.
   */
  crashed(err: unknown): void {
    this.o.counters.dispatcherRestarts++;
    const kind = this.takingKind;
    const item = this.takingItem;
    this.takingKind = undefined;
    this.takingItem = undefined;
    this.faultAfter = undefined;
    const why = `the task dispatcher crashed while taking this task (${err instanceof Error ? err.message : String(err)})`;
    if (kind === 'admission') {
      const a = item as Admission;
      const rec = a instanceof BatchAdmission ? a.parent : a;
      if (a instanceof BatchAdmission) {
        for (const item of a.items) {
          this.queue.remove(item, item.priority);
          this.records.delete(item.id);
        }
      }
      this.queue.remove(rec, rec.priority);
      if (!FINAL_STATUSES.has(rec.status)) this.finish(rec, 'failed', { error: why });
    } else if (kind === 'report') {
      const r = item as Report;
      const { worker, rec } = r;
      if (worker.busy) {
        worker.busy = false;
        this.busy--;
      }
      if (!FINAL_STATUSES.has(rec.status)) this.finish(rec, 'failed', { error: why });
      r.reply(undefined);
      if (!worker.retiring && !worker.ref.stopped && !this.idle.includes(worker)) this.idle.push(worker);
    } else if (kind === 'due') {
      const rec = item as TaskRecord;
      if (!FINAL_STATUSES.has(rec.status)) this.finish(rec, 'failed', { error: why });
    } else if (kind === 'stopped') {
      // Replaced on the next drain instead.
      this.o.inbox.stopped.push(item as PoolWorker);
    }
    if (!this.o.inbox.empty) queueMicrotask(() => this.o.inbox.wake());
  }

  /** Ends every task that is not final with `error` (the engine stops, or the dispatcher is gone for good). */
  shutdown(error: string, status: 'cancelled' | 'failed' = 'cancelled'): void {
    if (!this.running) return;
    this.drain();
    this.running = false;
    for (const rec of this.retrying) clearTimeout(rec.retryTimer);
    this.retrying.clear();
    for (const rec of this.records.values()) {
      if (FINAL_STATUSES.has(rec.status)) continue;
      const stop = rec.stop;
      this.finish(rec, status, { error });
      stop?.('cancelled');
    }
    this.workers.clear();
    this.idle.length = 0;
  }

  /** Takes everything in the inbox, one item at a time, so a crash part-way leaves the rest there. */
  private drain(): void {
    const inbox = this.o.inbox;
    while (inbox.stopped.length > 0) {
      const w = inbox.stopped.pop() as PoolWorker;
      this.take('stopped', w);
      this.workerStopped(w);
    }
    if (inbox.admitted.length > 0) {
      const admitted = inbox.admitted;
      inbox.admitted = [];
      let i = 0;
      try {
        for (; i < admitted.length; i++) {
          const a = admitted[i] as Admission;
          inbox.taken(a);
          this.take('admission', a);
          if (a instanceof BatchAdmission) this.admitBatch(a.parent, a.items, a.k);
          else this.admit(a);
        }
      } catch (err) {
        inbox.admitted.unshift(...admitted.slice(i + 1));
        throw err;
      }
    }
    if (inbox.due.length > 0) {
      const due = inbox.due;
      inbox.due = [];
      let i = 0;
      try {
        for (; i < due.length; i++) {
          const rec = due[i] as TaskRecord;
          this.take('due', rec);
          if (rec.status === 'queued') this.enqueue(rec);
        }
      } catch (err) {
        inbox.due.unshift(...due.slice(i + 1));
        throw err;
      }
    }
    if (inbox.reports.length > 0) {
      const reports = inbox.reports;
      inbox.reports = [];
      let i = 0;
      try {
        for (; i < reports.length; i++) {
          const r = reports[i] as Report;
          this.take('report', r);
          r.reply(this.done(r.worker, r.rec, r.outcome, r.goOn));
        }
      } catch (err) {
        inbox.reports.unshift(...reports.slice(i + 1));
        throw err;
      }
    }
    this.takingKind = undefined;
    this.takingItem = undefined;
    this.pump();
  }

  /** Notes the inbox item being taken (what a crash ends), and throws here when a test armed a fault. */
  private take(kind: TakingKind, item: unknown): void {
    this.takingKind = kind;
    this.takingItem = item;
    if (this.faultAfter === undefined) return;
    if (this.faultAfter-- > 0) return;
    this.faultAfter = undefined;
    throw new Error('injected dispatcher fault');
  }

  private admit(rec: TaskRecord): void {
    if (!this.running) return this.finish(rec, 'cancelled', { error: 'the engine stopped' });
    this.enqueue(rec);
  }

  private admitBatch(parent: TaskRecord, items: TaskRecord[], k: number): void {
    const outcomes: { status: TaskStatus; result?: unknown; error?: string }[] = new Array(items.length);
    const index = new Map(items.map((item, i) => [item, i]));
    let next = 0;
    const launch = (): void => {
      const item = items[next++];
      if (!item) return;
      item.batch = { onDone: (done) => settle(done) };
      this.records.set(item.id, item);
      this.enqueue(item);
    };
    const settle = (done: TaskRecord): void => {
      this.records.delete(done.id);
      outcomes[index.get(done) as number] = { status: done.status, ...(done.result !== undefined ? { result: done.result } : {}), ...(done.error !== undefined ? { error: done.error } : {}) };
      const counts = parent.items as { done: number; total: number };
      counts.done++;
      parent.progress = counts.done / counts.total;
      if (parent.status !== 'running') return;
      if (counts.done === counts.total) this.finish(parent, 'succeeded', { result: outcomes });
      else launch();
    };
    parent.stop = () => {
      // Cancelling the batch cancels what runs and drops what has not started.
      next = items.length;
      for (const item of items) if (this.records.has(item.id)) this.cancelRecord(item);
    };
    if (!this.running) return this.finish(parent, 'cancelled', { error: 'the engine stopped' });
    for (let i = 0; i < k; i++) launch();
  }

  private enqueue(rec: TaskRecord): void {
    rec.status = 'queued';
    rec.queuedAt = this.o.now();
    this.queue.push(rec, rec.priority);
  }

  /** Hands queued tasks to idle workers. */
  private pump(): void {
    while (this.idle.length > 0 && this.queue.size > 0) {
      const worker = this.idle.pop() as PoolWorker;
      if (worker.retiring || worker.ref.stopped) continue;
      const rec = this.queue.pop() as TaskRecord;
      this.startOn(worker, rec);
    }
  }

  private begin(worker: PoolWorker, rec: TaskRecord): void {
    const now = this.o.now();
    rec.status = 'running';
    rec.attempts++;
    rec.startedAt = now;
    this.o.events?.started?.(rec.type, rec.priority, (now - rec.queuedAt) / 1000);
    worker.busy = true;
    this.busy++;
  }

  private startOn(worker: PoolWorker, rec: TaskRecord): void {
    this.begin(worker, rec);
    if (!worker.ref.tell({ rec })) {
      // A stopped actor (its supervisor gave up on it): replace it and put the task back first in line.
      worker.busy = false;
      this.busy--;
      this.workers.delete(worker);
      this.o.counters.workerRestarts++;
      rec.attempts--;
      rec.status = 'queued';
      this.queue.push(rec, 'high');
      if (this.running) this.addWorker();
    }
  }

  private addWorker(): void {
    const limits = this.o.limits;
    const inbox = this.o.inbox;
    const cpu = this.o.cpu;
    const worker: PoolWorker = { busy: false, retiring: false } as PoolWorker;
    // The outcome goes to the dispatcher and the next task comes back in the same exchange. A
    // worker has one report out at a time, so one object per worker carries them all.
    let answer: (next: TaskRecord | undefined) => void = () => undefined;
    const slot: Report = { worker, rec: undefined as unknown as TaskRecord, outcome: { kind: 'cancelled' }, goOn: false, reply: (next) => answer(next) };
    const report = (rec: TaskRecord, outcome: Outcome, goOn: boolean): Promise<TaskRecord | undefined> =>
      new Promise((reply) => {
        slot.rec = rec;
        slot.outcome = outcome;
        slot.goOn = goOn;
        answer = reply;
        inbox.reports.push(slot);
        inbox.wake();
      });
    worker.ref = this.o.workers.spawn<null, WorkerMsg>({
      name: 'task-worker',
      initialState: () => null,
      // One message at a time: the one in flight, and none waiting (the dispatcher only tells an idle worker).
      mailboxLimit: 2,
      // executeAttempt ends by the task's own timeout; this only guards against a defect in it.
      handlerTimeoutMs: Math.min(MAX_TIMER_MS, limits.timeoutMaxMs + 10_000),
      // A worker goes on with the task the dispatcher answers its report with, for up to
      // PULL_BUDGET_MS, rather than going idle for a message per task: the mailbox hop costs
      // more than a trivial task. One task at a time still; each with its own timeout.
      handle: async (state, msg) => {
        const until = performance.now() + PULL_BUDGET_MS;
        let rec: TaskRecord | undefined = msg.rec;
        while (rec) {
          const outcome = await executeAttempt(rec, cpu);
          rec = await report(rec, outcome, performance.now() < until);
        }
        return state;
      },
      onStop: () => {
        inbox.stopped.push(worker);
        inbox.wake();
      },
    });
    this.workers.add(worker);
    this.idle.push(worker);
  }

  private workerStopped(worker: PoolWorker): void {
    if (this.workers.delete(worker) && this.running && !worker.retiring) {
      if (worker.busy) {
        worker.busy = false;
        this.busy--;
      }
      this.o.counters.workerRestarts++;
      this.addWorker();
    }
  }

  /** Books an attempt's end; returns the worker's next task when it may go on (see the worker's handler). */
  private done(worker: PoolWorker, rec: TaskRecord, outcome: Outcome, goOn: boolean): TaskRecord | undefined {
    if (worker.busy) {
      worker.busy = false;
      this.busy--;
    }
    if (rec.startedAt !== undefined) this.o.events?.ran?.(rec.type, outcome.kind, (this.o.now() - rec.startedAt) / 1000);
    if (rec.status === 'running') this.settle(rec, outcome);
    if (worker.retiring) {
      worker.ref.stop();
      return undefined;
    }
    if (!this.running || worker.ref.stopped) return undefined;
    if (goOn) {
      const next = this.queue.pop();
      if (next) {
        this.begin(worker, next);
        return next;
      }
    }
    this.idle.push(worker);
    return undefined;
  }

  private settle(rec: TaskRecord, outcome: Outcome): void {
    switch (outcome.kind) {
      case 'ok': {
        let bytes: number;
        try {
          bytes = outcome.value === undefined ? 0 : rec.bytes > 0 ? rec.bytes : pack(outcome.value).length;
        } catch {
          return this.finish(rec, 'failed', { error: 'the result cannot be encoded (msgpack)' });
        }
        if (bytes > this.o.limits.resultMaxBytes) {
          return this.finish(rec, 'failed', { error: `the result is ${bytes} bytes, over ${this.o.limits.resultMaxBytes} (SUPERNOVA_TASK_RESULT_MAX_BYTES)` });
        }
        rec.bytes = bytes;
        rec.progress = 1;
        return this.finish(rec, 'succeeded', { result: outcome.value });
      }
      case 'cancelled':
        return this.finish(rec, 'cancelled', {});
      case 'error':
      case 'timeout': {
        if (rec.def.retryable && rec.attempts < this.o.limits.attempts && this.running) return this.retry(rec);
        return this.finish(rec, outcome.kind === 'timeout' ? 'timed_out' : 'failed', { error: outcome.message });
      }
    }
  }

  /** Full jitter: a random delay up to BASE * 2^(attempt-1), so retries of many failed tasks spread out. */
  private retry(rec: TaskRecord): void {
    this.o.counters.retries++;
    rec.status = 'queued';
    rec.progress = 0;
    const delay = Math.floor(Math.random() * this.o.limits.retryBaseMs * 2 ** (rec.attempts - 1));
    this.retrying.add(rec);
    const inbox = this.o.inbox;
    // The timer fires outside the actor: it hands the record back through the inbox.
    rec.retryTimer = setTimeout(() => {
      this.retrying.delete(rec);
      rec.retryTimer = undefined;
      inbox.due.push(rec);
      inbox.wake();
    }, Math.min(delay, MAX_TIMER_MS));
  }

  private cancelRecord(rec: TaskRecord): void {
    if (FINAL_STATUSES.has(rec.status)) return;
    if (rec.retryTimer) {
      clearTimeout(rec.retryTimer);
      this.retrying.delete(rec);
      rec.retryTimer = undefined;
    }
    this.queue.remove(rec, rec.priority);
    const stop = rec.stop;
    this.finish(rec, 'cancelled', {});
    // A running attempt ends at once (its worker is freed by the race in executeAttempt).
    stop?.('cancelled');
  }

  private finish(rec: TaskRecord, status: TaskStatus, end: { result?: unknown; error?: string }): void {
    rec.status = status;
    rec.finishedAt = this.o.now();
    if (end.result !== undefined) rec.result = end.result;
    if (end.error !== undefined) rec.error = end.error;
    const c = this.o.counters;
    if (status === 'succeeded') c.succeeded++;
    else if (status === 'failed') c.failed++;
    else if (status === 'timed_out') c.timedOut++;
    else if (status === 'cancelled') c.cancelled++;
    const waiters = rec.waiters;
    rec.waiters = undefined;
    if (rec.batch) {
      rec.batch.onDone(rec);
      if (waiters) for (const w of waiters) w(viewOf(rec));
      return;
    }
    this.keep(rec);
    const view = viewOf(rec);
    if (waiters) for (const w of waiters) w(view);
    this.o.events?.finished?.(view, rec.user);
  }

  /** Keeps a finished record in memory for the TTL, within the bounds, and writes it through to the store. */
  private keep(rec: TaskRecord): void {
    const l = this.o.limits;
    this.finished.set(rec.id, rec);
    this.finishedBytes += rec.bytes;
    while (this.finished.size > l.recordsMax || this.finishedBytes > l.resultsMaxBytes) this.dropOldest();
    const store = this.o.results;
    if (store) {
      store.set(RESULT_KEY + rec.id, { view: viewOf(rec), expiresAt: (rec.finishedAt ?? this.o.now()) + l.resultTtlMs }).catch(() => {
        this.o.counters.storeErrors++;
      });
    }
  }

  private dropOldest(): void {
    for (const [id, rec] of this.finished) {
      this.finished.delete(id);
      this.records.delete(id);
      this.finishedBytes -= rec.bytes;
      return;
    }
  }

  private sweep(): void {
    const cutoff = this.o.now() - this.o.limits.resultTtlMs;
    for (const rec of this.finished.values()) {
      if ((rec.finishedAt ?? 0) > cutoff) break;
      this.dropOldest();
    }
  }

  private scale(): void {
    if (!this.running) return;
    const now = this.o.now();
    const queued = this.queue.size;
    if (queued > 0 || this.busy >= this.workers.size) this.calmSince = now;
    const l = this.o.limits;
    const step = scaleStep(
      { size: this.workers.size, busy: this.busy, queued, oldestWaitMs: this.queue.oldestWaitMs(), calmForMs: now - this.calmSince },
      { min: l.workersMin, max: l.workersMax, upWaitMs: l.scaleUpWaitMs, downIdleMs: l.scaleDownIdleMs },
    );
    if (step > 0) {
      this.o.counters.scaledUp += step;
      for (let i = 0; i < step; i++) this.addWorker();
      this.pump();
    } else if (step < 0) {
      const worker = this.idle.pop();
      if (!worker) return;
      this.o.counters.scaledDown++;
      worker.retiring = true;
      this.workers.delete(worker);
      worker.ref.stop();
    }
  }
}

/** Spawns the dispatcher actor over `core`; a crash resets it onto the same core (see DispatcherCore). */
export function spawnDispatcher(supervisor: Supervisor, core: DispatcherCore, onGone: () => void): ActorRef<DispatcherMsg> {
  return supervisor.spawn<DispatcherCore, DispatcherMsg>({
    name: 'task-dispatcher',
    initialState: () => core,
    handle: (state, msg) => {
      state.handle(msg);
      return state;
    },
    onCrash: (err, msg) => {
      core.crashed(err);
      // An ask must not wait for its timeout: answer it as if the id were unknown, or done.
      if (msg.type === 'cancel') msg.reply(undefined);
      else if (msg.type === 'shutdown') msg.reply(true);
      return 'reset';
    },
    // Admissions, reports and retries come through the inbox (one drain message at a time);
    // the mailbox holds ticks and cancellations, refused past this (cancel then answers 503).
    mailboxLimit: 4096,
    onStop: onGone,
  });
}
