import { SentimentAggregatesError, SYMBOL_PATTERN, type SentimentAggregates, type SentimentHourBucket } from '../../streams/index.js';
import { HttpError, type Router } from '../http/index.js';
import { configEntries } from '../config/index.js';
import { sentimentHours, StorageError, type ArchiveCache, type Database } from '../storage/index.js';
import { Analyzer, AnalyzeBusyError, scorerUnavailable } from '../sentiment/index.js';
import { apiKeyGuard } from './api-key.js';

const HOUR_MS = 3_600_000;
/** The timeframes of `GET /api/v1/sentiment/:symbol`: how many hours, ending with the current one. */
export const SENTIMENT_TIMEFRAMES: Readonly<Record<string, number>> = { '1h': 1, '6h': 6, '24h': 24, '7d': 168, '30d': 720 };
export const DEFAULT_SENTIMENT_TIMEFRAME = '24h';

/**
 * What the route's cached stored hours of a symbol are keyed under: `sentiment-hours:SYM:FROM:TO`
 * (a timeframe ending with the current hour). Whatever rewrites a symbol's stored sentiment (the
 * `sentiment.recompute` task) drops the keys under this prefix: every window, of every timeframe.
 */
export function sentimentHoursCachePrefix(symbol: string): string {
  return `sentiment-hours:${symbol}:`;
}

export interface SentimentApiOptions {
  apiKey: string | undefined;
  /** Both undefined with SUPERNOVA_SENTIMENT=false: the routes answer 503. */
  aggregates: SentimentAggregates | undefined;
  analyzer: Analyzer | undefined;
  /** Symbols known without news (SUPERNOVA_SYMBOLS): they answer 200 with no items rather than 404. */
  symbols: readonly string[];
  /** The stored hours, with a database; read through `cache` when given. */
  stored?: { db: Database; cache?: ArchiveCache | undefined } | undefined;
  now?: () => number;
}

/**
 * `GET /api/v1/sentiment/:symbol?timeframe=` and `POST /api/v1/sentiment/analyze`.
 *
 * The GET answers the rolling sentiment of a symbol (EMA, items, newest time) and its hourly
 * buckets over the timeframe, oldest first: the current hour from memory; with a database, the
 * past hours from `sentiment_data` (sentimentHours, through the cache: a past hour's figures only
 * change when a late item arrives or a recompute rewrites it), each hour taking whichever of memory
 * and the database counts more items (a just-closed hour may not be stored yet), the database on a tie.
 */
export function registerSentimentApi(router: Router, o: SentimentApiOptions): void {
  const now = o.now ?? Date.now;
  const disabled = () => new HttpError(503, 'SENTIMENT_DISABLED', `the sentiment pipeline is off (${configEntries.sentiment.env}=false)`);
  const configured = new Set(o.symbols);

  router.get('/api/v1/sentiment/:symbol', async (ctx) => {
    const aggregates = o.aggregates;
    if (!aggregates) throw disabled();
    const symbol = (ctx.params.symbol ?? '').toUpperCase();
    if (!SYMBOL_PATTERN.test(symbol)) throw new HttpError(400, 'INVALID_PARAMS', `symbol must be 1-12 of A-Z 0-9 ., got ${JSON.stringify(symbol.slice(0, 20))}`);
    const timeframe = ctx.query.get('timeframe') ?? DEFAULT_SENTIMENT_TIMEFRAME;
    const hours = SENTIMENT_TIMEFRAMES[timeframe];
    if (hours === undefined || !Object.hasOwn(SENTIMENT_TIMEFRAMES, timeframe)) {
      throw new HttpError(400, 'INVALID_TIMEFRAME', `timeframe must be one of ${Object.keys(SENTIMENT_TIMEFRAMES).join(', ')}, got ${JSON.stringify(timeframe.slice(0, 20))}`);
    }
    const currentHour = Math.floor(now() / HOUR_MS) * HOUR_MS;
    const to = currentHour + HOUR_MS;
    const from = to - hours * HOUR_MS;
    const byHour = new Map<number, SentimentHourBucket>();
    const [live, summary] = await Promise.all([aggregates.hours(symbol, from, to), aggregates.summary(symbol)]).catch((err: unknown) => {
      if (err instanceof SentimentAggregatesError) throw new HttpError(503, err.code, `${err.message}; retry later`, { cause: err });
      throw err;
    });
    for (const b of live) byHour.set(b.hour, b);
    if (o.stored && from < currentHour) {
      for (const b of await storedHours(o.stored, symbol, from, currentHour)) {
        // On a tie the database's: the same items, and it has what a recompute rewrote.
        const mem = byHour.get(b.hour);
        if (!mem || b.items >= mem.items) byHour.set(b.hour, b);
      }
    }
    if (!summary && byHour.size === 0 && !configured.has(symbol)) {
      throw new HttpError(404, 'UNKNOWN_SYMBOL', `no sentiment for symbol "${symbol}": no news about it was scored`);
    }
    return {
      body: {
        symbol, timeframe, from, to,
        ema: summary?.ema ?? null, label: summary?.label ?? null, items: summary?.items ?? 0, ts: summary?.ts ?? null,
        hours: [...byHour.values()].sort((a, b) => a.hour - b.hour),
      },
    };
  });

  const authorize = apiKeyGuard(o.apiKey);
  router.post('/api/v1/sentiment/analyze', async (ctx) => {
    authorize(ctx);
    const analyzer = o.analyzer;
    if (!analyzer) throw disabled();
    const body = ctx.json();
    try {
      return { body: await analyzer.analyze(body) };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'INVALID_PARAMS') throw new HttpError(400, 'INVALID_PARAMS', (err as Error).message, { cause: err });
      const unavailable = err instanceof AnalyzeBusyError ? { retry: true } : scorerUnavailable(err);
      if (unavailable) {
        const message = err instanceof AnalyzeBusyError ? err.message : `the scorer cannot answer now: ${(err as Error).message}`;
        return { status: 503, ...(unavailable.retry ? { headers: { 'retry-after': '1' } } : {}), body: { error: { code: err instanceof AnalyzeBusyError ? err.code : 'SCORER_UNAVAILABLE', message } } };
      }
      throw err;
    }
  });
}

async function storedHours(stored: { db: Database; cache?: ArchiveCache | undefined }, symbol: string, from: number, to: number): Promise<SentimentHourBucket[]> {
  const load = async (): Promise<SentimentHourBucket[]> => (await sentimentHours(stored.db, { symbols: [symbol], from, to })).map((h) => ({
    hour: h.hour, items: h.items, labels: { bearish: h.labels.bearish, bullish: h.labels.bullish, neutral: h.labels.neutral },
    mean: { bearish: round(h.bearish), bullish: round(h.bullish), neutral: round(h.neutral) }, sentiment: round(h.bullish - h.bearish),
  }));
  try {
    return stored.cache ? await stored.cache.get(`${sentimentHoursCachePrefix(symbol)}${from}:${to}`, load) : await load();
  } catch (err) {
    if (err instanceof StorageError) throw new HttpError(503, 'DATABASE_UNAVAILABLE', 'stored sentiment is in the database, which does not answer now; retry later', { cause: err });
    throw err;
  }
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
