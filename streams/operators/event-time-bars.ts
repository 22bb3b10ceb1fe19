import { asyncScheduler } from 'rxjs';
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

const barKey = (bar: Bar): string => `${bar.symbol}|${bar.interval}|${bar.start}`;
const isFinal = (bar: Bar): boolean => bar.final;

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
  const throttle = conflate<Bar, string>(partialMs, barKey, options.scheduler ?? asyncScheduler, { passThrough: isFinal });
  return (source) => source.pipe(windows, throttle);
}
