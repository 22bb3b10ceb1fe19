import postgres from 'postgres';
import type { Bar } from '../../streams/index.js';

/** What a stored bar and an in-memory bar must agree on: the natural key and every value. */
export type BarShape = Pick<Bar, 'symbol' | 'interval' | 'start' | 'end' | 'open' | 'high' | 'low' | 'close' | 'volume' | 'vwap' | 'trades'>;

export const shape = (b: BarShape): BarShape => ({
  symbol: b.symbol, interval: b.interval, start: b.start, end: b.end, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, vwap: b.vwap, trades: b.trades,
});

type BarsAnswer = { status: number; items: BarShape[]; next: string | null };

async function barsPage(http: string, symbol: string, interval: string, limit: number, cursor: string | null): Promise<BarsAnswer> {
  const res = await fetch(`${http}/api/v1/market/${symbol}/bars?interval=${interval}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
  if (res.status !== 200) return { status: res.status, items: [], next: null };
  const page = (await res.json()) as { items: Bar[]; next_cursor: string | null };
  return { status: 200, items: page.items.map(shape), next: page.next_cursor };
}

/**
 * Every closed bar an engine answers for a symbol and interval, oldest first, paged by cursor
 * through GET /api/v1/market/SYM/bars. With `ringOnly`, for an engine whose database is down:
 * a page the in-memory ring cannot fill asks the database and is 503 (after the database's
 * connect timeout), so past the last full page the ring's oldest bars are read one by one, each
 * a full page of one, until the ring runs out: two such slow answers per series.
 */
export async function apiBars(http: string, symbol: string, interval: string, options: { ringOnly?: boolean } = {}): Promise<BarShape[]> {
  const out: BarShape[] = [];
  let cursor: string | null = null;
  let limit = 1000;
  for (let pages = 0; pages < 100_000; pages++) {
    const page = await barsPage(http, symbol, interval, limit, cursor);
    if (page.status === 503 && options.ringOnly) {
      if (limit === 1) break;
      limit = 1;
      continue;
    }
    if (page.status !== 200) throw new Error(`bars API answered ${page.status}`);
    out.push(...page.items);
    cursor = page.next;
    if (!cursor) break;
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The rows of `bars` for a symbol and interval, oldest first, as bars. */
export async function storedBars(url: string, symbol: string, interval: string): Promise<BarShape[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 2 });
  try {
    const rows = await sql<Record<string, string | number>[]>`select * from bars where symbol = ${symbol} and interval = ${interval} order by start_ms`;
    return rows.map((r) => ({
      symbol: String(r.symbol), interval: String(r.interval), start: Number(r.start_ms), end: Number(r.end_ms),
      open: Number(r.open), high: Number(r.high), low: Number(r.low), close: Number(r.close), volume: Number(r.volume), vwap: Number(r.vwap), trades: Number(r.trades),
    }));
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Rows in `bars` (every symbol and interval), or -1 while the database does not answer. */
export async function storedCount(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 2 });
  try {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from bars`;
    return row?.n ?? 0;
  } catch {
    return -1;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** One sample of a Prometheus text page, e.g. metric(text, 'supernova_spill_rows_total', 'table="bars"'); undefined if absent. */
export function metric(text: string, name: string, labels = ''): number | undefined {
  const prefix = labels ? `${name}{${labels}} ` : `${name} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

export async function metricsOf(http: string): Promise<string> {
  return (await fetch(`${http}/metrics`)).text();
}

/** Polls `check` every `everyMs` until it is true, or throws naming `what`. */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs: number, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
