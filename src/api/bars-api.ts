import type { BarArchive, BarsSource } from '../../streams/index.js';
import { isClientError, queryArchivedBars, queryBars, readBarsQuery } from '../../streams/index.js';
import { HttpError, type HttpResult, type Router } from '../http/index.js';
import { StorageError, type ArchiveCache } from '../storage/index.js';

const QUERY_PARAMS = ['interval', 'limit', 'cursor', 'page', 'fields'] as const;

/** Past the ring: the archive, and where whole answers of pages that lie in it alone are kept. */
export interface BarsArchiveRoute {
  archive: BarArchive;
  /**
   * A page behind a cursor that the ring holds nothing of is the same answer for as long as the
   * stored bars stay (they never change once every closed bar has reached the database), so its
   * JSON is kept whole: a repeated page costs a cache read, not a query and a serialisation.
   */
  responses?: { cache: ArchiveCache; settled(): boolean };
}

/**
 * `GET /api/v1/market/:symbol/bars?interval=&limit=&page=&cursor=&fields=`: closed bars from
 * the market pipeline's in-memory store, read directly (the store lives on this thread and a
 * read is a few array lookups, so no actor mailbox or timeout sits in between), and past its
 * oldest bar from the archive when there is one. Unknown query parameters are ignored; bad ones
 * are 400, an unknown symbol is 404.
 */
export function registerBarsApi(router: Router, source: BarsSource, past?: BarsArchiveRoute): void {
  router.get('/api/v1/market/:symbol/bars', async (ctx) => {
    const params: Record<string, string> = { symbol: ctx.params.symbol ?? '' };
    for (const name of QUERY_PARAMS) {
      const value = ctx.query.get(name);
      if (value !== null) params[name] = value;
    }
    const method = `GET ${ctx.path}`;
    try {
      if (!past) return { body: queryBars(source, params, method) };
      const { archive, responses } = past;
      const key = responses?.settled() ? archivedPageKey(source, params, method) : undefined;
      if (!responses || key === undefined) return { body: await queryArchivedBars(source, archive, params, method) };
      // Kept as bytes: a string would be encoded to UTF-8 again on every answer.
      const json = await responses.cache.get(key, async () => Buffer.from(JSON.stringify(await queryArchivedBars(source, archive, params, method))));
      return { body: json, headers: { 'content-type': 'application/json' } } satisfies HttpResult;
    } catch (err) {
      if (isClientError(err)) throw new HttpError(err.code === 'UNKNOWN_SYMBOL' ? 404 : 400, err.code, err.message, { cause: err });
      if (err instanceof StorageError) throw new HttpError(503, 'DATABASE_UNAVAILABLE', 'bars older than memory holds are in the database, which does not answer now; retry later', { cause: err });
      throw err;
    }
  });
}

/** The cache key of a cursor page that lies wholly in the archive (the ring holds nothing before its cursor); undefined for any other query. */
function archivedPageKey(source: BarsSource, params: Record<string, string>, method: string): string | undefined {
  const q = readBarsQuery(source.store, params, method);
  if (q.before === undefined || q.page !== undefined || source.store.countBefore(q.symbol, q.interval, q.before) > 0) return undefined;
  return `bars-json:${q.symbol}:${q.interval}:<${q.before}:${q.limit}:${q.fields?.join(',') ?? ''}`;
}
