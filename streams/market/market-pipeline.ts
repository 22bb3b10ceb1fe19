import { EMPTY, Subject, asyncScheduler, connect, filter, map, merge, takeUntil, tap } from 'rxjs';
import type { OperatorFunction, SchedulerLike, Subscription } from 'rxjs';
import type { Bar, ChannelPublisher, Feed, StreamLogger, Tick } from '../ports.js';
import { InvalidOptionError } from '../errors.js';
import { conflate } from '../operators/conflate.js';
import { eventTimeBars } from '../operators/event-time-bars.js';
import type { BarInterval } from '../operators/bar-interval.js';
import { MarketState } from './market-state.js';
import { BarStore } from './bar-store.js';
import { countsForPrice } from './price-conditions.js';
import { barChannel, marketChannel, tickChannel } from './channels.js';
import { tickLimits, validateTick, type TickLimits, type TickRejectReason } from './tick-validation.js';
import { RejectCounts } from './reject-counts.js';

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
   */
  maxSymbols?: number;
  /** Event-time bars to `bars:INTERVAL:SYM`; omitted: no bars. */
  bars?: MarketBarsOptions;
}

export interface MarketBarsOptions {
  intervals: readonly BarInterval[];
  /** How far behind the newest event time a tick may arrive and still count in its bar. */
  latenessMs: number;
  /** Least time between two partial updates of one bar (default 250 ms). */
  partialMs?: number;
  /** Closed bars kept per symbol and interval for the bars API; the oldest is dropped beyond it. */
  historySize: number;
}

/** What `ticks:SYM` carries. Short, stable names: this goes to every subscriber for every trade. */
export interface TickPublication {
  price: number;
  size: number;
  ts: number;
}

// A broker that is down fails every publish; one log line per interval says so without a flood.
const ERROR_LOG_INTERVAL_MS = 5_000;

const silentLogger: StreamLogger = { warn: () => {}, error: () => {} };

/**
 * feed -> state -> `ticks:SYM` for every trade, and `market:SYM` conflated per symbol.
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
  /** Ticks -> bars; undefined when bars are off. Holds no state: each subscription gets its own. */
  private readonly toBars: OperatorFunction<Tick, Bar> | undefined;
  private readonly feed: Feed;
  private readonly publisher: ChannelPublisher;
  private readonly conflateMs: number;
  private readonly logger: StreamLogger;
  private readonly scheduler: SchedulerLike;
  private readonly limits: TickLimits;
  private readonly maxSymbols: number;
  private readonly rejects = new RejectCounts();

  private subscription: Subscription | undefined;
  private stop$: Subject<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();

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
    this.toBars = bars && eventTimeBars({
      intervals: bars.intervals,
      latenessMs: bars.latenessMs,
      partialMs: bars.partialMs,
      countsForPrice,
      onLate: () => this.lateTicksCount++,
      scheduler: this.scheduler,
    });
    this.limits = tickLimits(options.tickLimits);
    this.maxSymbols = options.maxSymbols ?? 10_000;
    if (!Number.isInteger(this.maxSymbols) || this.maxSymbols < 1) {
      throw new InvalidOptionError('maxSymbols', `must be an integer >= 1, got ${this.maxSymbols}`);
    }
  }

  /** Whether a tick of this symbol would find room in the market state. */
  admits(symbol: string): boolean {
    return this.state.size < this.maxSymbols || this.state.has(symbol);
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
      .ticks()
      .pipe(
        takeUntil(stop$),
        // Refused ticks stop here: a bad symbol must not open a conflation window or a bar.
        map((tick) => this.onTick(tick)),
        filter((tick): tick is Tick => tick !== undefined),
        connect((ticks) => {
          const snapshots = ticks.pipe(
            map((tick) => tick.symbol),
            conflate(this.conflateMs, (symbol) => symbol, this.scheduler),
            tap((symbol) => this.publishSnapshot(symbol)),
          );
          const bars = this.toBars ? ticks.pipe(this.toBars, tap((bar) => this.onBar(bar))) : EMPTY;
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

  /** Validates, applies and publishes a tick; undefined for a refused tick the branches must not see. */
  private onTick(input: Tick): Tick | undefined {
    this.ticksInCount++;
    const check = validateTick(input, this.limits, this.scheduler.now());
    if (!check.ok) {
      this.rejects.record(check.reason);
      return undefined;
    }
    const tick = check.tick;
    if (!this.admits(tick.symbol)) {
      this.rejects.record('SYMBOL_LIMIT');
      return undefined;
    }
    this.state.apply(tick);
    const data: TickPublication = { price: tick.price, size: tick.size, ts: tick.ts };
    this.publish(tickChannel(tick.symbol), data);
    return tick;
  }

  private onBar(bar: Bar): void {
    if (bar.final) this.bars.add(bar);
    this.publish(barChannel(bar.interval, bar.symbol), bar);
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
