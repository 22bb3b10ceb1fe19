import type { Registry } from 'prom-client';
import type { SupernovaConfig } from '../../src/config/index.js';
import type { RedisConnector } from '../../src/redis/index.js';
import type { Database } from '../../src/storage/index.js';
import type { Supervisor } from '../runtime/index.js';
import { Cache, type CacheOptions } from './cache.js';

export type CacheConfig = Pick<SupernovaConfig,
  | 'cacheShards' | 'cacheL1MaxItems' | 'cacheL1MaxBytes' | 'cacheL1TtlMs' | 'cacheL2TtlMs' | 'cacheL3TtlMs' | 'cacheL3MaxRows' | 'cacheL3MaxBytes'
  | 'cacheMaxEntryBytes' | 'cacheMaxPending' | 'cacheTimeoutMs' | 'cacheTierTimeoutMs' | 'cacheMaintenanceMs' | 'cacheWarmKeys' | 'redisPrefix'>;

export interface CacheDeps {
  runtime: { supervisor(name: string): Supervisor };
  /** L2 when given (SUPERNOVA_REDIS_URL). */
  redis?: RedisConnector | undefined;
  /** L3 when given (SUPERNOVA_DATABASE_URL). */
  database?: Database | undefined;
  registry?: Registry;
  node?: string;
  log?: CacheOptions['log'];
}

/** The cache the configuration describes: L1 always, L2 with Redis, L3 with PostgreSQL. */
export function cacheFromConfig(c: CacheConfig, deps: CacheDeps): Cache {
  return new Cache({
    runtime: deps.runtime,
    shards: c.cacheShards,
    l1: { maxItems: c.cacheL1MaxItems, maxBytes: c.cacheL1MaxBytes, ttlMs: c.cacheL1TtlMs },
    maxEntryBytes: c.cacheMaxEntryBytes,
    maxPending: c.cacheMaxPending,
    timeoutMs: c.cacheTimeoutMs,
    tierTimeoutMs: c.cacheTierTimeoutMs,
    maintenanceMs: c.cacheMaintenanceMs,
    warmKeys: c.cacheWarmKeys,
    ...(deps.redis ? { redis: { connector: deps.redis, prefix: c.redisPrefix, ttlMs: c.cacheL2TtlMs } } : {}),
    ...(deps.database ? { database: { database: deps.database, ttlMs: c.cacheL3TtlMs, maxRows: c.cacheL3MaxRows, maxBytes: c.cacheL3MaxBytes } } : {}),
    ...(deps.registry ? { registry: deps.registry } : {}),
    ...(deps.node ? { node: deps.node } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  });
}
