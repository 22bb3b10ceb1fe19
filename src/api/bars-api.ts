import type { BarArchive, BarsSource } from '../../streams/index.js';
import { isClientError, queryArchivedBars, queryBars } from '../../streams/index.js';
import { HttpError, type Router } from '../http/index.js';
import { StorageError } from '../storage/index.js';

const QUERY_PARAMS = ['interval', 'limit', 'cursor', 'page', 'fields'] as const;

/**
 * `GET /api/v1/market/:symbol/bars?interval=&limit=&page=&cursor=&fields=`: closed bars from
 * the market pipeline's in-memory store, read directly (the store lives on this thread and a
 * read is a few array lookups, so no actor mailbox or timeout sits in between), and past its
 * oldest bar from the archive when there is one. Unknown query parameters are ignored; bad ones
 * are 400, an unknown symbol is 404.
 */
export function registerBarsApi(router: Router, source: BarsSource, archive?: BarArchive): void {
  router.get('/api/v1/market/:symbol/bars', async (ctx) => {
    const params: Record<string, string> = { symbol: ctx.params.symbol ?? '' };
    for (const name of QUERY_PARAMS) {
      const value = ctx.query.get(name);
      if (value !== null) params[name] = value;
    }
    try {
      const method = `GET ${ctx.path}`;
      return { body: archive ? await queryArchivedBars(source, archive, params, method) : queryBars(source, params, method) };
    } catch (err) {
      if (isClientError(err)) throw new HttpError(err.code === 'UNKNOWN_SYMBOL' ? 404 : 400, err.code, err.message, { cause: err });
      if (err instanceof StorageError) throw new HttpError(503, 'DATABASE_UNAVAILABLE', 'bars older than memory holds are in the database, which does not answer now; retry later', { cause: err });
      throw err;
    }
  });
}
