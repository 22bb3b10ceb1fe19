import type { Feed } from '../ports.js';
import { InvalidOptionError, UnknownFeedError } from '../errors.js';
import { NoneFeed } from './none.js';
import { SimulatedFeed } from './simulated.js';
import type { SimulatedFeedOptions } from './simulated.js';

export { MergedFeed } from './merged.js';
export { NoneFeed } from './none.js';
export { SimulatedFeed } from './simulated.js';
export type { SimulatedFeedOptions } from './simulated.js';
export { DEFAULT_SYMBOLS } from './symbol-profile.js';

export const FEED_KINDS = ['simulated', 'none'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

/**
 * Builds the configured feed. `kind` usually comes from configuration, so an unknown value is
 * reported with the valid kinds rather than silently falling back.
 */
export function createFeed(kind: 'none', options?: SimulatedFeedOptions): Feed;
export function createFeed(kind: FeedKind, options: SimulatedFeedOptions): Feed;
export function createFeed(kind: FeedKind, options?: SimulatedFeedOptions): Feed {
  switch (kind) {
    case 'simulated':
      if (!options) throw new InvalidOptionError('options', 'the simulated feed needs { symbols }');
      return new SimulatedFeed(options);
    case 'none':
      return new NoneFeed();
    default:
      throw new UnknownFeedError(String(kind satisfies never), FEED_KINDS);
  }
}
