import type { ChannelPublisher, StreamLogger } from '../ports.js';
import { InvalidOptionError, SentimentBusyError, SentimentUnavailableError } from '../errors.js';
import { checkNews, newsLimits, NEWS_REJECT_REASONS, type NewsLimits, type NewsRejectReason } from './news-validation.js';
import { MemorySentimentAggregates } from './memory-aggregates.js';
import type { RollingSentimentOptions } from './rolling-sentiment.js';
import { scoredFigures } from './scored-figures.js';
import type { AggregateInput, NewsArchive, NewsFeed, NewsIntake, NewsSubmission, NewsSubmitReport, SentimentAggregates, SubmitPolicy, TextScorer } from './ports.js';
import { NEWS_SOURCES, sentimentChannel, type NewsItem, type NewsSource, type ScoredText, type SentimentScoreMessage } from './types.js';

export interface SentimentPipelineOptions {
  scorer: TextScorer;
  publisher: ChannelPublisher;
  /** Where scored news is stored; none without a database. */
  archive?: NewsArchive | undefined;
  /** The sources that run on their own (simulated, Redis); started and stopped with the pipeline. */
  feeds?: readonly NewsFeed[];
  /** Items per call to the scorer at most. */
  batchMax: number;
  /** Longest an item waits for a fuller batch before it is scored anyway. */
  batchMs: number;
  /** Items held (waiting or being scored) at most: the bound of every shed policy. */
  maxBuffered: number;
  /** Batches at the scorer at once at most (replicas score several in parallel). */
  maxInFlight: number;
  rolling: RollingSentimentOptions;
  /**
   * Where the rolling sentiment is kept: in memory (the default, from `rolling`), or shared on
   * Redis by the engines that share the channels (RedisSentimentAggregates). Started and stopped
   * with the pipeline.
   */
  aggregates?: SentimentAggregates;
  limits?: Partial<NewsLimits>;
  /** Refusals described in one report at most; the counts stay exact. */
  maxErrors?: number;
  /** Each call to the scorer: its seconds and texts (the scoring-latency histogram). */
  onScored?: (seconds: number, texts: number) => void;
  /** Each published item: seconds from its submission to its score's publication. */
  onItemLatency?: (seconds: number) => void;
  logger?: StreamLogger;
  now?: () => number;
  /**
   * Ids of the last this many items taken are remembered, and an item with one of them is refused
   * as DUPLICATE (a retried request, a Redis entry delivered again): it would count twice in the
   * aggregates. 0 remembers none. An item whose scoring failed is forgotten, so it can come again.
   * One that comes again while the first is still being scored is refused too, but its
   * submission's `done` follows the first one's outcome: a Redis entry claimed again meanwhile is
   * acknowledged only once the first was scored, and stays pending if that failed.
   */
  recentIds?: number;
  /** How long stop() goes on scoring what is buffered before it fails the rest (default 2 s). */
  stopDrainMs?: number;
}

/** A submission's accepted items on their way: settles `done` once all are through. */
interface Ticket {
  remaining: number;
  failed: unknown;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Entry {
  item: NewsItem;
  source: NewsSource;
  ticket: Ticket;
  at: number;
  /** Counted in its ticket already (stop gave up on it while it was at the scorer). */
  settled?: boolean;
  /** Submissions of the same id made while this one was under way: settled with it (see recentIds). */
  followers?: Ticket[];
}

/** Counts per source, read by the metrics at scrape time. */
export interface SourceCounts {
  /** Items submitted (valid or not). */
  in: number;
  accepted: number;
  refused: number;
  /** Valid items not taken for want of room: shed (simulated), or refused whole as busy (HTTP, Redis; retried by their sender). */
  shed: number;
  scored: number;
  /** Items whose scoring failed. */
  failed: number;
}

const LOG_INTERVAL_MS = 5_000;
const DEFAULT_STOP_DRAIN_MS = 2_000;
/** Submissions that may wait on one item under way (see recentIds). */
const MAX_FOLLOWERS = 16;
const silentLogger: StreamLogger = { warn: () => {}, error: () => {} };

/**
 * News from every source (HTTP ingest, the simulated headlines, a Redis stream) through one
 * validation into one bounded buffer, to the scorer in batches (batchMax items, or what waited
 * batchMs), then to `sentiment:SYM`: a score message per item and symbol, and after each batch an
 * aggregate message per symbol it touched (RollingSentiment). Scored items go to the archive.
 *
 * The buffer is written by hand rather than with RxJS' bufferTime/mergeMap: those queue without
 * bound while the scorer is slow, and here the bound (maxBuffered) and what happens at it (the
 * caller's SubmitPolicy) are the point.
 */
export class SentimentPipeline implements NewsIntake {
  readonly aggregates: SentimentAggregates;
  readonly limits: NewsLimits;
  private readonly queue: Entry[] = [];
  /** Ids taken lately, oldest first (see recentIds). */
  private readonly recent = new Set<string>();
  /** Items taken and not yet through, by id: what a duplicate follows. */
  private readonly underWay = new Map<string, Entry>();
  /** Batches at the scorer. */
  private readonly atScorer = new Set<Entry[]>();
  private inFlight = 0;
  /** Settles when the batch launched last is through: the next one publishes after it. */
  private lastThrough: Promise<void> = Promise.resolve();
  /** Items taken from the queue and not yet through. */
  private scoring = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running = false;
  private idle: (() => void) | undefined;
  private readonly counts: Record<NewsSource, SourceCounts>;
  private readonly refusedByReason: Record<NewsSource, Record<NewsRejectReason, number>>;
  private scoreErrorCount = 0;
  private publishErrorCount = 0;
  private publishedCount = 0;
  private lastLogAt = Number.NEGATIVE_INFINITY;
  private readonly logger: StreamLogger;
  private readonly now: () => number;
  private readonly maxErrors: number;

  constructor(private readonly o: SentimentPipelineOptions) {
    for (const key of ['batchMax', 'maxBuffered', 'maxInFlight'] as const) {
      if (!Number.isInteger(o[key]) || o[key] < 1) throw new InvalidOptionError(key, `must be an integer >= 1, got ${o[key]}`);
    }
    if (!Number.isInteger(o.batchMs) || o.batchMs < 0) throw new InvalidOptionError('batchMs', `must be an integer >= 0, got ${o.batchMs}`);
    this.aggregates = o.aggregates ?? new MemorySentimentAggregates(o.rolling);
    this.limits = newsLimits(o.limits);
    this.logger = o.logger ?? silentLogger;
    this.now = o.now ?? Date.now;
    this.maxErrors = o.maxErrors ?? 100;
    this.counts = Object.fromEntries(NEWS_SOURCES.map((s) => [s, { in: 0, accepted: 0, refused: 0, shed: 0, scored: 0, failed: 0 }])) as Record<NewsSource, SourceCounts>;
    this.refusedByReason = Object.fromEntries(NEWS_SOURCES.map((s) => [s, Object.fromEntries(NEWS_REJECT_REASONS.map((r) => [r, 0]))])) as Record<NewsSource, Record<NewsRejectReason, number>>;
  }

  /** Items waiting or being scored. */
  get buffered(): number {
    return this.queue.length + this.scoring;
  }
  get batchesInFlight(): number {
    return this.inFlight;
  }
  get scoreErrors(): number {
    return this.scoreErrorCount;
  }
  get publishErrors(): number {
    return this.publishErrorCount;
  }
  /** Messages published on `sentiment:` (scores and aggregates). */
  get published(): number {
    return this.publishedCount;
  }
  sourceCounts(): Readonly<Record<NewsSource, SourceCounts>> {
    return this.counts;
  }
  /** Items refused by validation, by source and reason. */
  refusals(): Readonly<Record<NewsSource, Readonly<Record<NewsRejectReason, number>>>> {
    return this.refusedByReason;
  }

  room(): number {
    return Math.max(0, this.o.maxBuffered - this.buffered);
  }

  /** Starts taking items, then the sources that run on their own (one that cannot start fails it). */
  async start(): Promise<void> {
    await this.aggregates.start();
    this.running = true;
    const started: NewsFeed[] = [];
    try {
      for (const feed of this.o.feeds ?? []) {
        await feed.start(this);
        started.push(feed);
      }
    } catch (err) {
      this.running = false;
      for (const feed of started) await feed.stop().catch(() => {});
      await this.aggregates.stop();
      throw err;
    }
  }

  /**
   * Stops the sources and taking items, scores what is buffered for up to stopDrainMs, and fails
   * what is left (a Redis source's entries stay unacknowledged, for the next reader).
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    for (const feed of this.o.feeds ?? []) await feed.stop().catch((err: unknown) => this.logger.warn({ err, feed: feed.name }, 'a news source did not stop cleanly'));
    this.running = false;
    if (this.buffered > 0) {
      this.flush();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.o.stopDrainMs ?? DEFAULT_STOP_DRAIN_MS);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.idle = undefined;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    clearImmediate(this.immediate);
    this.immediate = undefined;
    const err = new SentimentUnavailableError('the sentiment pipeline stopped before scoring this item');
    for (const e of this.queue.splice(0)) this.settle(e, err);
    // A scorer that did not answer within the drain: its late answer is dropped (settle ignores it).
    for (const batch of this.atScorer) for (const e of batch) this.settle(e, err);
    await this.aggregates.stop();
  }

  submit(inputs: readonly unknown[], source: NewsSource, policy: SubmitPolicy): NewsSubmission {
    if (!this.running) throw new SentimentUnavailableError();
    const counts = this.counts[source];
    counts.in += inputs.length;
    const now = this.now();
    const report: NewsSubmitReport = { accepted: 0, rejected: 0, shed: 0, errors: [] };
    const items: NewsItem[] = [];
    const ids = new Set<string>();
    const followed: Entry[] = [];
    inputs.forEach((input, index) => {
      const checked = checkNews(input, this.limits, now);
      const { item } = checked;
      const refusal = item && (this.recent.has(item.id) || ids.has(item.id))
        ? { reason: 'DUPLICATE' as const, message: `id ${JSON.stringify(item.id.slice(0, 40))} was taken already (it is among the last ${this.o.recentIds ?? 0} ids, or earlier in this list)` }
        : checked.refusal;
      if (item && !refusal) {
        ids.add(item.id);
        items.push(item);
        return;
      }
      if (!refusal) return;
      const first = refusal.reason === 'DUPLICATE' && item ? this.underWay.get(item.id) : undefined;
      if (first) followed.push(first);
      report.rejected++;
      this.refusedByReason[source][refusal.reason]++;
      if (report.errors.length < this.maxErrors) report.errors.push({ index, ...refusal });
    });
    counts.refused += report.rejected;
    const room = this.room();
    if (items.length > room && policy === 'all-or-none') {
      counts.shed += items.length;
      throw new SentimentBusyError(items.length, room, this.o.maxBuffered);
    }
    const taken = items.length > room ? items.slice(0, room) : items;
    report.shed = items.length - taken.length;
    counts.shed += report.shed;
    report.accepted = taken.length;
    counts.accepted += taken.length;
    let ticket: Ticket | undefined;
    const waits = taken.length + followed.length;
    const done = waits === 0 ? Promise.resolve() : new Promise<void>((resolve, reject) => {
      ticket = { remaining: waits, failed: undefined, resolve, reject };
    });
    // Callers that do not wait for the scores (HTTP, simulated) must not leave a rejection unhandled.
    done.catch(() => {});
    const at = performance.now();
    for (const item of taken) {
      this.remember(item.id);
      const entry: Entry = { item, source, ticket: ticket as Ticket, at };
      this.underWay.set(item.id, entry);
      this.queue.push(entry);
    }
    for (const first of followed) {
      const followers = (first.followers ??= []);
      // Bounded: a flood of one id must not grow an entry without end. Past the bound the
      // duplicate's submission fails (a Redis entry stays pending, to be claimed again).
      if (followers.length < MAX_FOLLOWERS) followers.push(ticket as Ticket);
      else settleTicket(ticket as Ticket, new SentimentUnavailableError(`an item with id ${JSON.stringify(first.item.id.slice(0, 40))} is being scored, and ${MAX_FOLLOWERS} other submissions of it wait already; retry later`));
    }
    if (taken.length > 0) this.schedule();
    return { report, done };
  }

  private remember(id: string): void {
    const max = this.o.recentIds ?? 0;
    if (max === 0) return;
    this.recent.add(id);
    if (this.recent.size > max) this.recent.delete(this.recent.values().next().value as string);
  }

  /**
   * Full batches go at the next turn of the event loop, a partial one after batchMs. Never in
   * the caller's turn, and one round of batches per turn: a scorer on the calling thread
   * (InProcessScorer) holds the loop while it scores, and between two rounds requests and
   * sockets get their turn (and find the buffer as full as it really is).
   */
  private schedule(): void {
    if (this.queue.length >= this.o.batchMax) {
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        while (this.inFlight < this.o.maxInFlight && this.queue.length >= this.o.batchMax) this.launch();
        this.schedule();
      });
      return;
    }
    if (this.queue.length > 0 && this.inFlight < this.o.maxInFlight && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.o.batchMs);
    }
  }

  /** Launches what waits, partial batches included, as far as maxInFlight allows. */
  private flush(): void {
    while (this.inFlight < this.o.maxInFlight && this.queue.length > 0) this.launch();
  }

  private launch(): void {
    const batch = this.queue.splice(0, this.o.batchMax);
    this.inFlight++;
    this.scoring += batch.length;
    this.atScorer.add(batch);
    const previous = this.lastThrough;
    let through!: () => void;
    this.lastThrough = new Promise((resolve) => { through = resolve; });
    void this.run(batch, previous).finally(() => {
      through();
      this.atScorer.delete(batch);
      this.inFlight--;
      this.scoring -= batch.length;
      if (this.running) this.schedule();
      else if (this.queue.length > 0) this.flush();
      if (this.buffered === 0) this.idle?.();
    });
  }

  /**
   * Scores a batch while others score too (maxInFlight), but publishes it only once the batch
   * launched before it is through: a subscriber gets the scores and aggregates in the order the
   * items came, whichever replica answered first.
   */
  private async run(batch: Entry[], previous: Promise<void>): Promise<void> {
    const started = performance.now();
    let results: ScoredText[];
    try {
      results = await this.o.scorer.score(batch.map((e) => e.item.headline));
      if (!Array.isArray(results) || results.length !== batch.length) throw new Error(`the scorer answered ${Array.isArray(results) ? results.length : typeof results} results for ${batch.length} texts`);
    } catch (err) {
      this.scoreErrorCount++;
      for (const e of batch) {
        this.counts[e.source].failed++;
        this.settle(e, err);
      }
      this.logSparingly({ err, texts: batch.length, scoreErrors: this.scoreErrorCount }, 'sentiment scoring failed; the batch is dropped (Redis entries stay unacknowledged)');
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    this.o.onScored?.(seconds, batch.length);
    await previous;
    const model = this.o.scorer.report?.().version ?? null;
    const inputs: AggregateInput[] = [];
    const delivered: Entry[] = [];
    batch.forEach((e, i) => {
      // Given up on by stop(): its answer came too late to be published.
      if (e.settled) return;
      try {
        this.deliver(e, results[i] as ScoredText, model, inputs);
        delivered.push(e);
      } catch (err) {
        // A result of the wrong shape (a scorer's bug): this item fails, not its batch.
        this.counts[e.source].failed++;
        this.settle(e, err);
      }
    });
    // The aggregates never fail an item: its score is published and stored already.
    for (const aggregate of await this.aggregates.add(inputs)) this.publish(sentimentChannel(aggregate.symbol), aggregate);
    for (const e of delivered) {
      if (e.settled) continue;
      this.counts[e.source].scored++;
      this.settle(e, undefined);
    }
  }

  private deliver(e: Entry, result: ScoredText, model: string | null, inputs: AggregateInput[]): void {
    const { item } = e;
    const { label, scores, sentiment } = scoredFigures(result);
    const stored = this.o.archive?.storeNews(item) ?? false;
    for (const symbol of item.symbols) {
      const message: SentimentScoreMessage = { type: 'score', symbol, id: item.id, headline: item.headline, source: item.source ?? null, ts: item.ts, label, scores, sentiment, model };
      this.publish(sentimentChannel(symbol), message);
      inputs.push({ symbol, ts: item.ts, label, scores });
      if (stored) this.o.archive?.storeSentiment({ newsId: item.id, symbol, ts: item.ts, label, ...scores, modelVersion: model ?? 'unknown' });
    }
    this.o.onItemLatency?.((performance.now() - e.at) / 1000);
  }

  private publish(channel: string, data: unknown): void {
    this.publishedCount++;
    try {
      const p = this.o.publisher.publishSync ? this.o.publisher.publishSync(channel, data) : this.o.publisher.publish(channel, data);
      if (p instanceof Promise) p.catch((err: unknown) => this.publishFailed(channel, err));
    } catch (err) {
      this.publishFailed(channel, err);
    }
  }

  private publishFailed(channel: string, err: unknown): void {
    this.publishErrorCount++;
    this.logSparingly({ err, channel, publishErrors: this.publishErrorCount }, 'sentiment publication failed');
  }

  private settle(e: Entry, err: unknown): void {
    if (e.settled) return;
    e.settled = true;
    if (this.underWay.get(e.item.id) === e) this.underWay.delete(e.item.id);
    // Not scored: it may come again (a Redis entry left pending), and must not be refused then.
    if (err !== undefined) this.recent.delete(e.item.id);
    settleTicket(e.ticket, err);
    for (const t of e.followers ?? []) settleTicket(t, err);
  }

  private logSparingly(fields: object, msg: string): void {
    const now = Date.now();
    if (now - this.lastLogAt < LOG_INTERVAL_MS) return;
    this.lastLogAt = now;
    this.logger.warn(fields, msg);
  }
}

function settleTicket(t: Ticket, err: unknown): void {
  if (err !== undefined && t.failed === undefined) t.failed = err;
  if (--t.remaining > 0) return;
  if (t.failed === undefined) t.resolve();
  else t.reject(t.failed);
}
