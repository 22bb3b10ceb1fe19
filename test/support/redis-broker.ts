import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisConnector, type RedisConnector } from '../../src/redis/index.js';
import { NamespaceRegistry, RedisBroker, type FanoutSink } from '../../src/broker/index.js';
import type { NamespaceOptions } from '../../src/config/index.js';
import { REDIS_URL } from './redis.js';

/** A prefix no other test uses; `cleanPrefix` removes its keys. */
export function testPrefix(name: string): string {
  return `sntest:${name}:${randomUUID().slice(0, 8)}`;
}

export async function cleanPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { protocol: 2 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A Redis broker as the engine makes one (on the machine's Redis unless `connector` says otherwise), reconnecting within 50 ms. */
export function redisBroker(o: { prefix: string; namespaces: NamespaceOptions[]; fanout: FanoutSink; connector?: RedisConnector; uid?: string; presenceTtlMs?: number; onInsufficientState?: (channel: string) => void }): RedisBroker {
  const uid = o.uid ?? randomUUID();
  return new RedisBroker({
    namespaces: new NamespaceRegistry(o.namespaces),
    fanout: o.fanout,
    connector: o.connector ?? createRedisConnector({ url: REDIS_URL }),
    retryStrategy: (n) => Math.min(50 * n, 500),
    prefix: o.prefix,
    presenceTtlMs: o.presenceTtlMs ?? 60_000,
    metaTtlMs: 24 * 3_600_000,
    ...(o.onInsufficientState ? { onInsufficientState: o.onInsufficientState } : {}),
    node: { uid, info: () => ({ uid, name: 'test', version: '0', num_clients: 0, num_users: 0, num_channels: 0, num_subs: 0, uptime: 0 }), announceMs: 1_000, onCommand: () => {} },
  });
}
