import type { Bar } from '../ports.js';

/**
 * Closed bars kept beyond the in-memory ring (PostgreSQL, through the cache). The bars API asks
 * it only for bars older than the ring's oldest, so the two never overlap.
 */
export interface BarArchive {
  /**
   * Up to `limit` stored bars of a series that start before `before` (any, when undefined),
   * skipping the `skip` newest of them; ascending by start.
   */
  before(symbol: string, interval: string, before: number | undefined, limit: number, skip?: number): Promise<Bar[]>;
  /** How many stored bars of a series start before `before` (all, when undefined). */
  countBefore(symbol: string, interval: string, before: number | undefined): Promise<number>;
  /** Whether any bar of the symbol is stored: after a restart the archive knows symbols the memory has not seen yet. */
  hasSymbol(symbol: string): Promise<boolean>;
}
