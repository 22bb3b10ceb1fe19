import { Subject } from 'rxjs';
import type { Observable } from 'rxjs';
import type { Feed, Tick, TickBatch } from '../ports.js';
import { IngestBusyError, IngestUnavailableError, InvalidOptionError } from '../errors.js';
import { tickLimits, tickRefusal, type TickLimits, type TickRefusal, type TickRejectReason } from '../market/tick-validation.js';
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
}

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

/**
 * A feed that non-feed sources (HTTP ingest) push into. Merged with the configured feed, it
 * reaches the one market pipeline like any other tick.
 *
 * Nothing is buffered here: a push hands its ticks to the pipeline synchronously, or refuses the
 * whole push when nobody is reading (IngestUnavailableError) or when the pipeline's pending
 * publications are at `maxPending` (IngestBusyError). So the backlog is bounded by
 * `maxPending` plus one push, and the caller decides whether to retry.
 */
export class TickIngest implements Feed {
  readonly name = 'ingest';
  private readonly subject = new Subject<TickBatch>();
  private readonly limits: TickLimits;
  private readonly maxErrors: number;
  private readonly now: () => number;
  private readonly rejects = new RejectCounts();
  private acceptedCount = 0;

  constructor(private readonly options: TickIngestOptions) {
    if (!Number.isInteger(options.maxPending) || options.maxPending < 1) {
      throw new InvalidOptionError('maxPending', `must be an integer >= 1, got ${options.maxPending}`);
    }
    this.limits = tickLimits(options.tickLimits);
    this.maxErrors = options.maxErrors ?? 100;
    this.now = options.now ?? Date.now;
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

  /**
   * Validates each item and hands the valid ones to the pipeline, in order, as one batch. They go
   * as the objects they are, with no copy: the pipeline reads them synchronously within this call
   * and keeps none of them (it keeps numbers: columns, state, bars), and it checks every tick
   * again, so an item changed after this check is refused there rather than trusted.
   */
  push(items: readonly unknown[]): IngestReport {
    if (!this.subject.observed) throw new IngestUnavailableError();
    const pending = this.options.pending();
    if (pending >= this.options.maxPending) throw new IngestBusyError(pending, this.options.maxPending);
    const now = this.now();
    const report: IngestReport = { accepted: 0, rejected: 0, errors: [] };
    const admit = this.admission();
    // The items themselves while all of them pass (the common case); a list from the first refusal.
    let batch: Tick[] | undefined;
    for (let index = 0; index < items.length; index++) {
      const item = items[index];
      let refusal: TickRefusal | undefined = tickRefusal(item, this.limits, now);
      if (refusal === undefined) {
        const { symbol } = item as Tick;
        if (admit(symbol)) {
          batch?.push(item as Tick);
          continue;
        }
        refusal = { reason: 'SYMBOL_LIMIT', message: `no room for the new symbol ${symbol}: the engine tracks its maximum of symbols (SUPERNOVA_MAX_SYMBOLS)` };
      }
      batch ??= items.slice(0, index) as Tick[];
      this.rejects.record(refusal.reason);
      report.rejected++;
      if (report.errors.length < this.maxErrors) report.errors.push({ index, reason: refusal.reason, message: refusal.message });
    }
    const accepted = batch ?? (items as TickBatch);
    report.accepted = accepted.length;
    this.acceptedCount += accepted.length;
    // Synchronous: the pipeline has taken the batch (its symbols too) before the next push is checked.
    if (accepted.length > 0) this.subject.next(accepted);
    return report;
  }

  /** Whether a symbol fits, for one push: the symbols new in it count against the pipeline's room. */
  private admission(): (symbol: string) => boolean {
    const symbols = this.options.symbols;
    if (!symbols) return () => true;
    const room = symbols.room();
    const added = new Set<string>();
    // Pushes come in runs of one symbol: the last one admitted needs no lookup.
    let last: string | undefined;
    return (symbol) => {
      if (symbol === last) return true;
      if (!added.has(symbol) && !symbols.knows(symbol)) {
        if (added.size >= room) return false;
        added.add(symbol);
      }
      last = symbol;
      return true;
    };
  }
}
