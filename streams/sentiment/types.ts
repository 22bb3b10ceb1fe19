/**
 * The sentiment pipeline's data: what comes in (a news item), and the two messages it publishes
 * on `sentiment:SYM`. These shapes are the contract with subscribers (the dashboard reads them,
 * src/web/app/sentiment-view.ts); README's "Sentiment pipeline" section shows them.
 */

/** The classes, in the model's order. */
export const SENTIMENT_CLASSES = ['bearish', 'bullish', 'neutral'] as const;
export type SentimentClass = (typeof SENTIMENT_CLASSES)[number];
export type ClassScores = Record<SentimentClass, number>;

/** One news item, as every source hands it in (after validation). */
export interface NewsItem {
  /** The source's id: 1-256 characters, the key of the stored row. */
  id: string;
  /** The symbols it is about, 1 or more, each like a tick's symbol; duplicates removed. */
  symbols: readonly string[];
  headline: string;
  /** Where it came from (a wire, a site); optional. */
  source?: string | undefined;
  /** Publication time, ms since epoch (event time: the hourly buckets go by it). */
  ts: number;
}

/** Where an item entered the pipeline: a label of its metrics. */
export const NEWS_SOURCES = ['http', 'simulated', 'redis'] as const;
export type NewsSource = (typeof NEWS_SOURCES)[number];

/** What the scorer answers for one text. */
export interface ScoredText {
  label: SentimentClass;
  scores: ClassScores;
}

/**
 * `{type: "score"}`: one scored news item, published on `sentiment:SYM` for each of its symbols.
 * `sentiment` is scores.bullish - scores.bearish, in [-1, 1].
 */
export interface SentimentScoreMessage {
  type: 'score';
  symbol: string;
  id: string;
  headline: string;
  source: string | null;
  /** The item's publication time. */
  ts: number;
  label: SentimentClass;
  scores: ClassScores;
  sentiment: number;
  /** The model's version (its files' hash), or null when the scorer does not say. */
  model: string | null;
}

/** One symbol's items of one UTC hour, like a row of a continuous aggregate. */
export interface SentimentHourBucket {
  /** Start of the hour, ms since epoch. */
  hour: number;
  items: number;
  /** Items per label. */
  labels: Record<SentimentClass, number>;
  /** Mean probability of each class over the hour's items. */
  mean: ClassScores;
  /** Mean of bullish - bearish over the hour's items, in [-1, 1]. */
  sentiment: number;
}

/**
 * `{type: "aggregate"}`: the rolling sentiment of the symbol, published on `sentiment:SYM` after
 * the score messages of each scored batch.
 */
export interface SentimentAggregateMessage {
  type: 'aggregate';
  symbol: string;
  /**
   * Exponential moving average of bullish - bearish over the symbol's items in the order they
   * were scored (each item weighs `alpha`, SUPERNOVA_SENTIMENT_EMA_ALPHA), in [-1, 1].
   */
  ema: number;
  /** The label of the EMA: bullish above +0.15, bearish below -0.15, else neutral. */
  label: SentimentClass;
  /** Items of the symbol scored: since the engine started, or by every engine sharing the aggregates on Redis. */
  items: number;
  /** Publication time of the newest item. */
  ts: number;
  /** The newest hour of the symbol's items. */
  hour: SentimentHourBucket;
}

export type SentimentMessage = SentimentScoreMessage | SentimentAggregateMessage;

/** An EMA beyond this leans bullish (or, negated, bearish). */
export const EMA_LABEL_THRESHOLD = 0.15;

export function labelOfSentiment(value: number): SentimentClass {
  if (value > EMA_LABEL_THRESHOLD) return 'bullish';
  if (value < -EMA_LABEL_THRESHOLD) return 'bearish';
  return 'neutral';
}

export function sentimentChannel(symbol: string): string {
  return `sentiment:${symbol}`;
}
