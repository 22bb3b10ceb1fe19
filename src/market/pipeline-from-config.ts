import type { Logger } from 'pino';
import type { SupernovaConfig } from '../config/index.js';
import { ConfigError } from '../config/index.js';
import { barInterval, createFeed, InvalidOptionError, MarketPipeline, type BarInterval, type ChannelPublisher, type Feed } from '../../streams/index.js';

// A replay as fast as possible waits while this many publications are unsettled, so a slow
// broker (Redis) sees a bounded number of pending promises rather than the whole file.
const MAX_PENDING_PUBLISHES = 10_000;

// Options of the feeds and bars that come straight from one variable, to name it in errors.
const OPTION_ENV: Readonly<Record<string, string>> = {
  file: 'SUPERNOVA_REPLAY_FILE',
  symbol: 'SUPERNOVA_REPLAY_SYMBOL',
  date: 'SUPERNOVA_REPLAY_DATE',
  speed: 'SUPERNOVA_REPLAY_SPEED',
  interval: 'SUPERNOVA_BAR_INTERVALS',
};

/**
 * The market pipeline the configuration asks for: its feed (simulated, replay or none) and its
 * bars. A feed or bar option the streams reject stops start-up with a ConfigError that names
 * the variable, as a bad value in the schema would.
 */
export function marketPipelineFrom(config: SupernovaConfig, publisher: ChannelPublisher, logger: Logger): MarketPipeline {
  const intervals = configured(() => config.barIntervals.map((name): BarInterval => barInterval(name)));
  // The feed's backpressure reads the pipeline that consumes it, which is built after the feed.
  const built: { pipeline?: MarketPipeline } = {};
  const feed: Feed = configured(() =>
    createFeed(config.feed, {
      symbols: config.symbols,
      tradesPerSecond: config.simTradesPerSecond,
      replay: {
        file: config.replayFile,
        symbol: config.replaySymbol,
        date: config.replayDate,
        speed: config.replaySpeed,
        loop: config.replayLoop,
        isBusy: () => (built.pipeline?.pendingPublishes ?? 0) > MAX_PENDING_PUBLISHES,
      },
    }),
  );
  built.pipeline = new MarketPipeline({
    feed,
    publisher,
    conflateMs: config.conflateMs,
    logger,
    bars: { intervals, latenessMs: config.barLatenessMs, historySize: config.barHistory },
  });
  return built.pipeline;
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
