import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Centrifuge } from 'centrifuge';
import type { BarsPage } from '../../streams/index.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient } from '../support/client.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, testPrefix } from '../support/redis-broker.js';
import type { ConfigOverrides } from '../../src/index.js';

const reachable = await redisReachable();

const SYMBOL = 'MIRR';
const SECONDS = 6;

/**
 * Node A runs the market pipeline with no feed and takes ticks over HTTP; node B mirrors it
 * through Redis. What B answers about the market must be what A answers.
 */
describe.runIf(reachable)('market mirror across nodes on Redis', () => {
  const prefix = testPrefix('mirror');
  const node = (o: ConfigOverrides = {}) => startEngine({
    apiKey: 'test-key', redisUrl: REDIS_URL, redisPrefix: prefix, symbols: [SYMBOL], barIntervals: ['1s'], barLatenessMs: 0, ...o,
  });
  const nodes: TestEngine[] = [];
  const clients: Centrifuge[] = [];
  let a: TestEngine;
  let b: TestEngine;

  const get = async (t: TestEngine, path: string): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${t.http}${path}`);
    return { status: res.status, json: await res.json() };
  };
  const bars = async (t: TestEngine): Promise<BarsPage> => (await get(t, `/api/v1/market/${SYMBOL}/bars?interval=1s`)).json as BarsPage;
  const ingest = (t: TestEngine, ticks: unknown[]) => fetch(`${t.http}/api/v1/ingest/ticks`, {
    method: 'POST', headers: { authorization: 'apikey test-key', 'content-type': 'application/json' }, body: JSON.stringify(ticks),
  });
  const rpc = async (t: TestEngine, method: string, data: unknown): Promise<unknown> => {
    const c = sdkClient(t.url);
    clients.push(c);
    await connected(c);
    return (await c.rpc(method, data)).data;
  };

  beforeAll(async () => {
    a = await node();
    b = await node({ marketSource: 'mirror' });
    nodes.push(a, b);
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(nodes.map((n) => n.stop()));
    await cleanPrefix(prefix);
  });

  it('B serves the bars, the snapshot and the market RPC that A computes from its ticks', async () => {
    // Three ticks a second over SECONDS whole seconds, in the past: each second closes the one
    // before, and the last one closes on the wall clock.
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    const ticks = Array.from({ length: SECONDS * 3 }, (_, i) => ({ symbol: SYMBOL, price: 100 + (i % 5) * 0.25, size: 10 + i, ts: t0 + i * 333 }));
    const res = await ingest(a, ticks);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: ticks.length, rejected: 0 });

    await expect.poll(async () => (await bars(a)).items.length, { timeout: 10_000, interval: 50 }).toBe(SECONDS);
    const fromA = await bars(a);
    expect(fromA.items.map((bar) => bar.start)).toEqual(Array.from({ length: SECONDS }, (_, i) => t0 + i * 1000));
    expect(fromA.items.reduce((n, bar) => n + (bar.trades ?? 0), 0)).toBe(ticks.length);
    await expect.poll(() => bars(b), { timeout: 5_000, interval: 50 }).toEqual(fromA);

    const snapshot = (t: TestEngine) => get(t, `/api/v1/market/${SYMBOL}`);
    const ofA = await snapshot(a);
    expect(ofA).toMatchObject({ status: 200, json: { symbol: SYMBOL, trades: ticks.length, volume: ticks.reduce((n, t) => n + t.size, 0) } });
    await expect.poll(() => snapshot(b), { timeout: 5_000, interval: 50 }).toEqual(ofA);
    expect((await get(b, '/api/v1/market')).json).toEqual((await get(a, '/api/v1/market')).json);

    expect(await rpc(b, 'market.bars', { symbol: SYMBOL, interval: '1s' })).toEqual(fromA);
    expect(await rpc(b, 'market.bars', { symbol: SYMBOL, interval: '1s', limit: 2, fields: 'start,close' })).toEqual(await rpc(a, 'market.bars', { symbol: SYMBOL, interval: '1s', limit: 2, fields: 'start,close' }));
    expect(await rpc(b, 'market.snapshot', { symbol: SYMBOL })).toEqual(await rpc(a, 'market.snapshot', { symbol: SYMBOL }));
  });

  it('a mirror started after the bars closed backfills them from history', async () => {
    const late = await node({ marketSource: 'mirror' });
    nodes.push(late);
    const fromA = await bars(a);
    expect(fromA.items.length).toBe(SECONDS);
    // start() resolved after the backfill: no waiting.
    expect(await bars(late)).toEqual(fromA);
    expect((await get(late, `/api/v1/market/${SYMBOL}`)).json).toEqual((await get(a, `/api/v1/market/${SYMBOL}`)).json);
  });

  it('tick ingest on a mirror answers 421 with the JSON error, naming where ticks go', async () => {
    const res = await ingest(b, [{ symbol: SYMBOL, price: 1, size: 1, ts: Date.now() }]);
    expect(res.status).toBe(421);
    expect(await res.json()).toEqual({ error: { code: 'MARKET_MIRROR', message: expect.stringContaining('SUPERNOVA_MARKET_SOURCE=pipeline') as unknown } });
    // Authorization still comes first.
    const anonymous = await fetch(`${b.http}/api/v1/ingest/ticks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    expect(anonymous.status).toBe(401);
  });
});
