import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startEngine, type TestEngine } from '../support/engine.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import type { ConfigOverrides } from '../../src/index.js';

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/**
 * One request on a fresh connection, from `from` (any 127/8 address is this machine's); `chunked`
 * sends the body without a content-length, so only reading it tells its size.
 */
function send(url: string, o: { method?: string; headers?: Record<string, string>; body?: string; from?: string; chunked?: boolean } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: o.method ?? 'GET', headers: o.headers, localAddress: o.from ?? '127.0.0.1', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (o.chunked && o.body !== undefined) req.write(o.body);
    req.end(o.chunked ? undefined : o.body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KEY = 'rate-test-key';
const OPS = '/performance/metrics/resources';
const PUBLIC = '/api/v1/market';
const keyed = { authorization: `apikey ${KEY}`, 'content-type': 'application/json' };
const ingest = (t: TestEngine, headers: Record<string, string> = keyed, from?: string) =>
  send(`${t.http}/api/v1/ingest/ticks`, { method: 'POST', headers, body: '[]', ...(from ? { from } : {}) });
const api = (t: TestEngine, headers: Record<string, string> = keyed, from?: string) =>
  send(`${t.http}/api/info`, { method: 'POST', headers, body: '{}', ...(from ? { from } : {}) });

async function statuses(n: number, call: () => Promise<Reply>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call()).status);
  return out;
}

/** The value of one labelled series in the engine's Prometheus text (read directly: /metrics is itself limited). */
async function metric(t: TestEngine, name: string, group: string): Promise<number> {
  const { body } = await t.engine.metrics.render();
  const line = body.split('\n').find((l) => l.startsWith(`${name}{group="${group}"}`));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

describe('HTTP rate limits (in memory)', () => {
  const engines: TestEngine[] = [];
  const engine = async (o: ConfigOverrides) => {
    const t = await startEngine({ apiKey: KEY, ...o });
    engines.push(t);
    return t;
  };
  afterEach(async () => {
    for (const t of engines.splice(0)) await t.stop();
  });

  it('past the limit: 429 with retry-after and the JSON error, counted; allowed again after the window', async () => {
    const t = await engine({ httpRateOps: '3/1s' });
    expect(await statuses(3, () => send(`${t.http}${OPS}`))).toEqual([200, 200, 200]);
    const refused = await send(`${t.http}${OPS}`);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toBe('application/json');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBe(1);
    const body = JSON.parse(refused.body) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('RATE_LIMITED');
    expect(body.error.message).toMatch(/ops limit is 3 per 1 s per client address \(SUPERNOVA_HTTP_RATE_OPS\)/);
    expect(await metric(t, 'supernova_http_rate_limited_total', 'ops')).toBe(1);
    await sleep(retryAfter * 1000 + 50);
    expect((await send(`${t.http}${OPS}`)).status).toBe(200);
  });

  it('client addresses count apart', async () => {
    const t = await engine({ httpRateOps: '2/60s' });
    expect(await statuses(3, () => send(`${t.http}${OPS}`, { from: '127.0.0.2' }))).toEqual([200, 200, 429]);
    expect(await statuses(3, () => send(`${t.http}${OPS}`, { from: '127.0.0.3' }))).toEqual([200, 200, 429]);
  });

  it('the API key has one bucket wherever it comes from, and requests without it count per address', async () => {
    const t = await engine({ httpRateApi: '2/60s' });
    expect((await api(t, keyed, '127.0.0.2')).status).toBe(200);
    expect((await api(t, keyed, '127.0.0.3')).status).toBe(200);
    // The key's bucket is spent, from either address.
    expect((await api(t, keyed, '127.0.0.4')).status).toBe(429);
    // A wrong or missing key is not the key: its own bucket per address, answered 401 until spent.
    const wrong = { authorization: 'apikey not-the-key', 'content-type': 'application/json' };
    expect(await statuses(3, () => api(t, wrong, '127.0.0.2'))).toEqual([401, 401, 429]);
    expect(await statuses(3, () => api(t, { 'content-type': 'application/json' }, '127.0.0.3'))).toEqual([401, 401, 429]);
    // Rotating made-up keys from one address does not escape that address's bucket.
    expect((await api(t, { authorization: `apikey ${randomUUID()}` }, '127.0.0.2')).status).toBe(429);
  });

  it('a spent key does not limit the address it came from, nor the other way round', async () => {
    const t = await engine({ httpRateIngest: '2/60s' });
    const noKey = { 'content-type': 'application/json' };
    expect(await statuses(3, () => ingest(t, noKey))).toEqual([401, 401, 429]);
    expect(await statuses(3, () => ingest(t))).toEqual([200, 200, 429]);
  });

  it('groups count apart, and a POST refused by its limit is answered without reading its body', async () => {
    const t = await engine({ httpRateOps: '1/60s', httpRatePublic: '1/60s', httpRateIngest: '1/60s', httpRateApi: '1/60s' });
    expect(await statuses(2, () => send(`${t.http}${OPS}`))).toEqual([200, 429]);
    expect(await statuses(2, () => send(`${t.http}${PUBLIC}`))).toEqual([200, 429]);
    expect(await statuses(2, () => ingest(t))).toEqual([200, 429]);
    expect(await statuses(2, () => api(t))).toEqual([200, 429]);
    // /metrics is ops too.
    expect((await send(`${t.http}/metrics`)).status).toBe(429);
    // A body over the 1 MiB cap would be 413 once read that far.
    const big = await send(`${t.http}/api/v1/ingest/ticks`, { method: 'POST', headers: keyed, body: 'x'.repeat(2 * 1024 * 1024), chunked: true });
    expect(big.status).toBe(429);
    for (const g of ['ops', 'public', 'ingest']) expect(await metric(t, 'supernova_http_rate_limited_total', g)).toBeGreaterThanOrEqual(1);
  });

  it('/performance/health, /live and /ready are never limited, however spent the ops group is', async () => {
    const t = await engine({ httpRateOps: '1/60s' });
    expect(await statuses(2, () => send(`${t.http}${OPS}`))).toEqual([200, 429]);
    for (const path of ['/performance/health', '/performance/health/live', '/performance/health/ready']) {
      const health = await statuses(50, () => send(`${t.http}${path}`));
      expect(health.every((s) => s === 200), path).toBe(true);
    }
  });

  it('off (or 0) turns a group off; public reads are off by default', async () => {
    const t = await engine({ httpRateOps: 'off', httpRateApi: '0' });
    expect((await statuses(30, () => send(`${t.http}${OPS}`))).every((s) => s === 200)).toBe(true);
    expect((await statuses(30, () => send(`${t.http}${PUBLIC}`))).every((s) => s === 200)).toBe(true);
    expect((await statuses(30, () => api(t))).every((s) => s === 200)).toBe(true);
  });

  it('x-forwarded-for is ignored unless SUPERNOVA_TRUST_PROXY says so, and then its last entry counts', async () => {
    const direct = await engine({ httpRateOps: '1/60s' });
    expect(await statuses(3, () => send(`${direct.http}${OPS}`, { headers: { 'x-forwarded-for': randomUUID() } }))).toEqual([200, 429, 429]);

    const proxied = await engine({ httpRateOps: '1/60s', trustProxy: true });
    const via = (chain: string) => send(`${proxied.http}${OPS}`, { headers: { 'x-forwarded-for': chain } });
    expect((await via('203.0.113.7')).status).toBe(200);
    expect((await via('203.0.113.8')).status).toBe(200);
    // What the client wrote before the proxy's entry does not pick its bucket.
    expect((await via('198.51.100.1, 203.0.113.7')).status).toBe(429);
    // No header: the socket's address, a bucket of its own.
    expect((await send(`${proxied.http}${OPS}`)).status).toBe(200);
  });
});

const reachable = await redisReachable();

/**
 * A TCP relay to the test Redis that the test can cut (every connection dropped, and new ones
 * closed at once) and restore. It keeps its port throughout, so no engine can be given it.
 */
class RedisRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  port = 0;

  async open(): Promise<void> {
    const target = new URL(REDIS_URL);
    this.server = createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      const upstream = connect(Number(target.port || 6379), target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => (this.server as Server).listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  cut(): void {
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

describe.skipIf(!reachable)('HTTP rate limits on Redis (real Redis)', () => {
  let redis: Redis;
  const prefix = `supernova-test-rl-${randomUUID()}`;
  const engines: TestEngine[] = [];
  const engine = async (o: ConfigOverrides) => {
    // The memory broker and task queue: these engines share Redis for their limits alone, and some start with it down.
    const t = await startEngine({ apiKey: KEY, redisPrefix: prefix, redisUrl: REDIS_URL, broker: 'memory', taskQueue: 'memory', ...o });
    engines.push(t);
    return t;
  };
  const ourKeys = () => redis.keys(`${prefix}:*`);
  const relays: RedisRelay[] = [];
  const relayToRedis = async () => {
    const r = new RedisRelay();
    await r.open();
    relays.push(r);
    return r;
  };

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    for (const t of engines.splice(0)) await t.stop();
    for (const r of relays.splice(0)) await r.close();
    const keys = await ourKeys();
    if (keys.length > 0) await redis.del(...keys);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('two engines sharing Redis and the prefix enforce one limit', async () => {
    const a = await engine({ httpRateOps: '4/60s' });
    const b = await engine({ httpRateOps: '4/60s' });
    const seen: number[] = [];
    for (const t of [a, b, a, b, a, b]) seen.push((await send(`${t.http}${OPS}`)).status);
    expect(seen).toEqual([200, 200, 200, 200, 429, 429]);
    const refused = await send(`${b.http}${OPS}`);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(await ourKeys()).toEqual([`${prefix}:ratelimit:ops:addr:127.0.0.1`]);
    // Each engine counted on Redis until its first refusal; after that it refuses from memory.
    expect(Number(await redis.get(`${prefix}:ratelimit:ops:addr:127.0.0.1`))).toBe(6);
    expect(await metric(a, 'supernova_http_rate_limit_fallbacks_total', 'ops')).toBe(0);
  });

  it('the API key is one bucket across engines, and is not stored in a Redis key name', async () => {
    const a = await engine({ httpRateApi: '2/60s' });
    const b = await engine({ httpRateApi: '2/60s' });
    expect([(await api(a)).status, (await api(b)).status, (await api(a)).status]).toEqual([200, 200, 429]);
    const keys = await ourKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${prefix}:ratelimit:api:key:[0-9a-f]{16}$`));
    expect(keys[0]).not.toContain(KEY);
  });

  it('while Redis is unreachable requests are limited in memory per node, counted, never failed', async () => {
    const relay = await relayToRedis();
    const t = await engine({ httpRateOps: '3/60s', redisUrl: `redis://127.0.0.1:${relay.port}` });
    expect(await statuses(2, () => send(`${t.http}${OPS}`))).toEqual([200, 200]);
    expect(Number(await redis.get(`${prefix}:ratelimit:ops:addr:127.0.0.1`))).toBe(2);
    relay.cut();
    const started = Date.now();
    // The insurance limiter starts its own count: three more, then refused.
    expect(await statuses(4, () => send(`${t.http}${OPS}`))).toEqual([200, 200, 200, 429]);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await metric(t, 'supernova_http_rate_limit_fallbacks_total', 'ops')).toBe(4);

    relay.restore(); // the engine's client reconnects on its own
    // 127.0.0.1 stays refused until its window ends (the fallback said so); another address shows
    // the decisions are Redis's again.
    const key = `${prefix}:ratelimit:ops:addr:127.0.0.2`;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (await redis.get(key)) === null) {
      await send(`${t.http}${OPS}`, { from: '127.0.0.2' });
      await sleep(100);
    }
    expect(Number(await redis.get(key))).toBeGreaterThanOrEqual(1);
    expect((await send(`${t.http}${OPS}`)).status).toBe(429);
  });

  it('an engine started while Redis is down limits in memory, and counts on Redis once it is up', async () => {
    const relay = await relayToRedis();
    relay.cut(); // every connection closed as it opens
    const t = await engine({ httpRateOps: '2/60s', redisUrl: `redis://127.0.0.1:${relay.port}` });
    expect(await statuses(3, () => send(`${t.http}${OPS}`))).toEqual([200, 200, 429]);
    expect(await metric(t, 'supernova_http_rate_limit_fallbacks_total', 'ops')).toBe(3);

    relay.restore();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (await ourKeys()).length === 0) {
      await send(`${t.http}${OPS}`, { from: '127.0.0.2' });
      await sleep(100);
    }
    expect(await ourKeys()).toEqual([`${prefix}:ratelimit:ops:addr:127.0.0.2`]);
  });
});
