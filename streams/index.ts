// The public API of streams/: the engine imports from here and nowhere deeper.
export type { Bar, ChannelFollower, ChannelPublisher, Feed, MarketSnapshot, RedisFeedConnections, StreamLogger, Tick, TickBatch } from './ports.js';
export { IngestBusyError, IngestUnavailableError, SentimentAggregatesError, SentimentBusyError, SentimentUnavailableError, InvalidCursorError, InvalidOptionError, InvalidParamsError, isClientError, MarketMirrorError, RedisFeedError, SpillError, UnknownFeedError, UnknownIntervalError, UnknownSymbolError } from './errors.js';

export { createFeed, FEED_KINDS, MergedFeed, NoneFeed, RedisStreamFeed, ReplayFeed, SimulatedFeed, TickCsvError } from './feeds/index.js';
export type { FeedKind, FeedOptions, RedisStreamFeedOptions, ReplayFeedOptions, SimulatedFeedOptions } from './feeds/index.js';

export { conflate } from './operators/conflate.js';
export type { ConflateOptions } from './operators/conflate.js';
export { eventTimeBars } from './operators/event-time-bars.js';
export type { EventTimeBarsOptions } from './operators/event-time-bars.js';
export { barInterval } from './operators/bar-interval.js';
export type { BarInterval } from './operators/bar-interval.js';

export { MarketState } from './market/market-state.js';
export type { MarketStateView } from './market/market-state.js';
export { MarketPipeline } from './market/market-pipeline.js';
export { MarketMirror } from './market/market-mirror.js';
export type { MarketMirrorOptions } from './market/market-mirror.js';
export { MAX_TRADES_PER_PUBLICATION } from './market/tick-publication.js';
export type { TickColumnsJson, TickPublication } from './market/tick-publication.js';
export type { MarketBarsOptions, MarketPipelineOptions } from './market/market-pipeline.js';
export { DEFAULT_TICK_LIMITS, SYMBOL_PATTERN, TICK_REJECT_REASONS, tickLimits, tickRefusal } from './market/tick-validation.js';
export type { TickLimits, TickRefusal, TickRejectReason } from './market/tick-validation.js';
export { barChannel, marketChannel, tickChannel } from './market/channels.js';
export { BarStore } from './market/bar-store.js';
export { BAR_ROW_BYTES, MARKET_MEMORY_BUDGET_BYTES, maxSymbolsWithin, SYMBOL_STATE_BYTES, symbolBytes } from './market/symbol-memory.js';
export type { BarStoreView } from './market/bar-store.js';
export { BAR_FIELDS, DEFAULT_BARS_LIMIT, MAX_BARS_LIMIT, queryBars, readBarsQuery } from './market/bars-query.js';
export type { BarsPage, BarsQuery, BarsSource } from './market/bars-query.js';
export { queryArchivedBars } from './market/archived-bars-query.js';
export type { BarArchive } from './market/bar-archive.js';
export { countsForPrice, NON_PRICE_CONDITIONS } from './market/price-conditions.js';
export { MARKET_BARS_METHOD, MARKET_SNAPSHOT_METHOD, marketBars, marketRpcMethods, marketSnapshot } from './market/rpc.js';
export type { MarketSnapshotResult, RpcMethod } from './market/rpc.js';

export { MetricsPipeline, METRICS_CHANNEL } from './metrics/metrics-pipeline.js';
export type { MetricsPipelineOptions } from './metrics/metrics-pipeline.js';
export type { MetricsReading, MetricsSource } from './metrics/ports.js';
export type { LatencySummary, MetricsSnapshot, NamespaceUsage, PipelineCounters } from './metrics/snapshot.js';

export { TickIngest } from './ingest/tick-ingest.js';
export type { IngestChunking, IngestError, IngestReport, SymbolRoom, TickIngestOptions } from './ingest/tick-ingest.js';
export { BatchWriter, LATE_SEQ_BASE, SEQ_WINDOW, SpillBudget, SpillDir, SpillFile, SPILL_REFUSALS, TickSequencer, isTickRow } from './persistence/index.js';
export type { BatchWriterOptions, BatchWriterStats, RowSink, SpillDirOptions, SpillFileOptions, SpillOptions, SpillRefusal, SpillStats, TickRow } from './persistence/index.js';

export { checkNews, DEFAULT_NEWS_LIMITS, EMA_LABEL_THRESHOLD, entryItem, HeadlineGenerator, labelOfSentiment, MemorySentimentAggregates, NEWS_REJECT_REASONS, NEWS_SOURCES, newsLimits, readAnalyzeTexts, RedisNews, RedisSentimentAggregates, RollingSentiment, scoredFigures, SENTIMENT_ANALYZE_METHOD, SENTIMENT_CLASSES, sentimentChannel, SentimentPipeline, SimulatedNews } from './sentiment/index.js';
export type {
  AggregateInput, AnalyzeLimits, ClassScores, NewsArchive, NewsFeed, NewsIntake, NewsItem, NewsLimits, NewsRefusal, NewsRejectReason, NewsSource, NewsSubmission, NewsSubmitError, NewsSubmitReport,
  RedisNewsOptions, RedisSentimentAggregatesOptions, RollingSentimentOptions, ScoredText, SentimentAggregateMessage, SentimentAggregates, SentimentAggregateStats, SentimentArchiveRow, SentimentClass, SentimentHourBucket, SentimentMessage, SentimentPipelineOptions,
  SentimentScoreMessage, SentimentSummary, SimulatedNewsOptions, SourceCounts, SubmitPolicy, TextScorer,
} from './sentiment/index.js';
