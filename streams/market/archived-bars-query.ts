import type { Bar } from '../ports.js';
import { UnknownSymbolError } from '../errors.js';
import type { BarArchive } from './bar-archive.js';
import { barsPage, readBarsQuery, type BarsPage, type BarsSource } from './bars-query.js';
import { SYMBOL_PATTERN } from './tick-validation.js';

/**
 * The bars query over the in-memory ring and, past its oldest bar, the archive: the same
 * parameters and answer as `queryBars`, so a client pages back through everything stored without
 * knowing where the ring ends. The ring answers alone whenever it holds the whole page.
 */
export async function queryArchivedBars(source: BarsSource, archive: BarArchive, params: unknown, method = 'market.bars'): Promise<BarsPage> {
  const { store } = source;
  const q = readBarsQuery(store, params, method);
  // A name no tick could carry is not worth a question to the database.
  if (!source.hasSymbol(q.symbol) && !(SYMBOL_PATTERN.test(q.symbol) && (await archive.hasSymbol(q.symbol)))) throw new UnknownSymbolError(q.symbol, source.symbols());
  const ringSize = store.size(q.symbol, q.interval);
  const ringOldest = ringSize > 0 ? store.slice(q.symbol, q.interval, 0, 1)[0]?.start : undefined;

  if (q.page !== undefined) {
    // Positions count from the newest bar over ring and archive together: [from, to) from the oldest.
    const older = await archive.countBefore(q.symbol, q.interval, ringOldest);
    const total = older + ringSize;
    const to = Math.max(0, total - (q.page - 1) * q.limit);
    const from = Math.max(0, to - q.limit);
    const fromRing = store.slice(q.symbol, q.interval, Math.max(0, from - older), to - older);
    const archived = from < older ? await archive.before(q.symbol, q.interval, ringOldest, Math.min(to, older) - from, older - Math.min(to, older)) : [];
    return barsPage(q, [...archived, ...fromRing], from > 0, total);
  }

  const to = q.before === undefined ? ringSize : store.countBefore(q.symbol, q.interval, q.before);
  const from = Math.max(0, to - q.limit);
  const bars: Bar[] = store.slice(q.symbol, q.interval, from, to);
  // A full page from memory hands out a cursor without asking whether the archive holds more:
  // the ring alone answers the common query, and at worst the next page is empty.
  if (bars.length === q.limit) return barsPage(q, bars, true);
  // The ring ran out: the rest is older than its oldest bar, or than the cursor when the ring holds nothing before it.
  const boundary = to > 0 ? ringOldest : q.before ?? ringOldest;
  const wanted = q.limit - bars.length;
  // One more than needed says whether a further page exists.
  const archived = await archive.before(q.symbol, q.interval, boundary, wanted + 1);
  const more = archived.length > wanted;
  return barsPage(q, [...(more ? archived.slice(1) : archived), ...bars], more);
}
