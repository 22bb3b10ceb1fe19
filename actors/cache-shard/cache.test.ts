import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { ActorRuntime } from '../runtime/index.js';
import { Cache, type CacheOptions } from './cache.js';
import { registerCacheMetrics } from './cache-metrics.js';

const open: { cache: Cache; rt: ActorRuntime }[] = [];

async function l1Cache(o: Partial<CacheOptions> = {}): Promise<Cache> {
  const rt = new ActorRuntime({ name: 'cache-test' });
  rt.start();
  const cache = new Cache({
    runtime: rt, shards: 4, l1: { maxItems: 1_000, maxBytes: 1 << 20, ttlMs: 60_000 }, maxEntryBytes: 64 * 1024, maxPending: 1_000,
    timeoutMs: 2_000, tierTimeoutMs: 500, maintenanceMs: 0, warmKeys: 0, ...o,
  });
  await cache.start();
  open.push({ cache, rt });
  return cache;
}

afterEach(async () => {
  for (const { cache, rt } of open.splice(0)) {
    await cache.stop();
    await rt.stop();
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A loader whose value the test hands out when it chooses; `started` resolves when the shard has called it. */
function gate<T>() {
  let release!: (v: T) => void;
  let begun!: () => void;
  const promise = new Promise<T>((res) => { release = res; });
  const started = new Promise<void>((res) => { begun = res; });
  const load = () => {
    begun();
    return promise;
  };
  return { promise, release, load, started };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await sleep(10);
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('Cache (L1 only)', () => {
  it('single flight: 100 concurrent gets of a key run its loader once and all get its value', async () => {
    const cache = await l1Cache();
    let loads = 0;
    const g = gate<{ n: number }>();
    const gets = Array.from({ length: 100 }, () => cache.get('k', () => { loads++; return g.load(); }));
    await g.started;
    await until(() => cache.stats().requests.joined === 99, 'the other 99 gets joining');
    expect(loads).toBe(1);
    g.release({ n: 7 });
    const values = await Promise.all(gets);
    expect(values.every((v) => v.n === 7)).toBe(true);
    expect(loads).toBe(1);
    expect(cache.stats().requests).toMatchObject({ loads: 1, joined: 99, fromLoad: 100 });
    // Now in L1: neither the loader nor the mailbox is involved.
    expect(cache.peek('k')).toEqual({ n: 7 });
    expect(await cache.get('k', () => { loads++; return { n: 0 }; })).toEqual({ n: 7 });
    expect(loads).toBe(1);
  });

  it('different keys load at the same time, each once', async () => {
    const cache = await l1Cache();
    const calls = new Map<string, number>();
    const gets = [];
    for (let i = 0; i < 50; i++) for (const key of ['a', 'b', 'c']) gets.push(cache.get(key, async () => { calls.set(key, (calls.get(key) ?? 0) + 1); await sleep(10); return key.toUpperCase(); }));
    expect(await Promise.all(gets)).toEqual(Array.from({ length: 50 }, () => ['A', 'B', 'C']).flat());
    expect([...calls.values()]).toEqual([1, 1, 1]);
  });

  it('a failing loader fails all its waiters with LOAD_FAILED (its error as cause) and nothing is cached', async () => {
    const cache = await l1Cache();
    const boom = new Error('database said no');
    const gets = Array.from({ length: 5 }, () => cache.get('k', async () => { await sleep(5); throw boom; }));
    for (const g of gets) await expect(g).rejects.toMatchObject({ name: 'CacheError', code: 'LOAD_FAILED', cause: boom });
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.get('k', () => 'second try')).toBe('second try');
    expect(cache.stats().requests).toMatchObject({ loads: 2, loadErrors: 1 });
  });

  it('a loader that never answers times out its waiters, and the next get starts over', async () => {
    const cache = await l1Cache({ timeoutMs: 100 });
    await expect(cache.get('k', () => new Promise(() => {}))).rejects.toMatchObject({ code: 'TIMEOUT' });
    // The lookup's own deadline (which started when the shard took the get) passes too.
    for (let i = 0; i < 100 && cache.stats().requests.loadTimeouts === 0; i++) await sleep(10);
    expect(cache.stats().requests.loadTimeouts).toBe(1);
    expect(await cache.get('k', () => 'fresh')).toBe('fresh');
  });

  it('a set during a load wins: the waiters get the loaded value, L1 keeps the one set', async () => {
    const cache = await l1Cache();
    const g = gate<string>();
    const pending = cache.get('k', g.load);
    await g.started;
    await cache.set('k', 'set');
    g.release('loaded');
    expect(await pending).toBe('loaded');
    await sleep(10);
    expect(cache.peek('k')).toBe('set');
  });

  it('an invalidate during a load: the loaded value is not kept, and a get after it does not join the old load', async () => {
    const cache = await l1Cache();
    const g = gate<string>();
    const before = cache.get('k', g.load);
    await g.started;
    await cache.invalidate('k');
    const after = cache.get('k', () => 'after');
    expect(await after).toBe('after');
    g.release('before');
    expect(await before).toBe('before');
    await sleep(10);
    expect(cache.peek('k')).toBe('after');
  });

  it('TTL: an L1 entry is gone after SUPERNOVA_CACHE_L1_TTL_MS and is loaded again', async () => {
    const clock = { t: 1_000 };
    const cache = await l1Cache({ l1: { maxItems: 100, maxBytes: 1 << 20, ttlMs: 1_000, now: () => clock.t } });
    let loads = 0;
    const load = () => ++loads;
    expect(await cache.get('k', load)).toBe(1);
    clock.t += 999;
    expect(await cache.get('k', load)).toBe(1);
    clock.t += 2;
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.get('k', load)).toBe(2);
    expect(cache.stats().tiers.l1.expired).toBe(1);
  });

  it('L1 is bounded over all shards in items and bytes', async () => {
    const cache = await l1Cache({ shards: 4, l1: { maxItems: 40, maxBytes: 1 << 20, ttlMs: 60_000 } });
    for (let i = 0; i < 400; i++) await cache.set(`k${i}`, i);
    const l1 = cache.stats().tiers.l1;
    expect(l1.items).toBeLessThanOrEqual(40);
    expect(l1.evictions).toBe(400 - (l1.items ?? 0));
    const big = await l1Cache({ shards: 2, l1: { maxItems: 1_000, maxBytes: 20_000, ttlMs: 60_000 }, maxEntryBytes: 5_000 });
    for (let i = 0; i < 100; i++) await big.set(`k${i}`, 'v'.repeat(1_000));
    expect(big.stats().tiers.l1.bytes).toBeLessThanOrEqual(20_000);
    expect(big.stats().tiers.l1.evictions).toBeGreaterThan(70);
  });

  it('refuses a value over the entry bound on set (and drops the key), and returns a loaded one without keeping it', async () => {
    const cache = await l1Cache({ maxEntryBytes: 100 });
    await cache.set('k', 'small');
    await expect(cache.set('k', 'x'.repeat(200))).rejects.toMatchObject({ code: 'VALUE_TOO_LARGE' });
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.get('big', () => 'y'.repeat(200))).toHaveLength(200);
    expect(cache.peek('big')).toBeUndefined();
    expect(cache.stats().requests.uncacheable).toBe(1);
  });

  it('a loader returning undefined is answered but nothing is stored; null is stored', async () => {
    const cache = await l1Cache();
    let loads = 0;
    expect(await cache.get('u', () => { loads++; return undefined; })).toBeUndefined();
    expect(await cache.get('u', () => { loads++; return undefined; })).toBeUndefined();
    expect(loads).toBe(2);
    expect(await cache.get('n', () => null)).toBeNull();
    expect(await cache.get('n', () => 'not called')).toBeNull();
    await expect(cache.set('u', undefined)).rejects.toMatchObject({ code: 'ENCODE_FAILED' });
    await expect(cache.set('f', { f: Symbol('s') })).rejects.toMatchObject({ code: 'ENCODE_FAILED' });
  });

  it('refuses hostile keys with KEY_INVALID, and peek answers undefined for them', async () => {
    const cache = await l1Cache();
    const bad: unknown[] = ['', 'x'.repeat(513), 'a\u0000b', 'line\nbreak', 'del\u007f', '~hot-keys', 42, null, 'x'.repeat(10_000_000)];
    for (const key of bad) {
      await expect(cache.get(key as string, () => 1)).rejects.toMatchObject({ code: 'KEY_INVALID' });
      await expect(cache.set(key as string, 1)).rejects.toMatchObject({ code: 'KEY_INVALID' });
      await expect(cache.invalidate(key as string)).rejects.toMatchObject({ code: 'KEY_INVALID' });
      expect(cache.peek(key as string)).toBeUndefined();
    }
    await expect(cache.invalidatePrefix('a\u0001')).rejects.toMatchObject({ code: 'KEY_INVALID' });
    expect(await cache.get('ünïcode:🙂', () => 'ok')).toBe('ok');
  });

  it('invalidatePrefix drops every key with the prefix from every shard', async () => {
    const cache = await l1Cache();
    for (let i = 0; i < 20; i++) await cache.set(`bars:AAPL:${i}`, i);
    await cache.set('bars:MSFT:0', 0);
    expect(await cache.invalidatePrefix('bars:AAPL:')).toBe(20);
    expect(cache.peek('bars:AAPL:3')).toBeUndefined();
    expect(cache.peek('bars:MSFT:0')).toBe(0);
  });

  it('is bounded in waiting requests: beyond SUPERNOVA_CACHE_MAX_PENDING a get fails OVERLOADED, counted', async () => {
    const cache = await l1Cache({ shards: 1, maxPending: 10 });
    const g = gate<number>();
    const gets = Array.from({ length: 30 }, (_, i) => cache.get(`k${i % 3}`, () => g.promise).then(() => 'ok', (e: { code: string }) => e.code));
    await until(() => { const r = cache.stats().requests; return r.overloaded + r.refused === 20 && r.loads === 3; }, 'the shard taking all 30');
    g.release(1);
    const outcomes = await Promise.all(gets);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'OVERLOADED')).toHaveLength(20);
    const r = cache.stats().requests;
    expect(r.overloaded + r.refused).toBe(20);
  });

  it('stop lets a load under way finish, then refuses with NOT_RUNNING', async () => {
    const cache = await l1Cache();
    let begun!: () => void;
    const started = new Promise<void>((r) => { begun = r; });
    const pending = cache.get('k', async () => { begun(); await sleep(50); return 'done'; });
    await started;
    const stopped = cache.stop();
    await expect(cache.get('j', () => 1)).rejects.toMatchObject({ code: 'NOT_RUNNING' });
    expect(await pending).toBe('done');
    await stopped;
    expect(cache.peek('k')).toBeUndefined();
  });

  it('sheds L1 under memory pressure', async () => {
    const cache = await l1Cache();
    for (let i = 0; i < 100; i++) await cache.set(`k${i}`, i);
    expect(cache.shed(0.5)).toBeGreaterThanOrEqual(48);
    expect(cache.stats().tiers.l1.items).toBeLessThanOrEqual(52);
  });

  it('reports hits, misses, hit rate and latency, and exports them to Prometheus', async () => {
    const registry = new Registry();
    const cache = await l1Cache({ registry });
    registerCacheMetrics(registry, () => cache.stats());
    for (let i = 0; i < 10; i++) await cache.get(`k${i}`, () => i);
    for (let r = 0; r < 20; r++) for (let i = 0; i < 10; i++) await cache.get(`k${i}`, () => -1);
    const report = cache.report();
    expect(report.combined).toMatchObject({ hits: 200, misses: 10, hitRate: 0.9524 });
    expect(report.tiers.l1.hitRate).toBe(0.9524);
    expect(report.loads.latency.count).toBe(10);
    expect(report.combined.latency.p99Us).toBeGreaterThan(0);
    expect(report.tiers.l1.latency.count).toBeGreaterThan(0);
    const text = await registry.metrics();
    expect(text).toContain('supernova_cache_hits_total{tier="l1"} 200');
    expect(text).toContain('supernova_cache_requests_total{source="load"} 10');
    expect(text).toMatch(/supernova_cache_latency_seconds_bucket\{le="0.000001",tier="l1"\}/);
    expect(text).toContain('supernova_cache_items{tier="l1"} 10');
  });
});
