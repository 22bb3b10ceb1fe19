// The public API of streams/: the engine imports from here and nowhere deeper.
export type { ChannelPublisher, Feed, MarketSnapshot, StreamLogger, Tick } from './ports.js';
export { InvalidOptionError, InvalidParamsError, UnknownFeedError, UnknownSymbolError } from './errors.js';

export { createFeed, DEFAULT_SYMBOLS, FEED_KINDS, NoneFeed, SimulatedFeed } from './feeds/index.js';
export type { FeedKind, SimulatedFeedOptions } from './feeds/index.js';

export { conflate } from './operators/conflate.js';

export { MarketState } from './market/market-state.js';
export type { MarketStateView } from './market/market-state.js';
export { MarketPipeline } from './market/market-pipeline.js';
export type { MarketPipelineOptions, TickPublication } from './market/market-pipeline.js';
export { marketChannel, tickChannel } from './market/channels.js';
export { MARKET_SNAPSHOT_METHOD, marketRpcMethods, marketSnapshot } from './market/rpc.js';
export type { MarketSnapshotResult, RpcMethod } from './market/rpc.js';

export { MetricsPipeline, METRICS_CHANNEL } from './metrics/metrics-pipeline.js';
export type { MetricsPipelineOptions } from './metrics/metrics-pipeline.js';
export type { MetricsReading, MetricsSource } from './metrics/ports.js';
export type { LatencySummary, MetricsSnapshot, NamespaceUsage, PipelineCounters } from './metrics/snapshot.js';
