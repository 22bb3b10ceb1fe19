import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisConnector } from '../../src/redis/index.js';
import { NamespaceRegistry, RedisBroker, type FanoutSink, type RedisConnections } from '../../src/broker/index.js';
import type { NamespaceOptions } from '../../src/config/index.js';
import { REDIS_URL } from './redis.js';

/**
 * The broker's connections to one Redis server, through the engine's connector and with the
 * engine's options; `name` goes into each connection's name (`supernova-NAME-ROLE`).
 */
export function singleServer(url = REDIS_URL, name = 'test'): RedisConnections {
  const connector = createRedisConnector({ url });
  const options = { enableOfflineQueue: false, autoResendUnfulfilledCommands: false, protocol: 2, retryStrategy: (n: number) => Math.min(50 * n, 500) } as const;
  return {
    shardedPubSub: false,
    command: (role) => connector.command(`${name}-${role}`, options),
    subscriber: (role) => connector.subscriber(`${name}-${role}`, options),
    describe: () => connector.describe(),
  };
}

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

export function redisBroker(o: { prefix: string; namespaces: NamespaceOptions[]; fanout: FanoutSink; connections?: RedisConnections; presenceTtlMs?: number; onInsufficientState?: (channel: string) => void }): RedisBroker {
  return new RedisBroker({
    namespaces: new NamespaceRegistry(o.namespaces),
    fanout: o.fanout,
    connections: o.connections ?? singleServer(),
    prefix: o.prefix,
    presenceTtlMs: o.presenceTtlMs ?? 60_000,
    metaTtlMs: 24 * 3_600_000,
    node: { uid: randomUUID(), info: () => ({ uid: '', name: 'test', version: '0', num_clients: 0, num_users: 0, num_channels: 0, num_subs: 0, uptime: 0 }), announceMs: 1_000, onCommand: () => {} },
    ...(o.onInsufficientState ? { onInsufficientState: o.onInsufficientState } : {}),
  });
}
