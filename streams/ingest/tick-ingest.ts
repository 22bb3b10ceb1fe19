import { Subject } from 'rxjs';
import type { Observable } from 'rxjs';
import type { Feed, Tick, TickBatch } from '../ports.js';
import { IngestBusyError, IngestUnavailableError, InvalidOptionError } from '../errors.js';
import { TickValidator, type TickLimits, type TickRefusal, type TickRejectReason } from '../market/tick-validation.js';
import { RejectCounts } from '../market/reject-counts.js';

export interface TickIngestOptions {
  /** Publications the pipeline may have pending before a push is refused as busy. */
  maxPending: number;
  /** How many publications the pipeline has pending now (`MarketPipeline.pendingPublications`). */
  pending: () => number;
  tickLimits?: Partial<TickLimits>;
  /** The symbols the pipeline tracks and its room for more (the MarketPipeline); past it, SYMBOL_LIMIT. Omitted: no limit. */
  symbols?: SymbolRoom;
  /** Refused ticks described in one report, at most; the counts stay exact. */
  maxErrors?: number;
  now?: () => number;
  /** How submitted lists are cut across event-loop turns (see submit). */
  chunks?: Partial<IngestChunking>;
}

/**
 * What one event-loop turn of submit() may do. A chunk is one batch to the pipeline; its cost is
 * mostly per tick and, far more, per symbol the pipeline has not seen (market state, bar series,
 * a history stream per channel), so both are bounded.
 */
export interface IngestChunking {
  /** Items (valid or not) in one chunk, at most. */
  ticks: number;
  /** Symbols new to the pipeline in one chunk, at most. */
  newSymbols: number;
  /** After a chunk, another one follows in the same turn while the turn has taken less than this. */
  turnMs: number;
  /** Submitted ticks not yet taken (all submissions together) at which a submit is refused as busy. */
  maxQueuedTicks: number;
}

// A chunk of 1,000 ticks is also the most one `ticks:` publication carries, so a list of one symbol
// is published as it was before chunking. A new symbol costs the pipeline several times a known
// one (a history stream per channel, among others), hence its own, smaller bound. A turn goes on
// while under turnMs, so it takes at most turnMs plus one chunk; short turns leave room for the
// young-generation collections that the new symbols' state brings (README, Feeding ticks).
export const DEFAULT_INGEST_CHUNKING: IngestChunking = { ticks: 1_000, newSymbols: 50, turnMs: 4, maxQueuedTicks: 10_000 };

/** What ingest needs to know of the pipeline's symbol limit, to report refusals per tick. */
export interface SymbolRoom {
  knows(symbol: string): boolean;
  /** How many symbols it does not know yet it can still take. */
  room(): number;
}

export interface IngestError {
  index: number;
  reason: TickRejectReason;
  message: string;
}

export interface IngestReport {
  accepted: number;
  rejected: number;
  /** The first `maxErrors` refusals, by position in the pushed list. */
  errors: IngestError[];
}

/** A submitted list on its way into the pipeline, a chunk per turn. */
interface Submission {
  readonly items: readonly unknown[];
  /** Index of the first item not taken yet. */
  next: number;
  readonly report: IngestReport;
  readonly resolve: (report: IngestReport) => void;
  readonly reject: (err: Error) => void;
}

/**
 * A feed that non-feed sources (HTTP ingest) push into. Merged with the configured feed, it
 * reaches the one market pipeline like any other tick.
 *
 * Two ways in. push() hands a list to the pipeline synchronously as one batch: for in-process
 * callers that size their own batches (a replay-sized thousand, say). submit() is for lists of
 * any size from outside (HTTP): it takes them in chunks, a few milliseconds of them per event-loop
 * turn, so a list of ten thousand new symbols never holds the loop (sockets, health probes) for
 * long, and answers once every tick of the list is in. Submissions go in arrival order,
 * one after the other, so the ticks of a symbol reach the pipeline in the order they were sent.
 *
 * Nothing waits unbounded: a push or submit is refused whole when nobody is reading
 * (IngestUnavailableError) or when the pipeline's pending publications are at `maxPending`
 * (IngestBusyError), and a submit also when `maxQueuedTicks` submitted ticks still wait. So the
 * backlog is bounded by those limits plus one list, and the caller decides whether to retry.
 */
export class TickIngest implements Feed {
  readonly name = 'ingest';
  private readonly subject = new Subject<TickBatch>();
  private readonly validator: TickValidator;
  private readonly maxErrors: number;
  private readonly now: () => number;
  private readonly chunking: IngestChunking;
  private readonly rejects = new RejectCounts();
  private acceptedCount = 0;
  /** Submissions in arrival order; the first is being taken. */
  private readonly queue: Submission[] = [];
  private queuedTicks = 0;
  private turnScheduled = false;

  constructor(private readonly options: TickIngestOptions) {
    if (!Number.isInteger(options.maxPending) || options.maxPending < 1) {
      throw new InvalidOptionError('maxPending', `must be an integer >= 1, got ${options.maxPending}`);
    }
    this.validator = new TickValidator(options.tickLimits);
    this.maxErrors = options.maxErrors ?? 100;
    this.now = options.now ?? Date.now;
    this.chunking = { ...DEFAULT_INGEST_CHUNKING, ...options.chunks };
    for (const key of ['ticks', 'newSymbols', 'maxQueuedTicks'] as const) {
      const value = this.chunking[key];
      if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError(`chunks.${key}`, `must be an integer >= 1, got ${value}`);
    }
    if (!(this.chunking.turnMs >= 0)) throw new InvalidOptionError('chunks.turnMs', `must be >= 0, got ${this.chunking.turnMs}`);
  }

  batches(): Observable<TickBatch> {
    return this.subject.asObservable();
  }

  /** Ticks accepted so far. */
  get accepted(): number {
    return this.acceptedCount;
  }

  /** Ticks refused so far, by reason. */
  get rejected(): Record<TickRejectReason, number> {
    return this.rejects.byReason();
  }

  /** Submitted ticks not yet taken by the pipeline. */
  get queued(): number {
    return this.queuedTicks;
  }

  /**
   * Validates each item and hands the valid ones to the pipeline, in order, as one batch. They go
   * as the objects they are, with no copy: the pipeline reads them synchronously within this call
   * and keeps none of them (it keeps numbers: columns, state, bars), and it checks every tick
   * again, so an item changed after this check is refused there rather than trusted.
   */
  push(items: readonly unknown[]): IngestReport {
    this.checkOpen();
    const report: IngestReport = { accepted: 0, rejected: 0, errors: [] };
    this.take(items, 0, items.length, Number.POSITIVE_INFINITY, report);
    return report;
  }

  /**
   * push() for a list of any size: validated and handed to the pipeline in chunks (IngestChunking)
   * across event-loop turns, after the lists submitted before it. Resolves with the report of the
   * whole list once its last chunk is in; refused whole (rejected, nothing taken) as push() is,
   * or while `maxQueuedTicks` submitted ticks wait. Should the pipeline stop meanwhile, the rest
   * is refused with IngestUnavailableError saying how much went in. The caller must not change
   * the list meanwhile.
   */
  submit(items: readonly unknown[]): Promise<IngestReport> {
    try {
      this.checkOpen();
      if (this.queuedTicks >= this.chunking.maxQueuedTicks) {
        throw new IngestBusyError(this.queuedTicks, this.chunking.maxQueuedTicks, 'submitted ticks waiting');
      }
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise<IngestReport>((resolve, reject) => {
      this.queue.push({ items, next: 0, report: { accepted: 0, rejected: 0, errors: [] }, resolve, reject });
      this.queuedTicks += items.length;
      // Nothing ahead of it: its first turn is this one (a small list is taken at once).
      if (this.queue.length === 1 && !this.turnScheduled) this.turn();
    });
  }

  private checkOpen(): void {
    if (!this.subject.observed) throw new IngestUnavailableError();
    const pending = this.options.pending();
    if (pending >= this.options.maxPending) throw new IngestBusyError(pending, this.options.maxPending);
  }

  /** Chunks of the queued submissions until the turn has taken turnMs, then the rest in a later turn. */
  private turn(): void {
    this.turnScheduled = false;
    const started = performance.now();
    let submission: Submission | undefined;
    while ((submission = this.queue[0]) !== undefined) {
      if (!this.subject.observed) {
        this.abandonAll();
        return;
      }
      const from = submission.next;
      try {
        submission.next = this.take(submission.items, from, Math.min(submission.items.length, from + this.chunking.ticks), this.chunking.newSymbols, submission.report);
      } catch (err) {
        // Not expected (the pipeline catches its own errors); the submission ends, the others go on.
        submission.next = submission.items.length;
        this.queuedTicks -= submission.items.length - from;
        this.queue.shift();
        submission.reject(err as Error);
        continue;
      }
      this.queuedTicks -= submission.next - from;
      if (submission.next === submission.items.length) {
        this.queue.shift();
        submission.resolve(submission.report);
      }
      if (performance.now() - started >= this.chunking.turnMs) break;
    }
    if (this.queue.length > 0) {
      this.turnScheduled = true;
      // setImmediate: after the poll phase, so the sockets (a health probe, other requests) are served in between.
      setImmediate(() => this.turn());
    }
  }

  /** The pipeline stopped reading: what is left cannot go in. Ticks already taken stay taken. */
  private abandonAll(): void {
    for (const s of this.queue.splice(0)) {
      const taken = s.report.accepted + s.report.rejected;
      s.reject(new IngestUnavailableError(taken === 0 ? 'the market pipeline stopped' : `the market pipeline stopped after ${taken} of the ${s.items.length} ticks were taken (${s.report.accepted} accepted)`));
    }
    this.queuedTicks = 0;
  }

  /**
   * Validates items [from, end) and hands the valid ones to the pipeline as one batch; stops early
   * before the symbol that would make more than `maxNewSymbols` new ones. Returns the index of
   * the first item not taken. Refusals go into `report` by their index in `items`.
   */
  private take(items: readonly unknown[], from: number, end: number, maxNewSymbols: number, report: IngestReport): number {
    const now = this.now();
    const room = this.options.symbols;
    // Read per batch: the pipeline has taken the previous one's symbols, and other feeds add theirs.
    const free = room ? room.room() : Number.POSITIVE_INFINITY;
    const added = new Set<string>();
    // Items come in runs of one symbol: the run's symbol needs no lookup.
    let last: string | undefined;
    // The items themselves while all of them pass (the common case); a list from the first refusal.
    let batch: Tick[] | undefined;
    let index = from;
    for (; index < end; index++) {
      const item = items[index];
      let refusal: TickRefusal | undefined = this.validator.refusal(item, now);
      if (refusal === undefined) {
        const { symbol } = item as Tick;
        if (symbol !== last && room && !added.has(symbol) && !room.knows(symbol)) {
          if (added.size >= free) {
            refusal = { reason: 'SYMBOL_LIMIT', message: `no room for the new symbol ${symbol}: the engine tracks its maximum of symbols (SUPERNOVA_MAX_SYMBOLS)` };
          } else if (added.size >= maxNewSymbols) {
            break;
          } else {
            added.add(symbol);
          }
        }
        if (refusal === undefined) {
          last = symbol;
          batch?.push(item as Tick);
          continue;
        }
      }
      batch ??= items.slice(from, index) as Tick[];
      this.rejects.record(refusal.reason);
      report.rejected++;
      if (report.errors.length < this.maxErrors) report.errors.push({ index, reason: refusal.reason, message: refusal.message });
    }
    const accepted = batch ?? ((from === 0 && index === items.length ? items : items.slice(from, index)) as TickBatch);
    report.accepted += accepted.length;
    this.acceptedCount += accepted.length;
    // Synchronous: the pipeline has taken the batch (its symbols too) before the next one is checked.
    if (accepted.length > 0) this.subject.next(accepted);
    return index;
  }
}
