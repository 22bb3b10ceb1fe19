import { Redis } from 'ioredis';

export const REDIS_URL = process.env.SUPERNOVA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Whether the test Redis answers. Locally a missing Redis skips its tests (and says so); under
 * CI=true it is a failure, so a green CI always means they ran.
 */
export async function redisReachable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`Redis at ${REDIS_URL} is required under CI: ${(err as Error).message}`, { cause: err });
    console.warn(`skipping Redis tests: no Redis at ${REDIS_URL}`);
    return false;
  } finally {
    probe.disconnect();
  }
}
