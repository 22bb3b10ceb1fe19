import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../support/engine.js';
import { postgresReachable, testDatabase } from '../support/postgres.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { RedisServer, redisServerInstalled, withRedis } from '../support/redis-server.js';
import { testPrefix } from '../support/redis-broker.js';

const installed = redisServerInstalled() && (await postgresReachable());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

interface Health { status: string; down: string[]; components: Record<string, { up: boolean; detail?: string }> }
const health = async (t: TestEngine) => (await (await fetch(`${t.http}/performance/health`)).json()) as Health;
const cacheReport = async (t: TestEngine) => (await (await fetch(`${t.http}/performance/metrics/cache`)).json()) as {
  tiers: { l2?: { up: boolean; skipped: number; sets: number; hits: number }; l3?: { up: boolean; skipped: number; sets: number; hits: number } };
};
const metric = async (t: TestEngine, line: RegExp) => {
  const m = line.exec(await (await fetch(`${t.http}/metrics`)).text());
  return m ? Number(m[1]) : undefined;
};

/**
 * Two engines of one deployment (a Redis of the test's own, which it kills and restarts, and a
 * database of their own), each with the whole cache: L1, L2 on that Redis, L3 on PostgreSQL.
 */
describe.runIf(installed)('the cache when Redis dies and comes back', () => {
  let redis: RedisServer;
  let db: { url: string; drop(): Promise<void> };
  let a: TestEngine;
  let b: TestEngine;
  const prefix = testPrefix('cache-fault');

  beforeAll(async () => {
    redis = await RedisServer.start();
    db = await testDatabase('cache_fault');
    const config = { redisUrl: redis.url, redisPrefix: prefix, databaseUrl: db.url, broker: 'memory' as const, cacheTierTimeoutMs: 300 };
    a = await startEngine(config);
    b = await startEngine(config);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await db?.drop();
  });

  it('invalidation across engines: a set or invalidate on one, and the other\'s L1 no longer serves the old value', async () => {
    expect(await b.engine.cache.get('shared', () => 'v1')).toBe('v1');
    expect(b.engine.cache.peek('shared')).toBe('v1');
    await a.engine.cache.set('shared', 'v2');
    await until(() => b.engine.cache.peek('shared') !== 'v1', 'b\'s L1 dropping the old value');
    expect(await b.engine.cache.get('shared', () => 'not loaded')).toBe('v2');
    await a.engine.cache.invalidate('shared');
    await until(() => b.engine.cache.peek('shared') === undefined, 'b\'s L1 dropping it on invalidate');
    expect(await b.engine.cache.get('shared', () => 'v3')).toBe('v3');
  });

  it('reads go on from L1 and L3 while Redis is down, L2 is skipped and counted, health names the cache; once back, L2 is used again', async () => {
    let loads = 0;
    const load = (v: string) => () => { loads++; return v; };
    expect(await a.engine.cache.get('before', load('before-value'))).toBe('before-value');
    await until(async () => (await cacheReport(a)).tiers.l2!.sets >= 1 && (await cacheReport(a)).tiers.l3!.sets >= 1, 'the fills of L2 and L3');

    await redis.kill();
    // Health follows the connection's state: no read is needed for it to know.
    await until(async () => (await health(b)).down.includes('cache'), 'b\'s health naming the cache');
    const h = await health(b);
    expect(h.status).toBe('degraded');
    expect(h.components.cache?.up).toBe(false);
    expect(h.components.cache?.detail).toMatch(/L2 Redis .* is skipped/);

    // L1 still serves a's key; b, which never read it, finds it in L3 without loading.
    expect(a.engine.cache.peek('before')).toBe('before-value');
    expect(await b.engine.cache.get('before', load('loaded again'))).toBe('before-value');
    // A new key is loaded and kept in L1 and L3.
    expect(await a.engine.cache.get('during', load('during-value'))).toBe('during-value');
    expect(await a.engine.cache.get('during', load('twice'))).toBe('during-value');
    expect(loads).toBe(2);
    const during = await cacheReport(b);
    expect(during.tiers.l2?.up).toBe(false);
    expect(during.tiers.l2?.skipped).toBeGreaterThan(0);
    expect(during.tiers.l3?.hits).toBeGreaterThanOrEqual(1);
    expect(await metric(b, /^supernova_cache_skipped_total\{tier="l2"\} (\d+)/m)).toBeGreaterThan(0);
    expect(await metric(b, /^supernova_cache_tier_up\{tier="l2"\} (\d+)/m)).toBe(0);
    expect(await metric(b, /^supernova_component_up\{component="cache"\} (\d+)/m)).toBe(0);

    await redis.restart();
    await until(async () => (await health(a)).status === 'ok' && (await health(b)).status === 'ok', 'both engines healthy again', 15_000);
    const setsBefore = (await cacheReport(a)).tiers.l2!.sets;
    expect(await a.engine.cache.get('after', load('after-value'))).toBe('after-value');
    await until(async () => (await cacheReport(a)).tiers.l2!.sets > setsBefore, 'a writing to L2 again');
    const inRedis = await withRedis(redis, (r) => r.exists(`${prefix}:cache:after`));
    expect(inRedis).toBe(1);
    const hitsBefore = (await cacheReport(b)).tiers.l2!.hits;
    expect(await b.engine.cache.get('after', load('not loaded'))).toBe('after-value');
    expect((await cacheReport(b)).tiers.l2!.hits).toBe(hitsBefore + 1);
    // b lost its invalidation channel with Redis: it cleared its L1 when it was back.
    expect(b.engine.cache.stats().invalidations.l1Clears).toBeGreaterThanOrEqual(1);
    expect(loads).toBe(3);
  });
});

describe.runIf(installed)('the cache when Redis is down at start', () => {
  it('the engine starts with L2 skipped (health names the cache), and uses L2 once Redis is there', async () => {
    const redis = await RedisServer.start();
    await redis.kill();
    const db = await testDatabase('cache_down_at_start');
    const prefix = testPrefix('cache-start');
    const t = await startEngine({ redisUrl: redis.url, redisPrefix: prefix, databaseUrl: db.url, broker: 'memory', cacheTierTimeoutMs: 300 });
    try {
      expect((await health(t)).down).toContain('cache');
      expect(await t.engine.cache.get('k', () => 'loaded')).toBe('loaded');
      expect((await cacheReport(t)).tiers.l2?.skipped).toBeGreaterThan(0);
      await redis.restart();
      await until(async () => !(await health(t)).down.includes('cache'), 'L2 connected', 15_000);
      expect(await t.engine.cache.get('k2', () => 'v2')).toBe('v2');
      await until(async () => (await withRedis(redis, (r) => r.exists(`${prefix}:cache:k2`))) === 1, 'k2 written to L2');
      // The invalidation channel was subscribed once Redis came: another node's message reaches this one.
      expect(t.engine.cache.peek('k2')).toBe('v2');
      await withRedis(redis, async (r) => {
        const { Packr } = await import('msgpackr');
        await r.publish(`${prefix}:cache-invalidate`, new Packr({ useRecords: false }).pack({ v: 1, n: 'other-node', k: ['k2'] }));
      });
      await until(() => t.engine.cache.peek('k2') === undefined, 'the invalidation from another node');
    } finally {
      await t.stop();
      await redis.stop();
      await db.drop();
    }
  });
});

const ownPostgres = installed && PrivatePostgres.installed();

describe.runIf(ownPostgres)('the cache when PostgreSQL dies and comes back', () => {
  let redis: RedisServer;
  let pg: PrivatePostgres;
  let t: TestEngine;

  beforeAll(async () => {
    redis = await RedisServer.start();
    pg = await PrivatePostgres.start();
    t = await startEngine({ redisUrl: redis.url, redisPrefix: testPrefix('cache-pg'), databaseUrl: pg.url, broker: 'memory', cacheTierTimeoutMs: 300 });
  });
  afterAll(async () => {
    await t?.stop();
    await pg?.stop();
    await redis?.stop();
  });

  it('L3 is skipped and counted while the database is down, reads and writes go on with L1 and L2, and L3 is used again once it is back', async () => {
    const cache = t.engine.cache;
    await cache.set('k', 'v1');
    pg.stopServer();
    // The first operation finds out, and takes L3 down.
    expect(await cache.get('new', () => 'loaded')).toBe('loaded');
    await cache.set('k', 'v2');
    await until(async () => (await health(t)).down.includes('cache'), 'health naming the cache');
    const h = await health(t);
    expect(h.components.cache?.detail).toMatch(/L3 PostgreSQL .* is skipped/);
    expect(cache.peek('k')).toBe('v2');
    const report = await cacheReport(t);
    expect(report.tiers.l3?.up).toBe(false);
    expect(report.tiers.l2?.up).toBe(true);
    expect(cache.stats().tiers.l3?.dirty).toBeGreaterThanOrEqual(1);
    await pg.startServer();
    // The guard lets an operation through after its backoff (at most 5 s): keep the cache busy.
    await until(async () => {
      await cache.get(`probe-${Date.now()}`, () => 1);
      return cache.stats().tiers.l3?.up === true && !(await health(t)).down.includes('cache');
    }, 'L3 back', 20_000);
    const l3 = cache.stats().tiers.l3!;
    expect(l3.up).toBe(true);
    expect(l3.recoveries).toBeGreaterThanOrEqual(1);
    // k was set while L3 was away: deleted from it on recovery, so no older value can come back from there.
    expect(l3.dirty).toBe(0);
    await until(() => cache.stats().queuedWrites === 0, 'the probes\' fills');
    const setsBefore = cache.stats().tiers.l3!.sets;
    await cache.set('k', 'v3');
    expect(cache.stats().tiers.l3!.sets).toBe(setsBefore + 1);
  });
});
