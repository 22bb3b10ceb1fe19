import { MemoryTier, MsgpackValueCodec, PostgresTier, RedisTier } from '../../src/cache/index.js';
import { createRedisConnector } from '../../src/redis/index.js';
import { Database } from '../../src/storage/index.js';
import { cacheTierContract } from '../contract/cache-tier-contract.js';
import { postgresReachable, testDatabase } from '../support/postgres.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, testPrefix } from '../support/redis-broker.js';

const codec = new MsgpackValueCodec();

cacheTierContract('L1 (memory)', async ({ maxEntryBytes }) => ({
  tier: new MemoryTier({ maxItems: 1_000, maxBytes: 1 << 20, ttlMs: 60_000, maxEntryBytes, sizeOf: (v) => codec.encode(v).length }),
  close: async () => {},
}));

if (await redisReachable()) {
  cacheTierContract('L2 (Redis)', async ({ maxEntryBytes }) => {
    const prefix = testPrefix('cache-tier');
    const tier = new RedisTier({ connector: createRedisConnector({ url: REDIS_URL }), prefix, ttlMs: 60_000, maxEntryBytes, timeoutMs: 1_000, codec });
    await tier.start();
    return { tier, close: async () => { await tier.stop(); await cleanPrefix(prefix); } };
  });
}

if (await postgresReachable()) {
  cacheTierContract('L3 (PostgreSQL)', async ({ maxEntryBytes }) => {
    const db = await testDatabase('cache_tier');
    const database = new Database({ url: db.url, poolSize: 2 });
    await database.start();
    const tier = new PostgresTier({ database, ttlMs: 60_000, maxEntryBytes, maxRows: 1_000, maxBytes: 1 << 20, timeoutMs: 2_000, codec });
    return { tier, close: async () => { await database.stop(); await db.drop(); } };
  });
}
