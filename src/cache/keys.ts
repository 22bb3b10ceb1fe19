import { CacheError } from './errors.js';

/** Longest key, in UTF-16 units: a Redis key, a PostgreSQL primary key and an L1 map key alike stay small. */
export const MAX_KEY_LENGTH = 512;

/**
 * Keys starting with `~` belong to the cache itself (the hot-key list of the warm-up): a caller's
 * key can never overwrite them.
 */
export const RESERVED_KEY_PREFIX = '~';

/** C0 controls and DEL: invisible in logs and in `redis-cli`, and NUL is refused by PostgreSQL text. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Throws KEY_INVALID unless `key` can be stored in every tier. */
export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new CacheError('KEY_INVALID', `a cache key is a string, got ${typeof key}`);
  if (key.length === 0) throw new CacheError('KEY_INVALID', 'a cache key is not empty');
  if (key.length > MAX_KEY_LENGTH) throw new CacheError('KEY_INVALID', `a cache key has at most ${MAX_KEY_LENGTH} characters, got ${key.length}`);
  if (key.startsWith(RESERVED_KEY_PREFIX)) throw new CacheError('KEY_INVALID', `cache keys starting with ${RESERVED_KEY_PREFIX} are the cache's own`);
  if (CONTROL.test(key)) throw new CacheError('KEY_INVALID', 'a cache key has no control characters');
}

/** Throws KEY_INVALID unless `prefix` can start keys (it may be empty: everything). */
export function checkPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string') throw new CacheError('KEY_INVALID', `a key prefix is a string, got ${typeof prefix}`);
  if (prefix.length > MAX_KEY_LENGTH) throw new CacheError('KEY_INVALID', `a key prefix has at most ${MAX_KEY_LENGTH} characters, got ${prefix.length}`);
  if (CONTROL.test(prefix)) throw new CacheError('KEY_INVALID', 'a key prefix has no control characters');
}
