import type { ClassScores, NewsItem, ScoredText, SentimentAggregateMessage, SentimentClass, SentimentHourBucket } from './types.js';
import type { NewsRejectReason } from './news-validation.js';
import type { NewsSource } from './types.js';

/**
 * What scores headlines: the engine's SentimentScorer (the model replicas, or the model on the
 * calling thread) satisfies this structurally; streams/ never imports src/.
 */
export interface TextScorer {
  /** Labels and probabilities of each text, in the order given; rejects when it cannot. */
  score(texts: readonly string[]): Promise<ScoredText[]>;
  /** The model version that scores now, for the messages and stored rows; optional. */
  report?(): { version: string | null };
}

/** One stored sentiment row: a news item's scores for one of its symbols. */
export interface SentimentArchiveRow {
  newsId: string;
  symbol: string;
  ts: number;
  label: ScoredText['label'];
  bearish: number;
  neutral: number;
  bullish: number;
  modelVersion: string;
}

/**
 * Where scored news is kept (the engine's Storage, when a database is configured). Both calls
 * hand rows to batch writers and never wait; storeNews says whether the news writer took the
 * item, and sentiment is handed only for items it took (a sentiment row refers to its news row).
 */
export interface NewsArchive {
  storeNews(item: NewsItem): boolean;
  storeSentiment(row: SentimentArchiveRow): void;
}

/**
 * How a submission fits the buffer. `all-or-none`: refused whole (SentimentBusyError) unless
 * every valid item fits, so the caller can retry it as it is (HTTP ingest's 503, the Redis
 * source's pause). `drop-newest`: what fits is taken and the rest shed, counted (the simulated
 * source: a generated headline is not worth holding up anything for).
 */
export type SubmitPolicy = 'all-or-none' | 'drop-newest';

export interface NewsSubmitError {
  index: number;
  reason: NewsRejectReason;
  message: string;
}

/** The answer to one submission, before any item is scored. */
export interface NewsSubmitReport {
  accepted: number;
  rejected: number;
  /** Dropped for want of room (drop-newest only). */
  shed: number;
  /** The first refusals, by position in the submitted list. */
  errors: NewsSubmitError[];
}

export interface NewsSubmission {
  report: NewsSubmitReport;
  /**
   * Settles once every accepted item was scored, published and handed to the archive; rejects
   * when scoring failed for one of them (the Redis source then leaves its entries unacknowledged).
   */
  done: Promise<void>;
}

/** Where news sources hand items in: the sentiment pipeline. */
export interface NewsIntake {
  submit(inputs: readonly unknown[], source: NewsSource, policy: SubmitPolicy): NewsSubmission;
  /** Items the buffer can still take. */
  room(): number;
}

/** A source of news that runs on its own (the simulated headlines, a Redis stream). */
export interface NewsFeed {
  readonly name: NewsSource;
  /** Opens what it needs (a source that is down fails start-up) and starts handing items to `intake`. */
  start(intake: NewsIntake): Promise<void>;
  /** Stops reading and releases every timer and connection; what it handed in stays with the pipeline. */
  stop(): Promise<void>;
}

/** One scored item for one of its symbols, as the rolling aggregates take it. */
export interface AggregateInput {
  symbol: string;
  ts: number;
  label: SentimentClass;
  scores: ClassScores;
}

/**
 * The rolling sentiment of every symbol (an EMA and hourly buckets): in this process
 * (MemorySentimentAggregates), or on Redis (RedisSentimentAggregates), where every engine that
 * shares the channels adds to the same figures, so each aggregate message counts the items of
 * all of them rather than only those its own engine scored.
 */
export interface SentimentAggregates {
  /**
   * Adds the items in order and answers the aggregate of each symbol they touched (in the order
   * first touched). Never rejects: what could not be added is held (bounded) and added with the
   * next call, and the answer then leaves those symbols out.
   */
  add(items: readonly AggregateInput[]): Promise<SentimentAggregateMessage[]>;
  /** The symbol's kept hours with start in [from, to), oldest first; rejects with SentimentAggregatesError. */
  hours(symbol: string, from: number, to: number): Promise<SentimentHourBucket[]>;
  /** EMA, label, items and newest time of a symbol; rejects with SentimentAggregatesError. */
  summary(symbol: string): Promise<SentimentSummary | undefined>;
  /** Figures for the report and metrics, as last known (no round trip). */
  stats(): SentimentAggregateStats;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface SentimentSummary {
  ema: number;
  label: SentimentClass;
  items: number;
  ts: number;
}

export interface SentimentAggregateStats {
  where: 'memory' | 'redis';
  /** Symbols tracked. */
  symbols: number;
  /** Symbols forgotten to stay within SUPERNOVA_SENTIMENT_MAX_SYMBOLS. */
  evicted: number;
  /** Items older than every hour kept of their symbol: in the EMA, in no bucket. */
  unbucketed: number;
  /** Items waiting to be added (Redis did not answer). */
  pending: number;
  /** Items dropped from the pending list at its bound. */
  dropped: number;
  /** Adds that failed (each retried with the next). */
  errors: number;
}
