import { afterAll } from 'vitest';
import { MemoryBroker, NamespaceRegistry } from '../../src/broker/index.js';
import { brokerContract } from '../contract/broker-contract.js';
import { redisReachable } from '../support/redis.js';
import { cleanPrefix, redisBroker, testPrefix } from '../support/redis-broker.js';

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
