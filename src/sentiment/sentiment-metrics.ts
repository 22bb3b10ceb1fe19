import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { NEWS_SOURCES, type NewsRejectReason, type NewsSource, type SentimentAggregateStats, type SourceCounts } from '../../streams/index.js';

/** What the counters read at scrape time: the pipeline's own totals. */
export interface SentimentMetricSources {
  sourceCounts(): Readonly<Record<NewsSource, SourceCounts>>;
  refusals(): Readonly<Record<NewsSource, Readonly<Record<NewsRejectReason, number>>>>;
  readonly buffered: number;
  readonly batchesInFlight: number;
  readonly scoreErrors: number;
  readonly aggregates: { stats(): SentimentAggregateStats };
}

/** Seconds of one call to the scorer: a batch of a few texts is milliseconds. */
const SCORING_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * `supernova_sentiment_*` on the engine's registry. Counters follow the pipeline's totals at scrape
 * time (nothing is updated per item); the two histograms are observed as batches are scored.
 */
export class SentimentMetrics {
  private readonly scoring: Histogram;
  private readonly latency: Histogram;

  constructor(private readonly registry: Registry) {
    this.scoring = new Histogram({ name: 'supernova_sentiment_scoring_seconds', help: 'Seconds of each call to the scorer by the sentiment pipeline (one batch)', buckets: SCORING_BUCKETS, registers: [registry] });
    this.latency = new Histogram({ name: 'supernova_sentiment_item_latency_seconds', help: 'Seconds from a news item\'s submission to the publication of its score', buckets: SCORING_BUCKETS, registers: [registry] });
  }

  readonly onScored = (seconds: number): void => this.scoring.observe(seconds);
  readonly onItemLatency = (seconds: number): void => this.latency.observe(seconds);

  /** The counters and gauges of `source`. */
  track(source: SentimentMetricSources): void {
    const registry = this.registry;
    const counter = (name: string, help: string, field: keyof SourceCounts): void => {
      const seen = new Map<string, number>();
      new Counter({
        name, help, labelNames: ['source'], registers: [registry],
        collect() {
          const counts = source.sourceCounts();
          for (const s of NEWS_SOURCES) {
            const total = counts[s][field];
            this.inc({ source: s }, Math.max(0, total - (seen.get(s) ?? 0)));
            seen.set(s, total);
          }
        },
      });
    };
    counter('supernova_sentiment_items_in_total', 'News items submitted to the sentiment pipeline, valid or not, by source (http, simulated, redis)', 'in');
    counter('supernova_sentiment_items_scored_total', 'News items scored and published on sentiment:SYM, by source', 'scored');
    counter('supernova_sentiment_items_shed_total', 'Valid news items not taken because the buffer was full (SUPERNOVA_SENTIMENT_MAX_BUFFERED), by source: shed simulated headlines, and HTTP or Redis batches refused whole (their sender retries)', 'shed');
    counter('supernova_sentiment_items_failed_total', 'News items whose scoring failed, by source', 'failed');
    const refusedSeen = new Map<string, number>();
    new Counter({
      name: 'supernova_sentiment_items_refused_total',
      help: 'News items refused by validation, by source and reason (BAD_SHAPE, BAD_ID, BAD_SYMBOLS, BAD_HEADLINE, BAD_SOURCE, BAD_TS, DUPLICATE)',
      labelNames: ['source', 'reason'], registers: [registry],
      collect() {
        for (const [from, reasons] of Object.entries(source.refusals())) {
          for (const [reason, total] of Object.entries(reasons)) {
            const key = `${from}/${reason}`;
            this.inc({ source: from, reason }, Math.max(0, total - (refusedSeen.get(key) ?? 0)));
            refusedSeen.set(key, total);
          }
        }
      },
    });
    new Gauge({ name: 'supernova_sentiment_buffered', help: 'News items the sentiment pipeline holds (waiting or being scored)', registers: [registry], collect() { this.set(source.buffered); } });
    new Gauge({ name: 'supernova_sentiment_batches_in_flight', help: 'Batches of news at the scorer', registers: [registry], collect() { this.set(source.batchesInFlight); } });
    new Gauge({ name: 'supernova_sentiment_aggregate_pending', help: 'Scored items waiting to be added to the shared rolling sentiment on Redis, which did not answer (bounded; the oldest are dropped past it)', registers: [registry], collect() { this.set(source.aggregates.stats().pending); } });
    const aggregateSeen = { errors: 0, dropped: 0 };
    for (const [field, name, help] of [
      ['errors', 'supernova_sentiment_aggregate_errors_total', 'Adds to the shared rolling sentiment on Redis that failed (their items are held and added with the next)'],
      ['dropped', 'supernova_sentiment_aggregate_dropped_total', 'Scored items never added to the shared rolling sentiment: dropped from the pending list at its bound while Redis did not answer'],
    ] as const) {
      new Counter({
        name, help, registers: [registry],
        collect() {
          const total = source.aggregates.stats()[field];
          this.inc(Math.max(0, total - aggregateSeen[field]));
          aggregateSeen[field] = total;
        },
      });
    }
    let errorsSeen = 0;
    new Counter({
      name: 'supernova_sentiment_score_errors_total', help: 'Calls to the scorer by the sentiment pipeline that failed', registers: [registry],
      collect() {
        this.inc(Math.max(0, source.scoreErrors - errorsSeen));
        errorsSeen = source.scoreErrors;
      },
    });
  }
}
