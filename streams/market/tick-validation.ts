import { InvalidOptionError } from '../errors.js';

/**
 * Stable reasons a tick is refused; counted per reason and returned to HTTP ingest callers.
 * `SYMBOL_LIMIT` is not about the tick itself: it is a new symbol while the market state already
 * holds its maximum (the pipeline's check, not tickRefusal's).
 */
export const TICK_REJECT_REASONS = ['BAD_SHAPE', 'BAD_SYMBOL', 'BAD_PRICE', 'BAD_SIZE', 'BAD_TS', 'SYMBOL_LIMIT'] as const;
export type TickRejectReason = (typeof TICK_REJECT_REASONS)[number];

/** Why a tick was refused: a stable reason and a message naming the value. */
export interface TickRefusal {
  reason: TickRejectReason;
  message: string;
}

export interface TickLimits {
  /** Earliest acceptable event time (ms since epoch). */
  minTs: number;
  /** How far ahead of the clock an event time may be: clocks drift, but not by days. */
  maxFutureMs: number;
}

export const DEFAULT_TICK_LIMITS: TickLimits = {
  minTs: Date.UTC(2000, 0, 1),
  maxFutureMs: 24 * 60 * 60 * 1000,
};

/** The same rule as SUPERNOVA_SYMBOLS, so anything configured can also be ingested and looked up. */
export const SYMBOL_PATTERN = /^[A-Z0-9.]{1,12}$/;

export function tickLimits(overrides: Partial<TickLimits> = {}): TickLimits {
  const limits = { ...DEFAULT_TICK_LIMITS, ...overrides };
  if (!Number.isFinite(limits.minTs)) throw new InvalidOptionError('minTs', `must be a finite time in ms, got ${limits.minTs}`);
  if (!(limits.maxFutureMs >= 0)) throw new InvalidOptionError('maxFutureMs', `must be >= 0, got ${limits.maxFutureMs}`);
  return limits;
}

/**
 * Why `input` is not an acceptable tick, or undefined when it is one. `input` is unknown because
 * bodies are: anything that is not a well-formed tick is refused with the first reason found.
 * A refused tick would otherwise poison open/high/low or the bars for the rest of the session.
 * Allocates only to refuse: an accepted tick goes on as the object it is (see TickIngest).
 */
export function tickRefusal(input: unknown, limits: TickLimits, now: number): TickRefusal | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return NOT_AN_OBJECT;
  const { symbol, price, size, ts } = input as Record<string, unknown>;
  const reason = typeof symbol === 'string' && SYMBOL_PATTERN.test(symbol) ? tradeProblem(price, size, ts, limits, now) : 'BAD_SYMBOL';
  return reason && { reason, message: explain(reason, symbol, price, size, ts, limits) };
}

const NOT_AN_OBJECT: TickRefusal = Object.freeze({ reason: 'BAD_SHAPE', message: 'a tick is an object {symbol, price, size, ts}' });

/**
 * tickRefusal's rules for one reader of ticks (a pipeline, an ingest), which sees them in runs of
 * one symbol: the last symbol that matched the pattern is remembered, and comparing with it is
 * cheaper than the pattern. One per reader, so engines in a process share nothing.
 */
export class TickValidator {
  readonly limits: TickLimits;
  private lastGoodSymbol: string | undefined;

  constructor(overrides: Partial<TickLimits> = {}) {
    this.limits = tickLimits(overrides);
  }

  /** The first reason a tick's values are refused, or undefined; allocates nothing (the pipeline checks every tick). */
  problem(symbol: unknown, price: unknown, size: unknown, ts: unknown, now: number): TickRejectReason | undefined {
    if (typeof symbol !== 'string') return 'BAD_SYMBOL';
    if (symbol !== this.lastGoodSymbol) {
      if (!SYMBOL_PATTERN.test(symbol)) return 'BAD_SYMBOL';
      this.lastGoodSymbol = symbol;
    }
    return tradeProblem(price, size, ts, this.limits, now);
  }

  /** tickRefusal with this reader's memory of the last good symbol. */
  refusal(input: unknown, now: number): TickRefusal | undefined {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return NOT_AN_OBJECT;
    const { symbol, price, size, ts } = input as Record<string, unknown>;
    const reason = this.problem(symbol, price, size, ts, now);
    return reason && { reason, message: explain(reason, symbol, price, size, ts, this.limits) };
  }
}

/** The checks of a tick's other values: for a tick whose symbol was just checked (the pipeline's batches are mostly of one). */
export function tradeProblem(price: unknown, size: unknown, ts: unknown, limits: TickLimits, now: number): TickRejectReason | undefined {
  if (typeof price !== 'number' || !(price > 0) || price === Number.POSITIVE_INFINITY) return 'BAD_PRICE';
  if (typeof size !== 'number' || !(size > 0) || size === Number.POSITIVE_INFINITY) return 'BAD_SIZE';
  if (typeof ts !== 'number' || !(ts >= limits.minTs) || !(ts <= now + limits.maxFutureMs)) return 'BAD_TS';
  return undefined;
}

function explain(reason: TickRejectReason, symbol: unknown, price: unknown, size: unknown, ts: unknown, limits: TickLimits): string {
  switch (reason) {
    case 'BAD_SYMBOL':
      return `symbol must be 1-12 of A-Z 0-9 ., got ${describe(symbol)}`;
    case 'BAD_PRICE':
      return `price must be a finite number > 0, got ${describe(price)}`;
    case 'BAD_SIZE':
      return `size must be a finite number > 0, got ${describe(size)}`;
    default:
      if (typeof ts !== 'number' || !Number.isFinite(ts)) return `ts must be a finite time in ms since epoch, got ${describe(ts)}`;
      if (ts < limits.minTs) return `ts ${ts} is before ${new Date(limits.minTs).toISOString()}`;
      return `ts ${ts} is more than ${limits.maxFutureMs} ms in the future`;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}...` : value);
  return value === null ? 'null' : typeof value;
}
