import { asyncScheduler, map } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import type { Bar, TickBatch } from '../ports.js';
import { InvalidOptionError } from '../errors.js';
import { barWindows, toBar, type LiveBar } from './bar-windows.js';
import type { BarWindowsOptions } from './bar-windows.js';
import { conflate } from './conflate.js';

export interface EventTimeBarsOptions extends BarWindowsOptions {
  /** Least time between two partial updates of one series (symbol and interval); 250 ms = at most 4 per second. */
  partialMs?: number;
}

const DEFAULT_PARTIAL_MS = 250;

const isFinal = (bar: LiveBar): boolean => bar.final;
const seriesOf = (bar: LiveBar): string => bar.series;
// A held-back partial is stale once its own bar's final has gone out; one of a newer bar is not.
const sameBar = (final: LiveBar, pending: LiveBar): boolean => final === pending;

/**
 * Event-time OHLCV bars (see barWindows for closing, lateness and late ticks) with partial
 * updates throttled per series, that is per `bars:INTERVAL:SYM` channel: a partial goes out at
 * most every `partialMs` (the first after a quiet spell at once, the latest state wins), and a
 * final bar goes out as soon as it closes, dropping any partial still held back for that bar.
 * A final does not reset the rate: at a fast replay a series sends its finals and a partial per
 * `partialMs`, not a partial for every bar.
 */
export function eventTimeBars(options: EventTimeBarsOptions): OperatorFunction<TickBatch, Bar> {
  const partialMs = options.partialMs ?? DEFAULT_PARTIAL_MS;
  if (!Number.isFinite(partialMs) || partialMs <= 0) {
    throw new InvalidOptionError('partialMs', `must be a positive number of milliseconds, got ${partialMs}`);
  }
  const windows = barWindows(options);
  // Holding a live record back is holding back its latest state: the copy is made when it goes out.
  const throttle = conflate<LiveBar, string>(partialMs, seriesOf, options.scheduler ?? asyncScheduler, { passThrough: isFinal, supersedes: sameBar });
  return (source) => source.pipe(windows, throttle, map(toBar));
}
