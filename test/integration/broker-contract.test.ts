import { afterAll } from 'vitest';
import { MemoryBroker, NamespaceRegistry } from '../../src/broker/index.js';
import { brokerContract } from '../contract/broker-contract.js';
import { redisReachable } from '../support/redis.js';
import { cleanPrefix, redisBroker, testPrefix } from '../support/redis-broker.js';
import { redisServerInstalled } from '../support/redis-server.js';
import { startRedisCluster, type RedisClusterHarness } from '../support/redis-cluster.js';
import { startRedisSentinel, type RedisSentinelHarness } from '../support/redis-sentinel.js';
import { createRedisConnector } from '../../src/redis/index.js';

brokerContract('memory', async ({ namespaces, fanout }) => new MemoryBroker({ namespaces: new NamespaceRegistry(namespaces), fanout, limits: { maxBytes: 64 * 1024 * 1024 } }));

if (await redisReachable()) {
  const prefixes: string[] = [];
  afterAll(async () => {
    await Promise.all(prefixes.map((p) => cleanPrefix(p)));
  });
  brokerContract('redis (single server)', async ({ namespaces, fanout }) => {
    const prefix = testPrefix('contract');
    prefixes.push(prefix);
    return redisBroker({ prefix, namespaces, fanout });
  });
}

if (redisServerInstalled()) {
  // A master and a replica watched by a Sentinel: the broker finds the master through it.
  let sentinel: RedisSentinelHarness | undefined;
  afterAll(async () => {
    await sentinel?.stop();
  });
  brokerContract('redis (through Sentinel)', async ({ namespaces, fanout }) => {
    sentinel ??= await startRedisSentinel();
    const connector = createRedisConnector({ url: sentinel.url, topology: 'sentinel', sentinelMaster: sentinel.name });
    return redisBroker({ prefix: testPrefix('contract'), namespaces, fanout, connector });
  });

  // Three masters of a private Redis Cluster: channels spread over them, over sharded PUB/SUB.
  let cluster: RedisClusterHarness | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });
  brokerContract('redis (cluster of three)', async ({ namespaces, fanout }) => {
    cluster ??= await startRedisCluster(3);
    const connector = createRedisConnector({ url: cluster.url, topology: 'cluster' });
    return redisBroker({ prefix: testPrefix('contract'), namespaces, fanout, connector });
  });
}
