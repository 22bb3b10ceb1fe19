import { CacheError } from '../../src/cache/index.js';
import type { Cache } from './cache.js';
import type { Loader } from './messages.js';

/** The cache as a read path needs it: a value, from the cache or from its source. */
export interface ReadThrough {
  get<T>(key: string, load: Loader<T>): Promise<T>;
}

/**
 * A read path that must answer even when the cache cannot (overloaded, timed out, stopping):
 * then the value is loaded from its source directly, as it would be without a cache. A loader's
 * own failure reaches the caller as the loader threw it, not wrapped, so the read path maps it
 * as it maps its source's errors.
 */
export function readThrough(cache: Cache): ReadThrough {
  return {
    async get<T>(key: string, load: Loader<T>): Promise<T> {
      try {
        return await cache.get(key, load);
      } catch (err) {
        if (!(err instanceof CacheError)) throw err;
        if (err.code === 'LOAD_FAILED') throw err.cause;
        return load();
      }
    },
  };
}
