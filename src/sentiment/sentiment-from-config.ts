import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { configEntries, type SupernovaConfig } from '../config/index.js';
import type { RedisConnector } from '../redis/index.js';
import type { SentimentScorer } from '../ml/index.js';
import { RedisNews, RedisSentimentAggregates, SentimentPipeline, SimulatedNews, type ChannelPublisher, type NewsArchive, type NewsFeed } from '../../streams/index.js';
import { Analyzer } from './analyzer.js';
import { SentimentMetrics } from './sentiment-metrics.js';

export interface SentimentWiring {
  pipeline: SentimentPipeline;
  analyzer: Analyzer;
  /** The Redis news source, when SUPERNOVA_NEWS_STREAM is set. */
  redisNews: RedisNews | undefined;
}

export interface SentimentExtras {
  scorer: SentimentScorer;
  publisher: ChannelPublisher;
  registry: Registry;
  log: Logger;
  archive?: NewsArchive | undefined;
  redis?: RedisConnector | undefined;
}

/**
 * The sentiment side of an engine: the pipeline with the sources the configuration asks for
 * (simulated headlines with the simulated feed, a Redis stream with SUPERNOVA_NEWS_STREAM; HTTP
 * ingest always), its metrics, and the analyzer of the analyze route and RPC.
 */
export function sentimentFrom(config: SupernovaConfig, x: SentimentExtras): SentimentWiring {
  const feeds: NewsFeed[] = [];
  if (config.feed === 'simulated' && config.simNewsPerMinute > 0) feeds.push(new SimulatedNews({ symbols: config.symbols, perMinute: config.simNewsPerMinute }));
  let redisNews: RedisNews | undefined;
  if (config.newsStream !== undefined && x.redis) {
    redisNews = new RedisNews({
      redis: x.redis, stream: config.newsStream, group: config.feedGroup, ...(config.feedConsumer ? { consumer: config.feedConsumer } : {}),
      batchSize: Math.min(config.feedBatchSize, config.sentimentMaxBuffered), blockMs: config.feedBlockMs, claimIdleMs: config.feedClaimIdleMs, logger: x.log,
    });
    feeds.push(redisNews);
  }
  const rolling = { alpha: config.sentimentEmaAlpha, hoursKept: config.sentimentHoursKept, maxSymbols: config.sentimentMaxSymbols };
  // Channels shared on Redis: several engines publish aggregates on the same sentiment:SYM, so
  // they must count the same items (see RedisSentimentAggregates).
  const aggregates = config.broker !== 'memory' && x.redis
    ? new RedisSentimentAggregates({ redis: x.redis, prefix: config.redisPrefix, rolling, maxPending: config.sentimentMaxBuffered * 10, logger: x.log })
    : undefined;
  const metrics = new SentimentMetrics(x.registry);
  const pipeline = new SentimentPipeline({
    scorer: x.scorer,
    publisher: x.publisher,
    archive: x.archive,
    feeds,
    batchMax: config.sentimentBatchMax,
    batchMs: config.sentimentBatchMs,
    maxBuffered: config.sentimentMaxBuffered,
    maxInFlight: config.sentimentMaxInFlight,
    rolling,
    ...(aggregates ? { aggregates } : {}),
    limits: { maxHeadlineChars: config.mlMaxTextChars },
    recentIds: config.sentimentRecentIds,
    onScored: metrics.onScored,
    onItemLatency: metrics.onItemLatency,
    logger: x.log,
  });
  metrics.track(pipeline);
  const analyzer = new Analyzer({
    scorer: x.scorer,
    limits: { maxBatch: config.mlMaxBatch, maxTextChars: config.mlMaxTextChars, names: { maxBatch: configEntries.mlMaxBatch.env, maxTextChars: configEntries.mlMaxTextChars.env } },
    maxPendingTexts: config.sentimentMaxBuffered,
    pendingSetting: configEntries.sentimentMaxBuffered.env,
  });
  return { pipeline, analyzer, redisNews };
}
