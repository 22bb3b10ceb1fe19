import { EMPTY, Subject, asyncScheduler, connect, filter, map, merge, mergeMap, takeUntil, tap } from 'rxjs';
import type { OperatorFunction, SchedulerLike, Subscription } from 'rxjs';
import type { Bar, ChannelPublisher, Feed, StreamLogger, Tick, TickBatch } from '../ports.js';
import { InvalidOptionError } from '../errors.js';
import { conflate } from '../operators/conflate.js';
import { eventTimeBars } from '../operators/event-time-bars.js';
import type { BarInterval } from '../operators/bar-interval.js';
import { MarketState } from './market-state.js';
import { BarStore } from './bar-store.js';
import { countsForPrice } from './price-conditions.js';
import { barChannel, marketChannel, tickChannel } from './channels.js';
import { TickValidator, tradeProblem, type TickLimits, type TickRejectReason } from './tick-validation.js';
import { RejectCounts } from './reject-counts.js';
import { TickColumnsWriter } from './tick-publication.js';
import { MARKET_MEMORY_BUDGET_BYTES, maxSymbolsWithin } from './symbol-memory.js';

export interface MarketPipelineOptions {
  feed: Feed;
  publisher: ChannelPublisher;
  /** Minimum gap between two `market:SYM` publications of one symbol. */
  conflateMs?: number;
  logger?: StreamLogger;
  /** Drives the conflation windows and the clock of the timestamp check; virtual-time tests pass theirs. */
  scheduler?: SchedulerLike;
  /** Bounds of an acceptable tick's event time; see DEFAULT_TICK_LIMITS. */
  tickLimits?: Partial<TickLimits>;
  /**
   * Most symbols the market state tracks. Past it, ticks of a new symbol are refused
   * (SYMBOL_LIMIT) while known symbols keep trading: state is never evicted mid-session.
   * Omitted: as many as fit MARKET_MEMORY_BUDGET_BYTES (see symbol-memory.ts).
   */
  maxSymbols?: number;
  /** Event-time bars to `bars:INTERVAL:SYM`; omitted: no bars. */
  bars?: MarketBarsOptions;
  /** Each batch's accepted ticks, in arrival order, as they are applied (tick persistence). */
  onTicks?: (ticks: TickBatch) => void;
}

export interface MarketBarsOptions {
  intervals: readonly BarInterval[];
  /** How far behind the newest event time a tick may arrive and still count in its bar. */
  latenessMs: number;
  /** Least time between two partial updates of one bar (default 250 ms). */
  partialMs?: number;
  /** Closed bars kept per symbol and interval for the bars API; the oldest is dropped beyond it. */
  historySize: number;
  /** Each final bar, as it closes (persistence). */
  onFinal?: (bar: Bar) => void;
}

/** The ticks of a batch that passed validation, and their symbols (each once). */
interface AcceptedBatch {
  ticks: TickBatch;
  symbols: string[];
}

// A broker that is down fails every publish; one log line per interval says so without a flood.
const ERROR_LOG_INTERVAL_MS = 5_000;

/** Trades room a batch's second and later symbols start with (their columns double from there). */
const FIRST_COLUMNS_OF_ANOTHER_SYMBOL = 64;

const silentLogger: StreamLogger = { warn: () => {}, error: () => {} };

/**
 * feed batches -> state -> `ticks:SYM` per symbol and batch, `market:SYM` conflated per symbol, and
 * event-time bars to `bars:INTERVAL:SYM`. A batch is taken apart in one plain loop (validation,
 * state, grouping by symbol); only the accepted batch and its symbols travel through RxJS.
 *
 * Conflation runs over symbols, not snapshots: the snapshot is read from the state when the
 * window lets it out, so it is always the latest and only emitted snapshots are allocated.
 * Publishing is fire-and-track: a slow or failing broker never stalls or ends the stream. A
 * publisher with publishSync (the memory broker) is done when it returns, so nothing is tracked.
 */
export class MarketPipeline {
  readonly state = new MarketState();
  /** Closed bars for the bars API (empty, with no intervals, when bars are off). */
  readonly bars: BarStore;
  private readonly onFinalBar: ((bar: Bar) => void) | undefined;
  private readonly onTicks: ((ticks: TickBatch) => void) | undefined;
  /** Ticks -> bars; undefined when bars are off. Holds no state: each subscription gets its own. */
  private readonly toBars: OperatorFunction<TickBatch, Bar> | undefined;
  private readonly feed: Feed;
  private readonly publisher: ChannelPublisher;
  private readonly conflateMs: number;
  private readonly logger: StreamLogger;
  private readonly scheduler: SchedulerLike;
  private readonly validator: TickValidator;
  private readonly maxSymbols: number;
  private readonly rejects = new RejectCounts();

  private subscription: Subscription | undefined;
  private stop$: Subject<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** interval -> symbol -> bars channel (see barChannelOf). */
  private readonly barChannels = new Map<string, Map<string, string>>();

  private ticksInCount = 0;
  private publishedCount = 0;
  private publishErrorCount = 0;
  private lateTicksCount = 0;
  private suppressedErrorLogs = 0;
  private lastErrorLogAt = Number.NEGATIVE_INFINITY;

  constructor(options: MarketPipelineOptions) {
    const conflateMs = options.conflateMs ?? 100;
    if (!Number.isFinite(conflateMs) || conflateMs <= 0) {
      throw new InvalidOptionError('conflateMs', `must be a positive number of milliseconds, got ${conflateMs}`);
    }
    this.feed = options.feed;
    this.publisher = options.publisher;
    this.conflateMs = conflateMs;
    this.logger = options.logger ?? silentLogger;
    this.scheduler = options.scheduler ?? asyncScheduler;
    const bars = options.bars;
    this.bars = new BarStore(bars?.intervals.map((i) => i.name) ?? [], bars?.historySize ?? 1);
    this.onFinalBar = bars?.onFinal;
    this.onTicks = options.onTicks;
    this.toBars = bars && eventTimeBars({
      intervals: bars.intervals,
      latenessMs: bars.latenessMs,
      partialMs: bars.partialMs,
      countsForPrice,
      onLate: () => this.lateTicksCount++,
      scheduler: this.scheduler,
    });
    this.validator = new TickValidator(options.tickLimits);
    this.maxSymbols = options.maxSymbols ?? maxSymbolsWithin(MARKET_MEMORY_BUDGET_BYTES, bars?.intervals.length ?? 0, bars?.historySize ?? 0);
    if (!Number.isInteger(this.maxSymbols) || this.maxSymbols < 1) {
      throw new InvalidOptionError('maxSymbols', `must be an integer >= 1, got ${this.maxSymbols}`);
    }
  }

  /** Whether the market state tracks this symbol. */
  knows(symbol: string): boolean {
    return this.state.has(symbol);
  }
  /** How many more symbols the market state can take; a tick of a symbol beyond it is refused. */
  room(): number {
    return this.maxSymbols - this.state.size;
  }

  /** Ticks taken from the feed (valid or not). */
  get ticksIn(): number {
    return this.ticksInCount;
  }
  /** Ticks refused by validation, whatever the reason. */
  get ticksDropped(): number {
    return this.rejects.total;
  }
  /** Ticks refused by validation, by reason (every reason present, zero or not). */
  get ticksRejected(): Record<TickRejectReason, number> {
    return this.rejects.byReason();
  }
  /**
   * Publications handed to the publisher and not settled yet: how far the broker is behind.
   * Sources that can wait refuse (HTTP ingest) or pause (Redis, replay) while this is high.
   */
  get pendingPublications(): number {
    return this.inFlight.size;
  }
  /** Publications the publisher resolved. */
  get published(): number {
    return this.publishedCount;
  }
  /** Publications the publisher rejected (or threw on). */
  get publishErrors(): number {
    return this.publishErrorCount;
  }
  /** (tick, interval) pairs dropped because the tick came after its bar had closed. */
  get lateTicks(): number {
    return this.lateTicksCount;
  }
  get running(): boolean {
    return this.subscription !== undefined && !this.subscription.closed;
  }

  /** Subscribes to the feed. Calling it while running is a no-op. */
  start(): void {
    if (this.running) return;
    const stop$ = new Subject<void>();
    this.stop$ = stop$;
    // One feed subscription for every branch (connect subscribes them all before the feed
    // starts, so a synchronous feed reaches both): a replay must not read its file twice. Ending
    // the source (rather than just unsubscribing) lets conflate and the bars flush, so stop()
    // still publishes each symbol's final snapshot and closes every open bar.
    this.subscription = this.feed
      .batches()
      .pipe(
        takeUntil(stop$),
        // Refused ticks stop here: a bad symbol must not open a conflation window or a bar.
        map((batch) => this.onBatch(batch)),
        filter((accepted): accepted is AcceptedBatch => accepted !== undefined),
        connect((accepted) => {
          const snapshots = accepted.pipe(
            mergeMap((a) => a.symbols),
            conflate(this.conflateMs, (symbol) => symbol, this.scheduler),
            tap((symbol) => this.publishSnapshot(symbol)),
          );
          const bars = this.toBars ? accepted.pipe(map((a) => a.ticks), this.toBars, tap((bar) => this.onBar(bar))) : EMPTY;
          return merge(snapshots, bars);
        }),
      )
      .subscribe({
        error: (err: unknown) => this.logger.error({ err, feed: this.feed.name }, 'market feed failed; pipeline stopped'),
      });
  }

  /**
   * Ends the feed subscription, publishes the final snapshots, cancels every timer, and waits for
   * publications still in flight to settle.
   */
  async stop(): Promise<void> {
    this.stop$?.next();
    this.stop$?.complete();
    this.subscription?.unsubscribe();
    this.stop$ = undefined;
    this.subscription = undefined;
    await Promise.all([...this.inFlight]);
  }

  /**
   * Validates and applies a batch and publishes its trades per symbol; undefined when every tick
   * was refused. The batch itself goes on when all of it passed (the common case: no copy).
   */
  private onBatch(batch: TickBatch): AcceptedBatch | undefined {
    this.ticksInCount += batch.length;
    const now = this.scheduler.now();
    const limits = this.validator.limits;
    // Each symbol's trades of the batch, in the order the symbols first appear.
    const trades = new Map<string, TickColumnsWriter>();
    let accepted: Tick[] | undefined;
    // Batches come in runs of one symbol: the run's writer saves a map lookup per tick.
    let symbol: string | undefined;
    let writer: TickColumnsWriter | undefined;
    for (let i = 0; i < batch.length; i++) {
      const tick = batch[i] as Tick;
      // Feeds are typed, not trusted: a hole in a batch is a refused tick, not a stopped pipeline.
      const reason = typeof tick !== 'object' || tick === null
        ? 'BAD_SHAPE'
        : tick.symbol === symbol ? tradeProblem(tick.price, tick.size, tick.ts, limits, now) : this.refusal(tick, now);
      if (reason) {
        this.rejects.record(reason);
        accepted ??= batch.slice(0, i);
        continue;
      }
      if (tick.symbol !== symbol || writer === undefined) {
        symbol = tick.symbol;
        writer = trades.get(symbol);
        if (!writer) {
          // The first symbol may be the whole rest of the batch; another one is likely a share of it.
          writer = new TickColumnsWriter(trades.size === 0 ? batch.length - i : FIRST_COLUMNS_OF_ANOTHER_SYMBOL);
          trades.set(symbol, writer);
        }
      }
      this.state.apply(tick);
      writer.add(tick);
      accepted?.push(tick);
    }
    if (trades.size === 0) return undefined;
    for (const [sym, written] of trades) {
      const channel = tickChannel(sym);
      for (const publication of written.publications()) this.publish(channel, publication);
    }
    const ticks = accepted ?? batch;
    this.onTicks?.(ticks);
    return { ticks, symbols: [...trades.keys()] };
  }

  /** Why a tick is refused (its values, or no room for a new symbol), or undefined. */
  private refusal(tick: Tick, now: number): TickRejectReason | undefined {
    const reason = this.validator.problem(tick.symbol, tick.price, tick.size, tick.ts, now);
    if (reason) return reason;
    return this.knows(tick.symbol) || this.room() > 0 ? undefined : 'SYMBOL_LIMIT';
  }

  private onBar(bar: Bar): void {
    if (bar.final) {
      this.bars.add(bar);
      this.onFinalBar?.(bar);
    }
    this.publish(this.barChannelOf(bar), bar);
  }

  /**
   * `bars:INTERVAL:SYM`, one string per series for the pipeline's life rather than one per bar:
   * the broker's maps are keyed by channel, and a string hashes once. Bounded by the symbols the
   * state admits (maxSymbols) times the intervals.
   */
  private barChannelOf(bar: Bar): string {
    let bySymbol = this.barChannels.get(bar.interval);
    if (!bySymbol) this.barChannels.set(bar.interval, (bySymbol = new Map()));
    let channel = bySymbol.get(bar.symbol);
    if (channel === undefined) bySymbol.set(bar.symbol, (channel = barChannel(bar.interval, bar.symbol)));
    return channel;
  }

  private publishSnapshot(symbol: string): void {
    const snapshot = this.state.snapshot(symbol);
    if (snapshot) this.publish(marketChannel(symbol), snapshot);
  }

  private publish(channel: string, data: unknown): void {
    let pending: Promise<unknown>;
    try {
      if (this.publisher.publishSync) {
        this.publisher.publishSync(channel, data);
        this.publishedCount++;
        return;
      }
      pending = Promise.resolve(this.publisher.publish(channel, data));
    } catch (err) {
      this.onPublishError(channel, err);
      return;
    }
    // Each callback removes its own promise, so tracking costs no extra promise per publish.
    const settled: Promise<void> = pending.then(
      () => {
        this.publishedCount++;
        this.inFlight.delete(settled);
      },
      (err: unknown) => {
        this.onPublishError(channel, err);
        this.inFlight.delete(settled);
      },
    );
    this.inFlight.add(settled);
  }

  private onPublishError(channel: string, err: unknown): void {
    this.publishErrorCount++;
    const now = Date.now();
    if (now - this.lastErrorLogAt < ERROR_LOG_INTERVAL_MS) {
      this.suppressedErrorLogs++;
      return;
    }
    this.logger.warn(
      { err, channel, publishErrors: this.publishErrorCount, suppressed: this.suppressedErrorLogs },
      'market publish failed',
    );
    this.lastErrorLogAt = now;
    this.suppressedErrorLogs = 0;
  }
}
