import { asyncScheduler, tap } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import type { Bar, Tick } from '../ports.js';
import { InvalidOptionError } from '../errors.js';
import { barWindows } from './bar-windows.js';
import type { BarWindowsOptions } from './bar-windows.js';
import { conflate } from './conflate.js';

export interface EventTimeBarsOptions extends BarWindowsOptions {
  /** Least time between two partial updates of one bar; 250 ms = at most 4 per second. */
  partialMs?: number;
}

const DEFAULT_PARTIAL_MS = 250;

const isFinal = (bar: Bar): boolean => bar.final;

/**
 * The throttle's key of a bar: one object per (symbol, interval, start) while the bar is open,
 * found through maps keyed by the parts. Every partial bar is looked up, twice per tick with two
 * intervals; a string key would mean formatting and hashing a new string each time. A key is
 * forgotten with its final bar, so the maps hold only open bars.
 */
function barKeys(): { keyOf: (bar: Bar) => object; forget: (bar: Bar) => void } {
  const bySeries = new Map<string, Map<string, Map<number, object>>>();
  const startsOf = (bar: Bar): Map<number, object> => {
    let byInterval = bySeries.get(bar.symbol);
    if (!byInterval) bySeries.set(bar.symbol, (byInterval = new Map()));
    let starts = byInterval.get(bar.interval);
    if (!starts) byInterval.set(bar.interval, (starts = new Map()));
    return starts;
  };
  return {
    keyOf: (bar) => {
      const starts = startsOf(bar);
      let key = starts.get(bar.start);
      if (!key) starts.set(bar.start, (key = {}));
      return key;
    },
    forget: (bar) => {
      startsOf(bar).delete(bar.start);
    },
  };
}

/**
 * Event-time OHLCV bars (see barWindows for closing, lateness and late ticks) with partial
 * updates throttled per bar: the first change of a bar goes out at once, later ones at most
 * every `partialMs` (the latest state wins), and the final bar goes out as soon as it closes,
 * dropping any partial still held back for it.
 */
export function eventTimeBars(options: EventTimeBarsOptions): OperatorFunction<Tick, Bar> {
  const partialMs = options.partialMs ?? DEFAULT_PARTIAL_MS;
  if (!Number.isFinite(partialMs) || partialMs <= 0) {
    throw new InvalidOptionError('partialMs', `must be a positive number of milliseconds, got ${partialMs}`);
  }
  const windows = barWindows(options);
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) => {
    // Per subscription, like the operators' own state.
    const keys = barKeys();
    const throttle = conflate<Bar, object>(partialMs, keys.keyOf, scheduler, { passThrough: isFinal });
    return source.pipe(windows, throttle, tap((bar) => bar.final && keys.forget(bar)));
  };
}
