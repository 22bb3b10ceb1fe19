import type { TierName } from './tier.js';

/** Stable codes of cache failures: callers branch on these, never on message text. */
export type CacheErrorCode =
  /** A key that can never be stored: empty, too long, with control characters, or in the reserved `~` space. */
  | 'KEY_INVALID'
  /** A value whose encoding is over SUPERNOVA_CACHE_MAX_ENTRY_BYTES. */
  | 'VALUE_TOO_LARGE'
  /** msgpack cannot carry the value (a function, a symbol, a cycle...). */
  | 'ENCODE_FAILED'
  /** What a tier holds under a key does not decode (another program's bytes, or corruption). */
  | 'DECODE_FAILED'
  /** The tier's backend is not reachable now (Redis not connected, PostgreSQL failing): the operation was not sent. */
  | 'TIER_UNAVAILABLE'
  /** The backend was asked and answered with an error, or did not answer within SUPERNOVA_CACHE_TIER_TIMEOUT_MS. */
  | 'TIER_FAILED'
  /** The caller's loader threw or rejected; its error is the cause. */
  | 'LOAD_FAILED'
  /** No answer from the key's shard within SUPERNOVA_CACHE_TIMEOUT_MS. */
  | 'TIMEOUT'
  /** The key's shard holds SUPERNOVA_CACHE_MAX_PENDING requests already. */
  | 'OVERLOADED'
  /** The cache is not started, or stopped. */
  | 'NOT_RUNNING';

/** A cache failure; a foreign error (ioredis, postgres.js, msgpackr, a loader) is its `cause`. */
export class CacheError extends Error {
  constructor(readonly code: CacheErrorCode, message: string, options?: { cause?: unknown; tier?: TierName }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CacheError';
    if (options?.tier) this.tier = options.tier;
  }

  /** The tier the failure is about, when it is about one. */
  readonly tier?: TierName;
}

/** The message of any thrown thing, for wrapping it. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
