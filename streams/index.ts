// The public API of streams/: the engine imports from here and nowhere deeper.
export type { ChannelPublisher, Feed, MarketSnapshot, StreamLogger, Tick } from './ports.js';
export { IngestBusyError, IngestUnavailableError, InvalidOptionError, RedisFeedError, InvalidParamsError, UnknownFeedError, UnknownSymbolError } from './errors.js';

export { createFeed, DEFAULT_SYMBOLS, FEED_KINDS, MergedFeed, NoneFeed, RedisStreamFeed, SimulatedFeed } from './feeds/index.js';
export type { FeedKind, FeedOptions, RedisStreamFeedOptions, SimulatedFeedOptions } from './feeds/index.js';

export { conflate } from './operators/conflate.js';

export { MarketState } from './market/market-state.js';
export type { MarketStateView } from './market/market-state.js';
export { MarketPipeline } from './market/market-pipeline.js';
export type { MarketPipelineOptions, TickPublication } from './market/market-pipeline.js';
export { DEFAULT_TICK_LIMITS, SYMBOL_PATTERN, TICK_REJECT_REASONS, tickLimits, validateTick } from './market/tick-validation.js';
export type { TickCheck, TickLimits, TickRejectReason } from './market/tick-validation.js';
export { marketChannel, tickChannel } from './market/channels.js';
export { MARKET_SNAPSHOT_METHOD, marketRpcMethods, marketSnapshot } from './market/rpc.js';
export type { MarketSnapshotResult, RpcMethod } from './market/rpc.js';

export { TickIngest } from './ingest/tick-ingest.js';
export type { IngestError, IngestReport, TickIngestOptions } from './ingest/tick-ingest.js';
