import { countNews, newsPage, replaceSentiment, type Database } from '../../../src/storage/index.js';
import type { RecomputeStore } from './recompute-task.js';

/**
 * `sentiment.recompute`'s store on PostgreSQL: the named queries `news.count`, `news.page` and
 * `sentiment.replace`, and `invalidate`, what drops the sentiment route's cached hours of a symbol
 * (the engine passes the cache's, as it knows the route's keys).
 */
export function databaseRecomputeStore(db: Database, invalidate: (symbol: string) => Promise<unknown>): RecomputeStore {
  return {
    count: (range) => countNews(db, range),
    page: (q) => newsPage(db, q),
    replace: (rows) => replaceSentiment(db, rows),
    invalidate,
  };
}
