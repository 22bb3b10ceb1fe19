import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../support/engine.js';

/** Without Redis and a database the cache is L1 alone, and everything works the same. */
describe('the cache of an engine without Redis or a database', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startEngine({ cacheShards: 3 });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('serves get, peek, set and invalidate from L1, and reports them on /performance/metrics/cache and /metrics', async () => {
    const cache = t.engine.cache;
    let loads = 0;
    const values = await Promise.all(Array.from({ length: 20 }, () => cache.get('bars:AAPL', async () => { loads++; return [{ close: 1 }]; })));
    expect(loads).toBe(1);
    expect(values.every((v) => v[0]?.close === 1)).toBe(true);
    expect(cache.peek('bars:AAPL')).toEqual([{ close: 1 }]);
    await cache.set('bars:AAPL', [{ close: 2 }]);
    expect(cache.peek('bars:AAPL')).toEqual([{ close: 2 }]);
    await cache.invalidate('bars:AAPL');
    expect(cache.peek('bars:AAPL')).toBeUndefined();

    const res = await fetch(`${t.http}/performance/metrics/cache`);
    expect(res.status).toBe(200);
    const report = (await res.json()) as Record<string, unknown>;
    expect(report).toMatchObject({ configured: { l1: true, l2: false, l3: false }, shards: 3, combined: { misses: 20 }, loads: { calls: 1, joined: 19 } });
    expect(report.tiers).not.toHaveProperty('l2');
    const health = (await (await fetch(`${t.http}/performance/health`)).json()) as { components: Record<string, unknown> };
    expect(health.components).not.toHaveProperty('cache');
    const text = await (await fetch(`${t.http}/metrics`)).text();
    expect(text).toMatch(/^supernova_cache_single_flight_joined_total 19$/m);
    expect(text).toMatch(/^supernova_cache_tier_up\{tier="l1"\} 1$/m);
  });
});
