import { DEFAULT_TICK_LIMITS, SYMBOL_PATTERN } from '../market/tick-validation.js';
import { InvalidOptionError } from '../errors.js';
import type { NewsItem } from './types.js';

/**
 * Stable reasons a news item is refused; counted per reason and returned to ingest callers.
 * `DUPLICATE` is the pipeline's (an id it took recently), not checkNews'.
 */
export const NEWS_REJECT_REASONS = ['BAD_SHAPE', 'BAD_ID', 'BAD_SYMBOLS', 'BAD_HEADLINE', 'BAD_SOURCE', 'BAD_TS', 'DUPLICATE'] as const;
export type NewsRejectReason = (typeof NEWS_REJECT_REASONS)[number];

export interface NewsRefusal {
  reason: NewsRejectReason;
  message: string;
}

export interface NewsLimits {
  /** Longest id (the stored key; the news table takes 256). */
  maxIdChars: number;
  /** Longest headline: what the model reads at most (SUPERNOVA_ML_MAX_TEXT_CHARS). */
  maxHeadlineChars: number;
  /** Most symbols of one item: each one is a publication and a stored row. */
  maxSymbols: number;
  maxSourceChars: number;
  /** Earliest acceptable publication time, and how far ahead of the clock one may be (as ticks). */
  minTs: number;
  maxFutureMs: number;
}

export const DEFAULT_NEWS_LIMITS: NewsLimits = {
  maxIdChars: 256, maxHeadlineChars: 2_000, maxSymbols: 16, maxSourceChars: 256,
  minTs: DEFAULT_TICK_LIMITS.minTs, maxFutureMs: DEFAULT_TICK_LIMITS.maxFutureMs,
};

/** The storage's bounds (news table): limits beyond them would accept what cannot be stored. */
const HARD = { maxIdChars: 256, maxHeadlineChars: 4_096, maxSymbols: 64, maxSourceChars: 256 } as const;

export function newsLimits(overrides: Partial<NewsLimits> = {}): NewsLimits {
  const limits = { ...DEFAULT_NEWS_LIMITS, ...overrides };
  for (const key of ['maxIdChars', 'maxHeadlineChars', 'maxSymbols', 'maxSourceChars'] as const) {
    const v = limits[key];
    if (!Number.isInteger(v) || v < 1 || v > HARD[key]) throw new InvalidOptionError(key, `must be an integer 1-${HARD[key]}, got ${v}`);
  }
  if (!Number.isFinite(limits.minTs)) throw new InvalidOptionError('minTs', `must be a finite time in ms, got ${limits.minTs}`);
  if (!(limits.maxFutureMs >= 0)) throw new InvalidOptionError('maxFutureMs', `must be >= 0, got ${limits.maxFutureMs}`);
  return limits;
}

/** PostgreSQL text cannot hold it: an item with one could not be stored, and its sentiment rows would wait for it for ever. */
const NUL = '\u0000';

export type NewsCheck = { item: NewsItem; refusal?: undefined } | { item?: undefined; refusal: NewsRefusal };

/**
 * The item `input` is, or why it is not one; `input` is unknown because bodies and stream entries
 * are. Every source goes through this, so an item is accepted or refused the same way wherever it
 * comes from. What is accepted is storable as the news table's row (see the storage's sinks). The accepted item is a fresh object holding only the known fields (symbols
 * de-duplicated): nothing else of the input is kept or published.
 */
export function checkNews(input: unknown, limits: NewsLimits, now: number): NewsCheck {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return refuse('BAD_SHAPE', 'a news item is an object {id, symbols, headline, source?, ts}');
  const { id, symbols, headline, source, ts } = input as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > limits.maxIdChars || id.trim() !== id || id.includes(NUL)) {
    return refuse('BAD_ID', `id must be a string of 1-${limits.maxIdChars} characters without surrounding spaces or NUL, got ${describe(id)}`);
  }
  if (!Array.isArray(symbols) || symbols.length === 0 || symbols.length > limits.maxSymbols) {
    return refuse('BAD_SYMBOLS', `symbols must be an array of 1-${limits.maxSymbols} symbols, got ${Array.isArray(symbols) ? `${symbols.length} of them` : describe(symbols)}`);
  }
  for (const s of symbols) {
    if (typeof s !== 'string' || !SYMBOL_PATTERN.test(s)) return refuse('BAD_SYMBOLS', `a symbol must be 1-12 of A-Z 0-9 ., got ${describe(s)}`);
  }
  if (typeof headline !== 'string' || headline.trim() === '' || headline.length > limits.maxHeadlineChars || headline.includes(NUL)) {
    return refuse('BAD_HEADLINE', `headline must be a non-blank string of at most ${limits.maxHeadlineChars} characters without NUL, got ${typeof headline === 'string' ? `${headline.length} characters` : describe(headline)}`);
  }
  if (source !== undefined && source !== null && (typeof source !== 'string' || source.length > limits.maxSourceChars || source.includes(NUL))) {
    return refuse('BAD_SOURCE', `source, when given, must be a string of at most ${limits.maxSourceChars} characters without NUL, got ${describe(source)}`);
  }
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < limits.minTs || ts > now + limits.maxFutureMs) {
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts)) return refuse('BAD_TS', `ts must be an integer time in ms since epoch, got ${describe(ts)}`);
    if (ts < limits.minTs) return refuse('BAD_TS', `ts ${ts} is before ${new Date(limits.minTs).toISOString()}`);
    return refuse('BAD_TS', `ts ${ts} is more than ${limits.maxFutureMs} ms in the future`);
  }
  const item: NewsItem = { id, symbols: [...new Set(symbols as string[])], headline, ts };
  if (typeof source === 'string' && source !== '') item.source = source;
  return { item };
}

function refuse(reason: NewsRejectReason, message: string): NewsCheck {
  return { refusal: { reason, message } };
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}...` : value);
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : typeof value;
}
