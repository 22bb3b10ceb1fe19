import { asyncScheduler, map } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import type { Bar, TickBatch } from '../ports.js';
import { InvalidOptionError } from '../errors.js';
import { barWindows, toBar, type LiveBar } from './bar-windows.js';
import type { BarWindowsOptions } from './bar-windows.js';
import { conflate } from './conflate.js';

export interface EventTimeBarsOptions extends BarWindowsOptions {
  /** Least time between two partial updates of one bar; 250 ms = at most 4 per second. */
  partialMs?: number;
}

const DEFAULT_PARTIAL_MS = 250;

const isFinal = (bar: LiveBar): boolean => bar.final;
// The live record is the key: one per (symbol, interval, start), with no key to build per tick.
const itself = (bar: LiveBar): LiveBar => bar;

/**
 * Event-time OHLCV bars (see barWindows for closing, lateness and late ticks) with partial
 * updates throttled per bar: the first change of a bar goes out at once, later ones at most
 * every `partialMs` (the latest state wins), and the final bar goes out as soon as it closes,
 * dropping any partial still held back for it.
 */
export function eventTimeBars(options: EventTimeBarsOptions): OperatorFunction<TickBatch, Bar> {
  const partialMs = options.partialMs ?? DEFAULT_PARTIAL_MS;
  if (!Number.isFinite(partialMs) || partialMs <= 0) {
    throw new InvalidOptionError('partialMs', `must be a positive number of milliseconds, got ${partialMs}`);
  }
  const windows = barWindows(options);
  // Holding a live record back is holding back its latest state: the copy is made when it goes out.
  const throttle = conflate<LiveBar, LiveBar>(partialMs, itself, options.scheduler ?? asyncScheduler, { passThrough: isFinal });
  return (source) => source.pipe(windows, throttle, map(toBar));
}
