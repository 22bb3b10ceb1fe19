import type { Bar, BarArchive, BarStoreView } from '../../../streams/index.js';

/** Closed bars of a series with a start within [from, to], oldest first, at most `max` (the newest of them). */
export type BarReader = (symbol: string, interval: string, range: { from?: number | undefined; to?: number | undefined }, max: number) => Promise<Bar[]>;

/**
 * The bars the engine keeps: the in-memory ring and, before its oldest bar, the archive
 * (PostgreSQL, through the cache) when storage is on. The archive is asked for the `max` newest
 * bars before the ring, so a range that ends far in the past reads only what that window holds.
 */
export function barReader(store: BarStoreView, archive?: BarArchive): BarReader {
  return async (symbol, interval, range, max) => {
    const inRange = (b: Bar) => (range.from === undefined || b.start >= range.from) && (range.to === undefined || b.start <= range.to);
    const size = store.size(symbol, interval);
    const all = store.slice(symbol, interval, 0, size);
    const ring = all.filter(inRange).slice(-max);
    const ringOldest = all[0]?.start;
    const needsOlder = range.from === undefined || ringOldest === undefined || ringOldest > range.from;
    if (!archive || !needsOlder || ring.length >= max) return ring;
    const archived = (await archive.before(symbol, interval, ringOldest, max - ring.length)).filter(inRange);
    return [...archived, ...ring];
  };
}
