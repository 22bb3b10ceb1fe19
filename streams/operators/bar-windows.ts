import { Observable, asyncScheduler } from 'rxjs';
import type { OperatorFunction, SchedulerLike, Subscription } from 'rxjs';
import type { Bar, Tick, TickBatch } from '../ports.js';
import { InvalidOptionError } from '../errors.js';
import { notionalOf, vwapOf } from '../prices.js';
import type { BarInterval } from './bar-interval.js';

export interface BarWindowsOptions {
  intervals: readonly BarInterval[];
  /** How far behind the newest event time a tick may arrive and still count. */
  latenessMs: number;
  /**
   * Whether a print may set open/high/low/close. Prints it rejects still count for volume,
   * VWAP and trades (as with opening-auction or average-price prints in a consolidated tape).
   * A bar whose prints are all rejected takes its prices from them rather than having none.
   */
  countsForPrice?: (tick: Tick) => boolean;
  /** Called for each (tick, interval) that arrived after its bar closed; the tick is dropped for it. */
  onLate?: (tick: Tick, interval: BarInterval) => void;
  /** Drives the idle close timer; virtual-time tests pass theirs. */
  scheduler?: SchedulerLike;
}

/**
 * A bar as barWindows emits it: the operator's own record, mutated in place by later ticks until
 * it is emitted with `final: true`. Read it (or copy it with toBar) when it arrives; do not keep it.
 * Emitting the record rather than a copy per tick lets a throttle downstream (eventTimeBars)
 * key on it and copy only the bars it lets through, which are a few per second, not two per tick.
 */
export interface LiveBar {
  readonly symbol: string;
  readonly interval: BarInterval;
  readonly start: number;
  readonly end: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  /** Sum of price x size in decicents (see prices.ts). */
  readonly notional: number;
  readonly trades: number;
  /** Set once, when the bar closes; nothing changes it after. */
  readonly final: boolean;
  /**
   * The bar's series as `INTERVAL:SYM`: the key of state kept per series downstream (the
   * partials' rate limit), and the very same string for every bar of the series.
   */
  readonly series: string;
}

/** The bar as it stands now, as a plain value that later ticks cannot change. */
export function toBar(bar: LiveBar): Bar {
  return {
    symbol: bar.symbol,
    interval: bar.interval.name,
    start: bar.start,
    end: bar.end,
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: bar.volume,
    vwap: vwapOf(bar.notional, bar.volume),
    trades: bar.trades,
    final: bar.final,
  };
}

interface Clock {
  /** Newest event time seen. */
  maxEventTime: number;
  /** Scheduler time when the newest batch arrived. */
  lastTickAt: number;
  /** Every bar ending at or before it is closed. */
  closedThrough: number;
  /** The earliest end among the open bars. */
  nextCloseAt: number;
}

/**
 * One symbol's open bars of one interval, oldest first. Its key is made once and shared by its
 * bars, so keying state per series downstream hashes one string, not a new one per bar.
 */
interface Series {
  readonly key: string;
  readonly bars: OpenBar[];
}

/** An open bar: mutated in place per tick. */
interface OpenBar extends LiveBar {
  readonly interval: BarInterval;
  readonly start: number;
  readonly end: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  notional: number;
  trades: number;
  final: boolean;
  /** Whether a print that counts for price has set the prices yet. */
  priced: boolean;
  /** The last batch that changed it, so a batch emits each bar it changed once. */
  batch: number;
}

/**
 * Tick batches -> OHLCV bars by event time, for every interval: a partial bar (`final: false`)
 * after each batch that changed it (once per batch, however many of its ticks did), and the bar
 * once more with `final: true` when it closes. The values are live records (see LiveBar): toBar
 * turns one into a Bar. Ticks are taken in order; a final goes out the moment a tick moves the
 * watermark past its bar, before the batch's partials, which come last, in the order first changed.
 *
 * Closing: the watermark is the newest event time seen (over all symbols of the stream) minus
 * `latenessMs`; a bar closes once the watermark reaches its end. While the stream is quiet the
 * watermark also advances with the scheduler's clock (newest event time + time since that tick
 * arrived - lateness), so the last bar of a quiet symbol closes `latenessMs` after its end
 * instead of waiting for the next trade. One timer, set for the earliest open bar, does this.
 *
 * Late ticks: a tick whose bar the watermark has already passed is dropped for that interval and
 * reported through `onLate` (closed bars are never reopened or corrected).
 *
 * Completion closes every open bar (in order) and then completes; an error is forwarded at once
 * and open bars are dropped; unsubscribing cancels the timer. State is plain objects per symbol.
 */
export function barWindows(options: BarWindowsOptions): OperatorFunction<TickBatch, LiveBar> {
  const { intervals, latenessMs } = options;
  if (intervals.length === 0) throw new InvalidOptionError('intervals', 'needs at least one bar interval');
  if (!Number.isFinite(latenessMs) || latenessMs < 0) {
    throw new InvalidOptionError('latenessMs', `must be a non-negative number of milliseconds, got ${latenessMs}`);
  }
  const countsForPrice = options.countsForPrice ?? (() => true);
  const onLate = options.onLate ?? (() => {});
  const scheduler = options.scheduler ?? asyncScheduler;

  return (source) =>
    new Observable<LiveBar>((subscriber) => {
      // symbol -> per interval (same order as `intervals`), that interval's open bars by start.
      const open = new Map<string, Series[]>();
      // The times live in an object, not in `let`s: a closure variable holding a double gets a
      // new heap number on every write (two per tick here), an object's double field does not.
      const clock: Clock = {
        maxEventTime: Number.NEGATIVE_INFINITY,
        lastTickAt: 0,
        closedThrough: Number.NEGATIVE_INFINITY,
        nextCloseAt: Number.POSITIVE_INFINITY,
      };
      let timer: Subscription | undefined;
      let batchNo = 0;
      // Ticks come in runs of one symbol: its series, and per interval the bar its last tick went
      // to, save a map lookup and a bar search per tick. Forgotten whenever closing may delete a
      // symbol's entry, so they never point at a series the map has dropped.
      let lastSymbol: string | undefined;
      let lastSeries: Series[] | undefined;
      const lastBars: (OpenBar | undefined)[] = intervals.map(() => undefined);
      // The bars the current batch changed, in the order first changed; reused across batches.
      const changed: OpenBar[] = [];

      /** Emits the final of every open bar ending at or before `watermark`, oldest first per series. */
      const closeThrough = (watermark: number): void => {
        if (watermark > clock.closedThrough) clock.closedThrough = watermark;
        if (watermark < clock.nextCloseAt) return;
        clock.nextCloseAt = Number.POSITIVE_INFINITY;
        lastSymbol = undefined;
        lastSeries = undefined;
        for (const [symbol, series] of open) {
          let remaining = 0;
          for (let s = 0; s < series.length; s++) {
            const bars = (series[s] as Series).bars;
            let closed = 0;
            while (closed < bars.length && (bars[closed] as OpenBar).end <= watermark) {
              const bar = bars[closed] as OpenBar;
              bar.final = true;
              subscriber.next(bar);
              if (subscriber.closed) return;
              closed++;
            }
            // Almost always the one oldest bar: shift() moves the rest in place, splice() returns a new array.
            if (closed === 1) bars.shift();
            else if (closed > 1) bars.splice(0, closed);
            if (bars.length > 0) clock.nextCloseAt = Math.min(clock.nextCloseAt, (bars[0] as OpenBar).end);
            remaining += bars.length;
          }
          if (remaining === 0) open.delete(symbol);
        }
      };

      /** The watermark now: event time, advanced by the wall time since the newest tick arrived. */
      const projectedWatermark = (): number => clock.maxEventTime + (scheduler.now() - clock.lastTickAt) - latenessMs;

      const armIdleTimer = (): void => {
        if (timer || clock.nextCloseAt === Number.POSITIVE_INFINITY) return;
        const dueAt = clock.nextCloseAt + latenessMs - clock.maxEventTime + clock.lastTickAt;
        timer = scheduler.schedule(() => {
          timer = undefined;
          closeThrough(projectedWatermark());
          if (!subscriber.closed) armIdleTimer();
        }, Math.max(0, dueAt - scheduler.now()));
      };

      /** Adds one tick to its bars; false when a final it released ended the subscription. */
      const apply = (tick: Tick, batch: number): boolean => {
        const ts = tick.ts;
        if (ts > clock.maxEventTime) {
          clock.maxEventTime = ts;
          const watermark = ts - latenessMs;
          if (watermark > clock.closedThrough) clock.closedThrough = watermark;
          // Most new event times close nothing: only call out when a bar is due.
          if (watermark >= clock.nextCloseAt) {
            closeThrough(watermark);
            if (subscriber.closed) return false;
          }
        }
        if (tick.symbol !== lastSymbol) {
          lastSymbol = tick.symbol;
          lastSeries = open.get(tick.symbol);
          for (let i = 0; i < lastBars.length; i++) lastBars[i] = undefined;
        }
        const pricing = countsForPrice(tick);
        const notional = notionalOf(tick.price, tick.size);
        for (let i = 0; i < intervals.length; i++) {
          let bar = lastBars[i];
          // The previous tick's bar, while it is open and this tick falls in it (almost always).
          if (bar === undefined || bar.final || ts < bar.start || ts >= bar.end) {
            const interval = intervals[i] as BarInterval;
            const start = Math.floor(ts / interval.ms) * interval.ms;
            const end = start + interval.ms;
            if (end <= clock.closedThrough) {
              onLate(tick, interval);
              continue;
            }
            if (!lastSeries) {
              const symbol = tick.symbol;
              lastSeries = intervals.map((iv) => ({ key: `${iv.name}:${symbol}`, bars: [] }));
              open.set(tick.symbol, lastSeries);
            }
            bar = barAt(lastSeries[i] as Series, tick.symbol, interval, start, end);
            lastBars[i] = bar;
            if (end < clock.nextCloseAt) clock.nextCloseAt = end;
          }
          addPrint(bar, tick, notional, pricing);
          if (bar.batch !== batch) {
            bar.batch = batch;
            changed.push(bar);
          }
        }
        return true;
      };

      const applyBatch = (ticks: TickBatch): void => {
        const batch = ++batchNo;
        changed.length = 0;
        for (let t = 0; t < ticks.length; t++) if (!apply(ticks[t] as Tick, batch)) return;
        clock.lastTickAt = scheduler.now();
        for (let b = 0; b < changed.length; b++) {
          const bar = changed[b] as OpenBar;
          // Closed by a later tick of the same batch: its final has gone out already.
          if (bar.final) continue;
          subscriber.next(bar);
          if (subscriber.closed) return;
        }
        changed.length = 0;
        armIdleTimer();
      };

      const sourceSubscription = source.subscribe({
        next: applyBatch,
        error: (err: unknown) => {
          timer?.unsubscribe();
          subscriber.error(err);
        },
        complete: () => {
          timer?.unsubscribe();
          closeThrough(Number.POSITIVE_INFINITY);
          subscriber.complete();
        },
      });

      return () => {
        sourceSubscription.unsubscribe();
        timer?.unsubscribe();
      };
    });
}

/** The open bar of a series starting at `start`, created (in start order) when missing. */
function barAt(series: Series, symbol: string, interval: BarInterval, start: number, end: number): OpenBar {
  const bars = series.bars;
  let i = bars.length - 1;
  // Ticks come mostly in order: the bar is almost always the last one.
  while (i >= 0 && (bars[i] as OpenBar).start > start) i--;
  const found = bars[i];
  if (found && found.start === start) return found;
  const bar: OpenBar = { symbol, interval, start, end, open: 0, high: 0, low: 0, close: 0, volume: 0, notional: 0, trades: 0, final: false, series: series.key, priced: false, batch: 0 };
  // Almost always the newest: push() rather than splice(), a generic builtin that returns an array.
  if (i === bars.length - 1) bars.push(bar);
  else bars.splice(i + 1, 0, bar);
  return bar;
}

function addPrint(bar: OpenBar, tick: Tick, notional: number, pricing: boolean): void {
  const price = tick.price;
  if (bar.trades === 0 || (pricing && !bar.priced)) {
    bar.open = bar.high = bar.low = bar.close = price;
    bar.priced = pricing;
  } else if (pricing || !bar.priced) {
    if (price > bar.high) bar.high = price;
    if (price < bar.low) bar.low = price;
    bar.close = price;
  }
  bar.volume += tick.size;
  bar.notional += notional;
  bar.trades++;
}
