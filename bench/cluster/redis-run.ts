import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis a run uses: its own key prefix, and the server's pid for its CPU figures. */
export interface RedisRun {
  url: string;
  prefix: string;
  /** The redis-server process when it runs on this machine (loopback), else undefined. */
  pid: number | undefined;
  version: string;
}

function connect(url: string): Redis {
  return new Redis(url, { connectionName: 'supernova-bench-cluster', lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
}

/** Reaches Redis once (a clear error if it cannot) and picks a prefix no other run uses. */
export async function openRedisRun(url: string): Promise<RedisRun> {
  const redis = connect(url);
  try {
    await redis.connect();
    const info = await redis.info('server');
    const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
    const local = ['127.0.0.1', 'localhost', '::1'].includes(new URL(url).hostname);
    const pid = Number(field('process_id'));
    return { url, prefix: `snbench:cluster:${randomUUID().slice(0, 8)}`, pid: local && pid > 0 ? pid : undefined, version: field('redis_version') ?? '?' };
  } catch (err) {
    throw new Error(`bench:cluster needs Redis at ${url} (--redis or SUPERNOVA_REDIS_URL): ${(err as Error).message}`, { cause: err });
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under the run's prefix; returns how many there were. */
export async function deletePrefix(run: RedisRun): Promise<number> {
  const redis = connect(run.url);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${run.prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
