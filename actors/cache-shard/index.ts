export { Cache, type CacheOptions } from './cache.js';
export { cacheFromConfig, type CacheConfig, type CacheDeps } from './from-config.js';
export { registerCacheMetrics } from './cache-metrics.js';
export { fnv1a32, shardOf } from './hash.js';
export type { Loader, Source } from './messages.js';
export type { CacheReport, CacheStats, WarmupState } from './stats.js';
export { readThrough, type ReadThrough } from './read-through.js';
