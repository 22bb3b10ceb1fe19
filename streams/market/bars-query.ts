import { z } from 'zod';
import type { Bar } from '../ports.js';
import { InvalidCursorError, InvalidParamsError, UnknownIntervalError, UnknownSymbolError } from '../errors.js';
import type { BarStoreView } from './bar-store.js';

/** The fields a bars query may keep with `fields=`. */
export const BAR_FIELDS = ['symbol', 'interval', 'start', 'end', 'open', 'high', 'low', 'close', 'volume', 'vwap', 'trades', 'final'] as const;
export type BarField = (typeof BAR_FIELDS)[number];

export const DEFAULT_BARS_LIMIT = 100;
export const MAX_BARS_LIMIT = 1_000;

/** One page of closed bars, ascending by start. Snake case because it is the wire format. */
export interface BarsPage {
  symbol: string;
  interval: string;
  items: Partial<Bar>[];
  /** Pass back as `cursor` for the bars before this page; null when there are none. */
  next_cursor: string | null;
  /** With page-style queries: the page served (1 = newest) and the closed bars kept in all. */
  page?: number;
  total?: number;
}

export interface BarsSource {
  store: BarStoreView;
  /** Whether the market has seen the symbol (an unknown one is a 404, not an empty page). */
  hasSymbol(symbol: string): boolean;
  symbols(): string[];
}

// HTTP hands every parameter over as a string and RPC as JSON: accept both for numbers and lists.
const positiveInt = (max: number) => z.union([z.number(), z.string().regex(/^\d+$/, 'must be a positive integer').transform(Number)]).pipe(z.number().int().min(1).max(max));
const paramsSchema = z.object({
  symbol: z.string().trim().min(1, 'must not be empty'),
  interval: z.string().min(1).optional(),
  limit: positiveInt(MAX_BARS_LIMIT).optional(),
  page: positiveInt(Number.MAX_SAFE_INTEGER).optional(),
  cursor: z.string().min(1).max(512).optional(),
  fields: z.union([z.string(), z.array(z.string())]).optional(),
}).strict();

const cursorSchema = z.object({ s: z.string(), i: z.string(), b: z.number().int() }).strict();

/** A bars query once its parameters are checked: what both the in-memory and the archived paths page by. */
export interface BarsQuery {
  symbol: string;
  interval: string;
  limit: number;
  page: number | undefined;
  /** From the cursor: bars starting before this. */
  before: number | undefined;
  fields: BarField[] | undefined;
}

/**
 * Checks a query's parameters against the store (interval known, fields valid, cursor of this
 * series) and gives it a default interval and limit; whether the symbol is known is the caller's
 * part, since an archive may know symbols the memory has not seen since a restart.
 */
export function readBarsQuery(store: BarStoreView, params: unknown, method: string): BarsQuery {
  const parsed = paramsSchema.safeParse(params);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ');
    throw new InvalidParamsError(`${method}: ${problems}`);
  }
  const q = parsed.data;
  if (q.page !== undefined && q.cursor !== undefined) throw new InvalidParamsError(`${method}: use either page or cursor, not both`);
  const interval = q.interval ?? defaultInterval(store.intervals);
  if (!store.intervals.includes(interval)) throw new UnknownIntervalError(interval, store.intervals);
  const fields = readFields(q.fields, method);
  return {
    symbol: q.symbol,
    interval,
    limit: q.limit ?? DEFAULT_BARS_LIMIT,
    page: q.page,
    before: q.cursor === undefined ? undefined : decodeCursor(q.cursor, q.symbol, interval),
    fields,
  };
}

/**
 * `GET /api/v1/market/:symbol/bars` and RPC `market.bars`: the newest `limit` closed bars, or
 * an older page by `page` (1-based from the newest) or by `cursor` (bars starting before the
 * oldest bar of the previous page). Pages count from the newest bar, so they shift as bars
 * close; cursors are positions in event time and do not.
 */
export function queryBars(source: BarsSource, params: unknown, method = 'market.bars'): BarsPage {
  const { store } = source;
  const q = readBarsQuery(store, params, method);
  if (!source.hasSymbol(q.symbol)) throw new UnknownSymbolError(q.symbol, source.symbols());
  const total = store.size(q.symbol, q.interval);
  let to = total;
  if (q.page !== undefined) to = Math.max(0, total - (q.page - 1) * q.limit);
  else if (q.before !== undefined) to = store.countBefore(q.symbol, q.interval, q.before);
  const from = Math.max(0, to - q.limit);
  const bars = store.slice(q.symbol, q.interval, from, to);
  return barsPage(q, bars, from > 0, q.page === undefined ? undefined : total);
}

/** The answer for `bars` (ascending), with a cursor to older ones when `more`. */
export function barsPage(q: BarsQuery, bars: Bar[], more: boolean, total?: number): BarsPage {
  const first = bars[0];
  const page: BarsPage = {
    symbol: q.symbol,
    interval: q.interval,
    items: q.fields ? bars.map((bar) => pick(bar, q.fields as BarField[])) : bars,
    next_cursor: more && first ? encodeCursor(q.symbol, q.interval, first.start) : null,
  };
  if (q.page !== undefined) {
    page.page = q.page;
    page.total = total ?? 0;
  }
  return page;
}

function defaultInterval(intervals: readonly string[]): string {
  return intervals.includes('1m') ? '1m' : (intervals[0] ?? '1m');
}

function readFields(raw: string | string[] | undefined, method: string): BarField[] | undefined {
  if (raw === undefined) return undefined;
  const names = (Array.isArray(raw) ? raw : raw.split(',')).map((f) => f.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidParamsError(`${method}: fields must name at least one of ${BAR_FIELDS.join(', ')}`);
  const unknown = names.filter((f) => !(BAR_FIELDS as readonly string[]).includes(f));
  if (unknown.length > 0) throw new InvalidParamsError(`${method}: unknown field(s) ${unknown.join(', ')}; valid fields: ${BAR_FIELDS.join(', ')}`);
  return [...new Set(names)] as BarField[];
}

function pick(bar: Bar, fields: readonly BarField[]): Partial<Bar> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = bar[f];
  return out as Partial<Bar>;
}

/** Opaque to clients: base64url of the series and the start of the oldest bar served. */
function encodeCursor(symbol: string, interval: string, before: number): string {
  return Buffer.from(JSON.stringify({ s: symbol, i: interval, b: before })).toString('base64url');
}

function decodeCursor(cursor: string, symbol: string, interval: string): number {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError('not a cursor this server handed out');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor this server handed out');
  }
  const parsed = cursorSchema.safeParse(decoded);
  if (!parsed.success) throw new InvalidCursorError('not a cursor this server handed out');
  if (parsed.data.s !== symbol || parsed.data.i !== interval) {
    throw new InvalidCursorError(`it pages ${parsed.data.i} bars of ${parsed.data.s}, not ${interval} bars of ${symbol}`);
  }
  return parsed.data.b;
}
