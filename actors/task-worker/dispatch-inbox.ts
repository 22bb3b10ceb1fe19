import type { ActorRef } from '../runtime/index.js';
import type { Outcome } from './execute.js';
import type { TaskRecord } from './record.js';
import type { Priority, TaskView } from './types.js';

/** A task handed to a worker actor. */
export interface WorkerMsg {
  rec: TaskRecord;
}

/** One worker actor of the pool, as the dispatcher tracks it. */
export interface PoolWorker {
  ref: ActorRef<WorkerMsg>;
  busy: boolean;
  /** Set when the pool shrinks: it takes no more work. */
  retiring: boolean;
}

/** A batch the facade admitted: its parent and its items, at most `k` at once. */
export class BatchAdmission {
  constructor(readonly parent: TaskRecord, readonly items: TaskRecord[], readonly k: number) {}

  /** Items queued at once. */
  get queued(): number {
    return Math.min(this.k, this.items.length);
  }
}

/** What the facade admitted: one task (its record itself: no object made per submission), or a batch. */
export type Admission = TaskRecord | BatchAdmission;

/** A worker's outcome; `reply` hands the worker its next task (or undefined: it goes idle). */
export interface Report {
  worker: PoolWorker;
  rec: TaskRecord;
  outcome: Outcome;
  /** Whether the worker is still within its pull budget and may take another task in this exchange. */
  goOn: boolean;
  reply(next: TaskRecord | undefined): void;
}

/**
 * The dispatcher's messages. A `drain` carries nothing itself: it tells the dispatcher to take
 * everything in the inbox (admissions, worker reports, retries due, stopped workers), so a burst
 * of submissions or of finished tasks costs one mailbox hop, not one per task.
 */
export type DispatcherMsg =
  | { type: 'drain' }
  | { type: 'cancel'; id: string; reply(view: TaskView | undefined): void }
  | { type: 'scale' }
  | { type: 'sweep' }
  | { type: 'shutdown'; reply(done: true): void }
  /** Test-only (the `faults` option): the dispatcher's handler throws, after taking `after` inbox items when given. */
  | { type: 'fault'; after?: number };

/**
 * What is waiting for the dispatcher, filled by the facade (admissions), the worker actors
 * (reports, stops) and retry timers, emptied only by the dispatcher actor. Each list is bounded:
 * admissions by SUPERNOVA_TASK_QUEUE_MAX (the facade's admission check counts them), reports and
 * stops by the pool's size (a worker waits for its reply before it reports again), retries by the
 * records. At most one `drain` message is in the mailbox at a time.
 */
export class DispatchInbox {
  admitted: Admission[] = [];
  /** Tasks in `admitted` that will be queued at once (a batch counts its first k items): the admission counter. */
  admittedQueued = 0;
  /** The same by priority, for the queue depth the stats show. */
  readonly admittedDepth: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
  reports: Report[] = [];
  due: TaskRecord[] = [];
  stopped: PoolWorker[] = [];
  /** A drain message is in the dispatcher's mailbox. */
  scheduled = false;

  constructor(private readonly ref: () => ActorRef<DispatcherMsg> | undefined) {}

  get empty(): boolean {
    return this.admitted.length === 0 && this.reports.length === 0 && this.due.length === 0 && this.stopped.length === 0;
  }

  /**
   * Makes sure a drain message is on its way. A full mailbox refuses it (the runtime counts that in
   * mailboxRejections): the items stay here and the next scaling tick sends it again.
   */
  wake(): void {
    if (this.scheduled) return;
    const ref = this.ref();
    if (ref?.tell({ type: 'drain' })) this.scheduled = true;
  }

  admit(a: Admission): void {
    const batch = a instanceof BatchAdmission;
    const n = batch ? a.queued : 1;
    this.admitted.push(a);
    this.admittedQueued += n;
    this.admittedDepth[(batch ? a.parent : a).priority] += n;
    this.wake();
  }

  /** The dispatcher took `a` off the list. */
  taken(a: Admission): void {
    const batch = a instanceof BatchAdmission;
    const n = batch ? a.queued : 1;
    this.admittedQueued -= n;
    this.admittedDepth[(batch ? a.parent : a).priority] -= n;
  }
}
