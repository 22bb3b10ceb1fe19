import type { Feed } from '../ports.js';
import { InvalidOptionError, UnknownFeedError } from '../errors.js';
import { NoneFeed } from './none.js';
import { SimulatedFeed } from './simulated.js';
import type { SimulatedFeedOptions } from './simulated.js';
import { ReplayFeed } from './replay.js';
import type { ReplayFeedOptions } from './replay.js';

export { NoneFeed } from './none.js';
export { SimulatedFeed } from './simulated.js';
export type { SimulatedFeedOptions } from './simulated.js';
export { ReplayFeed } from './replay.js';
export type { ReplayFeedOptions } from './replay.js';
export { TickCsvError } from './tick-csv.js';
export { DEFAULT_SYMBOLS } from './symbol-profile.js';

export const FEED_KINDS = ['simulated', 'replay', 'none'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

/** What createFeed needs: the simulated feed's options, plus the replay feed's when that is the kind. */
export interface FeedOptions extends SimulatedFeedOptions {
  replay?: ReplayFeedOptions;
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
    case 'none':
      return new NoneFeed();
    default:
      throw new UnknownFeedError(String(kind satisfies never), FEED_KINDS);
  }
}
