import { z } from 'zod';
import { RollingSentiment, scoredFigures, type ScoredText, type SentimentHourBucket } from '../../../streams/index.js';
import { scorerUnavailable } from '../../../src/sentiment/index.js';
import type { NewsCursor, NewsRange, SentimentRow, StoredNews } from '../../../src/storage/index.js';
import { symbolArg, timeArg } from '../task-args.js';
import type { TaskContext, TaskDefinition } from '../types.js';

export const RECOMPUTE_TASK = 'sentiment.recompute';
const HOUR_MS = 3_600_000;
/** Longest range one task rescores: a month of hours (the most SUPERNOVA_SENTIMENT_HOURS_KEPT keeps too). */
export const RECOMPUTE_MAX_SPAN_MS = 31 * 24 * HOUR_MS;
/** News items one task rescores at most (about half a minute of two replicas' work here): a longer range is split by the caller. */
export const RECOMPUTE_MAX_ITEMS = 100_000;
/** The type's run time limit when the submission names none (capped by SUPERNOVA_TASK_TIMEOUT_MAX_MS). */
export const RECOMPUTE_TIMEOUT_MS = 10 * 60_000;
/** A scorer that answers "busy" is asked again this many times, after 50 ms doubling to 1 s at most (about 6 s in all). */
const BUSY_ATTEMPTS = 10;

export const recomputeArgs = z.object({ symbol: symbolArg, from: timeArg, to: timeArg }).strict()
  .refine((a) => a.from < a.to, { message: 'from must be before to', path: ['from'] })
  .refine((a) => a.to - a.from <= RECOMPUTE_MAX_SPAN_MS, { message: `from-to spans at most 31 days (${RECOMPUTE_MAX_SPAN_MS / HOUR_MS} hours); split a longer range into several tasks`, path: ['to'] });

export type RecomputeArgs = z.output<typeof recomputeArgs>;

/** What the task reads and writes: the stored news and sentiment (PostgreSQL) and the cached reads of it. */
export interface RecomputeStore {
  count(range: NewsRange): Promise<number>;
  /** News of the range in (ts, id) order after `after`, at most `limit`. */
  page(q: NewsRange & { after?: NewsCursor | undefined; limit: number }): Promise<StoredNews[]>;
  /** Writes the rows over the stored ones of the same news item and symbol. */
  replace(rows: readonly SentimentRow[]): Promise<unknown>;
  /** Drops what the sentiment route cached of the symbol's stored hours. */
  invalidate(symbol: string): Promise<unknown>;
}

/** The engine's SentimentScorer, as far as the task uses it. */
export interface RecomputeScorer {
  score(texts: readonly string[]): Promise<readonly ScoredText[]>;
  report(): { version: string | null };
}

export interface RecomputeOptions {
  store: RecomputeStore;
  scorer: RecomputeScorer;
  /** SUPERNOVA_SENTIMENT_EMA_ALPHA: the EMA of the result is the rolling aggregator's. */
  alpha: number;
  /** News items read, scored and written per step; cancellation is seen between steps. */
  pageSize: number;
  /** The type's default run time limit. */
  timeoutMs: number;
}

export interface RecomputeResult {
  symbol: string;
  from: number;
  to: number;
  /** News items rescored (their rows written, one per item: the row of this symbol). */
  items: number;
  /** The model version that scored the last step (every step, unless a new model was loaded during the run). */
  model: string | null;
  /** The range's hours with items, oldest first, as the rolling aggregator buckets them. */
  hours: SentimentHourBucket[];
  /** EMA of bullish - bearish over the items in (ts, id) order; null without items. */
  ema: number | null;
}

/**
 * `sentiment.recompute {symbol, from, to}`: rescores the stored news of a symbol in [from, to)
 * with the model the engine scores with now, writes the new rows over the old ones, and answers
 * the range's hourly figures and EMA. It walks the news one page at a time in (ts, id) order,
 * each page scored in one call (the model replicas spread it over their threads; this task is not
 * a CPU-pool task), written in one statement, then counted in the progress; the next page is read
 * and scored while one is written. A cancellation or timeout is seen between pages and before a
 * page's write starts, so each page is all written or not at all. The aggregation is the
 * pipeline's own (RollingSentiment, scoredFigures).
 */
export function sentimentRecomputeTask(o: RecomputeOptions): TaskDefinition<RecomputeArgs, RecomputeResult> {
  return {
    schema: recomputeArgs,
    timeoutMs: o.timeoutMs,
    async run(a, ctx) {
      const range: NewsRange = { symbol: a.symbol, from: a.from, to: a.to };
      const total = await o.store.count(range);
      if (total > RECOMPUTE_MAX_ITEMS) {
        throw new Error(`${a.symbol} has ${total} stored news items from ${a.from} to ${a.to}; one ${RECOMPUTE_TASK} rescores at most ${RECOMPUTE_MAX_ITEMS}: split the range`);
      }
      // One bucket per hour the range touches: none is ever evicted, and none is left out.
      const hoursKept = Math.floor((a.to - 1) / HOUR_MS) - Math.floor(a.from / HOUR_MS) + 1;
      const rolling = new RollingSentiment({ alpha: o.alpha, hoursKept, maxSymbols: 1 });
      let taken = 0;
      let done = 0;
      let model: string | null = null;
      let written = false;
      // One page is scored while the previous one is written and the next one read: at most three
      // pages in memory, and the database's round trips hidden behind the scoring.
      let writing: Promise<void> | undefined;
      const read = (after: NewsCursor | undefined) => handled(o.store.page({ ...range, after, limit: o.pageSize }));
      try {
        let page = await read(undefined);
        while (page.length > 0) {
          stopIfAborted(ctx);
          taken += page.length;
          if (taken > RECOMPUTE_MAX_ITEMS) {
            throw new Error(`${a.symbol}: news of the range passed ${RECOMPUTE_MAX_ITEMS} items while it was rescored (${RECOMPUTE_TASK}'s bound); split the range`);
          }
          const last = page[page.length - 1] as StoredNews;
          const next = page.length < o.pageSize ? Promise.resolve([]) : read({ ts: last.ts, id: last.id });
          const version = o.scorer.report().version;
          const results = await scoreOrWait(o.scorer, page.map((n) => n.headline), ctx);
          const rows: SentimentRow[] = page.map((n, i) => {
            const f = scoredFigures(results[i] as ScoredText);
            return { newsId: n.id, symbol: a.symbol, ts: n.ts, label: f.label, ...f.scores, modelVersion: version ?? 'unknown' };
          });
          // Pages are written in order, each after the one before it succeeded.
          await writing;
          stopIfAborted(ctx);
          written = true;
          writing = handled(o.store.replace(rows).then(() => {
            for (const r of rows) rolling.add(a.symbol, r.ts, r.label, { bearish: r.bearish, bullish: r.bullish, neutral: r.neutral });
            done += rows.length;
            model = version;
            // Items stored during the run may make more than counted: 1 waits for the end.
            ctx.progress(Math.min(0.99, done / Math.max(1, total)));
          }));
          page = await next;
        }
        await writing;
      } catch (err) {
        // Rows written before a failure or cancellation are new: cached reads must not hide them
        // (once the write under way, if any, has settled).
        await writing?.catch(() => undefined);
        if (written) await o.store.invalidate(a.symbol).catch(() => undefined);
        throw err;
      }
      if (written) {
        try {
          await o.store.invalidate(a.symbol);
        } catch (err) {
          throw new Error(`${a.symbol}: ${done} items rescored and stored, but the cached sentiment hours could not be dropped (reads may show the old figures for the cache's TTL): ${(err as Error).message}`, { cause: err });
        }
      }
      const summary = rolling.summary(a.symbol);
      return { symbol: a.symbol, from: a.from, to: a.to, items: done, model, hours: rolling.hours(a.symbol, a.from, a.to), ema: summary?.ema ?? null };
    },
  };
}

/** The same promise, marked handled: it may reject before it is awaited, which must not count as unhandled. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

function stopIfAborted(ctx: TaskContext): void {
  if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted');
}

/** Scores the texts; a scorer that says it is busy (its queue is full of the pipeline's work) is asked again a little later. */
async function scoreOrWait(scorer: RecomputeScorer, texts: readonly string[], ctx: TaskContext): Promise<readonly ScoredText[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const results = await scorer.score(texts);
      if (!Array.isArray(results) || results.length !== texts.length) throw new Error(`the scorer answered ${Array.isArray(results) ? results.length : typeof results} results for ${texts.length} texts`);
      return results;
    } catch (err) {
      if (!scorerUnavailable(err)?.retry || attempt >= BUSY_ATTEMPTS) throw err;
      await sleep(Math.min(1_000, 50 * 2 ** (attempt - 1)), ctx.signal);
      stopIfAborted(ctx);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
