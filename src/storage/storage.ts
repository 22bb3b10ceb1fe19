import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { BatchWriter, isTickRow, SpillDir, TickSequencer, type Bar, type BatchWriterStats, type NewsArchive, type NewsItem, type SentimentArchiveRow, type TickBatch, type TickRow } from '../../streams/index.js';
import { configEntries, type SupernovaConfig } from '../config/index.js';
import { barSink, isBarRow } from './bar-sink.js';
import { Database } from './database.js';
import { TickSink } from './tick-sink.js';
import { isNewsRow, newsSink, type NewsRow } from './news-sink.js';
import { isSentimentRow, sentimentSink, type SentimentRow } from './sentiment-sink.js';
import { StorageError } from './errors.js';

/** Between tries of a database that did not answer at start: doubling up to the cap. */
const WAIT_FIRST_MS = 250;
const WAIT_MAX_MS = 5_000;

export interface StorageOptions {
  /** With `databaseUrl` set: the caller builds a Storage only then. */
  config: SupernovaConfig & { databaseUrl: string };
  log: Logger;
  /** An exception inside the pipeline's hand-over, counted and logged by the engine. */
  onError: (where: string, err: unknown) => void;
}

/**
 * PostgreSQL and what writes into it: the pool, the closed-bar writer, the tick writer
 * (SUPERNOVA_STORE_TICKS), the news and sentiment writers, and their spill on disk
 * (SUPERNOVA_SPILL_DIR). The pipelines hand rows over through `onFinalBar`, `onTicks` and
 * `news` (the sentiment pipeline's NewsArchive), which never throw and never wait.
 */
export class Storage {
  readonly database: Database;
  private readonly bars: BatchWriter<Bar>;
  private readonly ticks: { writer: BatchWriter<TickRow>; sink: TickSink; sequencer: TickSequencer } | undefined;
  private readonly newsWriter: { writer: BatchWriter<NewsRow>; sink: ReturnType<typeof newsSink> };
  private readonly sentimentWriter: { writer: BatchWriter<SentimentRow>; sink: ReturnType<typeof sentimentSink> };
  private readonly spill: SpillDir | undefined;
  private readonly config: SupernovaConfig;
  private readonly log: Logger;
  /** Refusals are logged when they start (each is counted in supernova_persist_refused_total), not per row. */
  private refusing = { bars: false, ticks: false, news: false, sentiment: false };
  /** Trying the database again in the background (SUPERNOVA_DATABASE_AT_START=wait), until it answers or stop(). */
  private waiting: { stopped: boolean; timer: NodeJS.Timeout | undefined; wake: () => void; done: Promise<void> } | undefined;

  constructor(private readonly o: StorageOptions) {
    const config = (this.config = o.config);
    const log = (this.log = o.log);
    this.database = new Database({ url: config.databaseUrl, poolSize: config.databasePoolSize, checkIntervalMs: config.databaseCheckMs });
    this.spill = config.spillDir
      ? new SpillDir({ dir: resolve(config.spillDir), maxBytes: config.spillMaxBytes, segmentBytes: config.spillSegmentBytes, log, setting: configEntries.spillDir.env })
      : undefined;
    // A database that is down is a state, not a fault of ours: said once per outage, counted in supernova_persist_retries_total.
    const waiting = (what: string) => (err: unknown, attempt: number) => { if (attempt === 0) log.warn({ err: (err as Error).message }, `${what} wait for the database; retrying`); };
    this.bars = new BatchWriter({
      sink: barSink(this.database),
      maxBatch: config.persistBatchMax,
      flushMs: config.persistFlushMs,
      maxBuffered: config.persistMaxBuffered,
      onError: waiting('bars'),
      ...(this.spill ? { spill: { file: this.spill.table('bars', isBarRow), afterRows: config.spillAfterRows } } : {}),
    });
    if (config.storeTicks) {
      const sink = new TickSink(this.database);
      const writer = new BatchWriter({
        sink, maxBatch: config.persistTicksBatchMax, flushMs: config.persistFlushMs, maxBuffered: config.persistTicksMaxBuffered,
        onError: waiting('ticks'),
        // Ticks are many and bars few: ticks may take half of the spill budget, so bars always find room.
        ...(this.spill ? { spill: { file: this.spill.table('ticks', isTickRow, Math.floor(config.spillMaxBytes / 2)), afterRows: config.spillAfterRows } } : {}),
      });
      this.ticks = { writer, sink, sequencer: new TickSequencer() };
    }
    // News and sentiment are few next to ticks: an eighth of the spill budget each.
    const share = Math.floor(config.spillMaxBytes / 8);
    const news = newsSink(this.database);
    this.newsWriter = {
      sink: news,
      writer: new BatchWriter({
        sink: news, maxBatch: config.persistBatchMax, flushMs: config.persistFlushMs, maxBuffered: config.persistMaxBuffered, onError: waiting('news'),
        ...(this.spill ? { spill: { file: this.spill.table('news', isNewsRow, share), afterRows: config.spillAfterRows } } : {}),
      }),
    };
    const sentiment = sentimentSink(this.database);
    this.sentimentWriter = {
      sink: sentiment,
      writer: new BatchWriter({
        // Until its news row is in, a sentiment batch fails and is retried: that is a wait, not an outage.
        sink: sentiment, maxBatch: config.persistBatchMax, flushMs: config.persistFlushMs, maxBuffered: config.persistMaxBuffered, onError: waiting('sentiment rows'),
        ...(this.spill ? { spill: { file: this.spill.table('sentiment', isSentimentRow, share), afterRows: config.spillAfterRows } } : {}),
      }),
    };
  }

  /**
   * Migrates the database, then opens the spill (unusable: an error naming SUPERNOVA_SPILL_DIR)
   * and writes what a previous run left there. A database that does not answer is waited for in
   * the background (the writers hold their rows meanwhile, in memory and in the spill), or, with
   * SUPERNOVA_DATABASE_AT_START=require, fails start-up with a StorageError naming SUPERNOVA_DATABASE_URL.
   */
  async start(): Promise<void> {
    try {
      await this.migrate();
    } catch (err) {
      if (!(err instanceof StorageError && err.code === 'DATABASE_UNREACHABLE') || this.config.databaseAtStart === 'require') throw err;
      this.log.warn({ err: err.message }, `the database does not answer: starting without it, and migrating it once it answers (${configEntries.databaseAtStart.env}=require refuses to start instead)`);
      this.waitForDatabase();
    }
    try {
      await this.bars.start();
      await this.ticks?.writer.start();
      await this.newsWriter.writer.start();
      await this.sentimentWriter.writer.start();
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  private async migrate(): Promise<void> {
    const { applied, current } = await this.database.start();
    const timescale = this.database.timescaleState();
    this.log.info({ applied, schemaVersion: current, timescaledb: timescale.extension, layout: timescale.layout, storeTicks: this.ticks !== undefined }, 'database ready');
  }

  /** Tries the database again and again (doubling the pause up to WAIT_MAX_MS) until it is migrated. */
  private waitForDatabase(): void {
    const w: NonNullable<Storage['waiting']> = { stopped: false, timer: undefined, wake: () => {}, done: Promise.resolve() };
    w.done = (async () => {
      let reported = '';
      for (let attempt = 0; !w.stopped; attempt++) {
        await new Promise<void>((resolve) => {
          w.wake = resolve;
          w.timer = setTimeout(resolve, Math.min(WAIT_MAX_MS, WAIT_FIRST_MS * 2 ** attempt));
        });
        if (w.stopped) return;
        try {
          await this.migrate();
          return;
        } catch (err) {
          // Unreachable is the wait itself; anything else (a migration that fails) is said once.
          const message = (err as Error).message;
          if (!(err instanceof StorageError && err.code === 'DATABASE_UNREACHABLE') && message !== reported) this.log.error({ err: message }, 'the database answered but could not be migrated; trying again');
          reported = message;
        }
      }
    })();
    this.waiting = w;
  }

  private async stopWaiting(): Promise<void> {
    const w = this.waiting;
    if (!w) return;
    w.stopped = true;
    clearTimeout(w.timer);
    w.wake();
    await w.done;
  }

  /** Gives up at once (a start-up that failed later): nothing is waited for. */
  async abort(): Promise<void> {
    await this.stopWaiting();
    await this.bars.stop(0).catch(() => {});
    await this.ticks?.writer.stop(0).catch(() => {});
    await this.newsWriter.writer.stop(0).catch(() => {});
    await this.sentimentWriter.writer.stop(0).catch(() => {});
    await this.database.stop().catch(() => {});
  }

  /** Writes what is held (or spills it), says what is left, and closes the pool. */
  async stop(): Promise<void> {
    await this.stopWaiting();
    const unwritten = await this.bars.stop();
    if (unwritten > 0) this.log.error({ unwritten }, this.spill ? 'bars neither written to the database nor spilled to disk before stop: lost' : 'bars not written to the database before stop');
    const spilled = this.bars.stats().spill;
    if (spilled && spilled.bytes > 0) this.log.warn({ segments: spilled.segments, bytes: spilled.bytes }, 'bars wait in the spill; the next start writes them to the database');
    const ticksUnwritten = (await this.ticks?.writer.stop()) ?? 0;
    if (ticksUnwritten > 0) this.log.error({ unwritten: ticksUnwritten }, 'ticks not written to the database before stop');
    // News first: the sentiment rows refer to it.
    for (const [table, w] of [['news', this.newsWriter.writer], ['sentiment_data', this.sentimentWriter.writer]] as const) {
      const unwritten = await w.stop();
      if (unwritten > 0) this.log.error({ unwritten, table }, `${table} rows neither written to the database nor spilled before stop`);
    }
    await this.database.stop();
  }

  /** The pipeline's hand-over of a closed bar. */
  readonly onFinalBar = (bar: Bar): void => {
    const accepted = this.bars.push(bar);
    if (!accepted && !this.refusing.bars) this.log.error({ limit: this.config.persistMaxBuffered }, 'closed bars are refused: SUPERNOVA_PERSIST_MAX_BUFFERED rows already wait for the database');
    this.refusing.bars = !accepted;
  };

  /** The pipeline's hand-over of accepted ticks (with SUPERNOVA_STORE_TICKS); it runs inside the pipeline's batch loop and must not throw. */
  get onTicks(): ((ticks: TickBatch) => void) | undefined {
    const t = this.ticks;
    if (!t) return undefined;
    return (ticks) => {
      try {
        let refused = 0;
        for (const tick of ticks) if (!t.writer.push(t.sequencer.row(tick))) refused++;
        if (refused > 0 && !this.refusing.ticks) this.log.error({ limit: this.config.persistTicksMaxBuffered }, 'ticks are refused: SUPERNOVA_PERSIST_TICKS_MAX_BUFFERED rows already wait for the database');
        this.refusing.ticks = refused > 0;
      } catch (err) {
        this.o.onError('persist-ticks', err);
      }
    };
  }

  /**
   * The sentiment pipeline's hand-over of scored news: a news row, then (only when the news
   * writer took it) a row per symbol. Past SUPERNOVA_PERSIST_MAX_BUFFERED rows are refused,
   * counted in supernova_persist_refused_total{table} and logged once per refusal spell.
   */
  readonly news: NewsArchive = {
    storeNews: (item: NewsItem): boolean => {
      const accepted = this.newsWriter.writer.push({ id: item.id, ts: item.ts, symbols: item.symbols, headline: item.headline, source: item.source });
      this.refused('news', accepted);
      return accepted;
    },
    storeSentiment: (row: SentimentArchiveRow): void => {
      this.refused('sentiment', this.sentimentWriter.writer.push(row));
    },
  };

  private refused(table: 'news' | 'sentiment', accepted: boolean): void {
    if (!accepted && !this.refusing[table]) this.log.error({ limit: this.config.persistMaxBuffered, table }, `${table} rows are refused: SUPERNOVA_PERSIST_MAX_BUFFERED rows already wait for the database`);
    this.refusing[table] = !accepted;
  }

  /** Each batched writer by table: memory buffer, writes, retries, refusals, and its spill's files (`spill`). */
  persistence(): Record<string, BatchWriterStats> {
    return { bars: this.bars.stats(), ...(this.ticks ? { ticks: this.ticks.writer.stats() } : {}), news: this.newsWriter.writer.stats(), sentiment_data: this.sentimentWriter.writer.stats() };
  }

  /** Every closed bar is in the database: none waits in the writer's memory or on its spill. */
  barsSettled(): boolean {
    const w = this.bars.stats();
    return w.buffered === 0 && (w.spill?.segments ?? 0) === 0;
  }

  /** `/performance/metrics/database` (without `configured`). */
  async report(): Promise<Record<string, unknown>> {
    return { ...(await this.database.report()), persistence: this.persistence(), ticks: this.ticks ? this.ticks.sink.stats() : null, news: this.newsWriter.sink.stats(), sentiment_data: this.sentimentWriter.sink.stats() };
  }
}
