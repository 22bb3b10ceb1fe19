import type { Feed } from '../ports.js';
import { InvalidOptionError, UnknownFeedError } from '../errors.js';
import { NoneFeed } from './none.js';
import { RedisStreamFeed } from './redis-stream.js';
import type { RedisStreamFeedOptions } from './redis-stream.js';
import { SimulatedFeed } from './simulated.js';
import type { SimulatedFeedOptions } from './simulated.js';
import { ReplayFeed } from './replay.js';
import type { ReplayFeedOptions } from './replay.js';

export { MergedFeed } from './merged.js';
export { NoneFeed } from './none.js';
export { RedisStreamFeed } from './redis-stream.js';
export type { RedisStreamFeedOptions } from './redis-stream.js';
export { SimulatedFeed } from './simulated.js';
export type { SimulatedFeedOptions } from './simulated.js';
export { ReplayFeed } from './replay.js';
export type { ReplayFeedOptions } from './replay.js';
export { TickCsvError } from './tick-csv.js';

/** The feeds createFeed builds: the configuration schema takes SUPERNOVA_FEED from this list. */
export const FEED_KINDS = ['simulated', 'replay', 'redis', 'none'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

/** Options of every kind; each kind reads its own part. */
export interface FeedOptions extends SimulatedFeedOptions {
  replay?: ReplayFeedOptions;
  redis?: RedisStreamFeedOptions;
}

/**
 * Builds the configured feed. `kind` usually comes from configuration, so an unknown value is
 * reported with the valid kinds rather than silently falling back.
 */
export function createFeed(kind: 'none', options?: FeedOptions): Feed;
export function createFeed(kind: FeedKind, options: FeedOptions): Feed;
export function createFeed(kind: FeedKind, options?: FeedOptions): Feed {
  switch (kind) {
    case 'simulated':
      if (!options) throw new InvalidOptionError('options', 'the simulated feed needs { symbols }');
      return new SimulatedFeed(options);
    case 'replay':
      if (!options?.replay) throw new InvalidOptionError('replay', 'the replay feed needs { replay: { file } }');
      return new ReplayFeed(options.replay);
    case 'redis':
      if (!options?.redis) throw new InvalidOptionError('redis', 'the redis feed needs { redis, stream, group }');
      return new RedisStreamFeed(options.redis);
    case 'none':
      return new NoneFeed();
    default:
      throw new UnknownFeedError(String(kind satisfies never), FEED_KINDS);
  }
}
