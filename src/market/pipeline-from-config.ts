import type { Logger } from 'pino';
import type { SupernovaConfig } from '../config/index.js';
import { ConfigError, configEntries } from '../config/index.js';
import type { RedisConnector } from '../redis/index.js';
import { barInterval, createFeed, InvalidOptionError, MarketPipeline, MergedFeed, TickIngest, type Bar, type BarInterval, type ChannelPublisher, type Feed, type FeedOptions, type TickBatch } from '../../streams/index.js';

// Options of the feeds and bars that come straight from one variable, to name it in errors.
const OPTION_ENV: Readonly<Record<string, string>> = {
  file: configEntries.replayFile.env,
  symbol: configEntries.replaySymbol.env,
  date: configEntries.replayDate.env,
  speed: configEntries.replaySpeed.env,
  interval: configEntries.barIntervals.env,
};

/** The market side of an engine: the configured feed, the ingest sink, and the pipeline reading both. */
export interface MarketWiring {
  pipeline: MarketPipeline;
  /** The configured feed, whose optional start()/stop() the engine calls (the Redis feed's connections). */
  feed: Feed;
  /** Where HTTP ingest (and any other non-feed source) pushes ticks into the pipeline. */
  ingest: TickIngest;
}

/**
 * The market pipeline the configuration asks for: its feed (simulated, replay, redis or none)
 * merged with the ingest sink, and its bars. A feed or bar option the streams reject stops
 * start-up with a ConfigError that names the variable, as a bad value in the schema would.
 *
 * Backpressure is one rule for every source: while SUPERNOVA_INGEST_MAX_PENDING publications are
 * unsettled, ingest refuses (503), and the replay and Redis feeds pause reading.
 */
/** What the pipeline reaches beyond its publisher: Redis (for the Redis feed), and where final bars are persisted. */
export interface MarketExtras {
  redis?: RedisConnector | undefined;
  onFinalBar?: ((bar: Bar) => void) | undefined;
  /** Each batch's accepted ticks (tick persistence, SUPERNOVA_STORE_TICKS). */
  onTicks?: ((ticks: TickBatch) => void) | undefined;
}

export function marketPipelineFrom(config: SupernovaConfig, publisher: ChannelPublisher, logger: Logger, extras: MarketExtras = {}): MarketWiring {
  const { redis, onFinalBar, onTicks } = extras;
  const intervals = configured(() => config.barIntervals.map((name): BarInterval => barInterval(name)));
  // The sources' backpressure reads the pipeline that consumes them, which is built after them.
  const built: { pipeline?: MarketPipeline } = {};
  const pending = (): number => built.pipeline?.pendingPublications ?? 0;
  const busy = (): boolean => pending() >= config.ingestMaxPending;
  const feed: Feed = configured(() => createFeed(config.feed, feedOptions(config, logger, busy, redis)));
  const symbols = { knows: (symbol: string) => built.pipeline?.knows(symbol) ?? false, room: () => built.pipeline?.room() ?? 0 };
  const ingest = new TickIngest({ maxPending: config.ingestMaxPending, pending, symbols, chunks: { maxQueuedTicks: config.ingestMaxTicks } });
  const pipeline = new MarketPipeline({
    feed: new MergedFeed([feed, ingest]),
    publisher,
    conflateMs: config.conflateMs,
    maxSymbols: config.maxSymbols,
    logger,
    bars: { intervals, latenessMs: config.barLatenessMs, historySize: config.barHistory, ...(onFinalBar ? { onFinal: onFinalBar } : {}) },
    ...(onTicks ? { onTicks } : {}),
  });
  built.pipeline = pipeline;
  return { pipeline, feed, ingest };
}

function feedOptions(config: SupernovaConfig, logger: Logger, busy: () => boolean, redis: RedisConnector | undefined): FeedOptions {
  const options: FeedOptions = {
    symbols: config.symbols,
    tradesPerSecond: config.simTradesPerSecond,
    replay: { file: config.replayFile, symbol: config.replaySymbol, date: config.replayDate, speed: config.replaySpeed, loop: config.replayLoop, isBusy: busy },
  };
  if (redis) {
    options.redis = {
      redis, stream: config.feedStream, group: config.feedGroup, consumer: config.feedConsumer,
      batchSize: config.feedBatchSize, blockMs: config.feedBlockMs, claimIdleMs: config.feedClaimIdleMs, busy, logger,
    };
  }
  return options;
}

function configured<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    const env = err instanceof InvalidOptionError ? OPTION_ENV[err.option] : undefined;
    if (env) throw new ConfigError([`${env}: ${err instanceof Error ? err.message : String(err)}`]);
    throw err;
  }
}
