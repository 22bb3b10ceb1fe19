import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack } from 'msgpackr';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { RawSocket } from '../support/raw-socket.js';

let t: TestEngine;
beforeAll(async () => { t = await startEngine({ apiKey: 'test-key', ingestMaxTicks: 50 }); });
afterAll(async () => { await t.stop(); });

const now = Date.now();
const tick = (symbol: string, price: number, i = 0) => ({ symbol, price, size: 10 + i, ts: now + i });

async function ingest(body: string | Uint8Array, contentType = 'application/json', key = 'test-key'): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${t.http}/api/v1/ingest/ticks`, { method: 'POST', headers: { authorization: `apikey ${key}`, 'content-type': contentType }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe('POST /api/v1/ingest/ticks', () => {
  it('takes the valid ticks of a JSON array, reports the rest by index, and publishes them to ticks:SYM and the snapshot', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const got: unknown[] = [];
    (await subscribed(c, 'ticks:INGA')).on('publication', (ctx) => got.push(ctx.data));
    const res = await ingest(JSON.stringify([
      tick('INGA', 10.5, 0),
      { symbol: 'INGA', price: 0, size: 1, ts: now },
      tick('INGA', 11, 1),
      { symbol: 'ing a', price: 1, size: 1, ts: now },
      { symbol: 'INGA', price: 12, size: 1, ts: 42 },
      'not a tick',
    ]));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      accepted: 2,
      rejected: 4,
      errors: [
        { index: 1, reason: 'BAD_PRICE', message: expect.any(String) },
        { index: 3, reason: 'BAD_SYMBOL', message: expect.any(String) },
        { index: 4, reason: 'BAD_TS', message: expect.stringContaining('2000') },
        { index: 5, reason: 'BAD_SHAPE', message: expect.any(String) },
      ],
    });
    // One request is one batch: its accepted trades are one publication.
    await until(() => got.length === 1, 'the request\'s trades on ticks:INGA');
    expect(got).toEqual([{ price: [10.5, 11], size: [10, 11], ts: [now, now + 1] }]);
    const snap = await fetch(`${t.http}/api/v1/market/INGA`);
    expect(snap.status).toBe(200);
    expect(await snap.json()).toMatchObject({ symbol: 'INGA', last: 11, open: 10.5, high: 11, low: 10.5, volume: 21, trades: 2, ts: now + 1 });
    c.disconnect();
  });

  it('takes msgpack arrays as application/msgpack and application/x-msgpack', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const got: { price: number }[] = [];
    (await subscribed(c, 'ticks:INGB')).on('publication', (ctx) => got.push(...(ctx.data as { price: number[] }).price.map((price) => ({ price }))));
    const a = await ingest(pack([tick('INGB', 20, 0), tick('INGB', -1, 1)]), 'application/msgpack');
    expect(a).toMatchObject({ status: 200, json: { accepted: 1, rejected: 1, errors: [{ index: 1, reason: 'BAD_PRICE' }] } });
    const b = await ingest(pack([tick('INGB', 21, 2)]), 'application/x-msgpack; charset=binary');
    expect(b).toMatchObject({ status: 200, json: { accepted: 1, rejected: 0, errors: [] } });
    await until(() => got.length === 2, 'two msgpack ticks');
    expect(got.map((p) => p.price)).toEqual([20, 21]);
    expect(await (await fetch(`${t.http}/api/v1/market/ingb`)).json()).toMatchObject({ symbol: 'INGB', last: 21, trades: 2 });
    // The route keeps the encoded snapshot between trades; the next trade must replace it.
    await ingest(pack([tick('INGB', 22, 3)]), 'application/msgpack');
    expect(await (await fetch(`${t.http}/api/v1/market/INGB`)).json()).toMatchObject({ symbol: 'INGB', last: 22, trades: 3 });
    c.disconnect();
  });

  it('sends a ticks: publication as plain number arrays to msgpack subscribers too, live and from history', async () => {
    const s = new RawSocket(t.url, 'msgpack');
    await s.opened;
    s.send({ id: 1, connect: {} }, { id: 2, subscribe: { channel: 'ticks:INGM' } });
    await s.reply(2);
    const columns = { price: [30.25, 30.5], size: [3, 4], ts: [now + 5, now + 6] };
    expect((await ingest(JSON.stringify([tick('INGM', 30.25, 0), tick('INGM', 30.5, 1)].map((x, i) => ({ ...x, size: 3 + i, ts: now + 5 + i }))))).json).toMatchObject({ accepted: 2 });
    await until(() => s.pushes().some((p) => p.pub), 'the msgpack publication');
    expect(s.pushes().find((p) => p.pub)).toMatchObject({ channel: 'ticks:INGM', pub: { data: columns } });
    s.send({ id: 3, history: { channel: 'ticks:INGM', limit: 10 } });
    expect((await s.reply(3)).history).toMatchObject({ publications: [{ data: columns }] });
    s.close();
  });

  it('refuses a missing or wrong key with 401', async () => {
    expect(await ingest('[]', 'application/json', 'wrong')).toMatchObject({ status: 401, json: { error: { code: 101 } } });
    const res = await fetch(`${t.http}/api/v1/ingest/ticks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    expect(res.status).toBe(401);
  });

  it('refuses other content types with 415 and bodies that are not arrays with 400', async () => {
    expect(await ingest('symbol,price', 'text/csv')).toMatchObject({ status: 415, json: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringContaining('application/msgpack') } } });
    expect(await ingest(JSON.stringify(tick('X', 1)))).toMatchObject({ status: 400, json: { error: { code: 'BAD_REQUEST', message: expect.stringContaining('array') } } });
    expect(await ingest('[{"symbol":')).toMatchObject({ status: 400, json: { error: { code: 'BAD_REQUEST' } } });
    expect(await ingest(Buffer.from([0x92, 0x01]), 'application/msgpack')).toMatchObject({ status: 400, json: { error: { code: 'BAD_REQUEST', message: expect.stringContaining('msgpack') } } });
  });

  it('refuses more than SUPERNOVA_INGEST_MAX_TICKS ticks, and a body over the router limit, with 413', async () => {
    const many = Array.from({ length: 51 }, (_, i) => tick('INGC', 1 + i, i));
    expect(await ingest(JSON.stringify(many))).toMatchObject({ status: 413, json: { error: { code: 'TOO_MANY_TICKS', message: expect.stringContaining('50') } } });
    expect(t.engine.ingest.accepted).toBeGreaterThan(0);
    const before = t.engine.ingest.accepted;
    const huge = JSON.stringify([{ ...tick('INGC', 1), pad: 'x'.repeat(1024 * 1024) }]);
    const res = await ingest(huge);
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(t.engine.ingest.accepted).toBe(before);
    expect((await fetch(`${t.http}/api/v1/market/INGC`)).status).toBe(404);
  });
});

describe('body limits', () => {
  it('takes SUPERNOVA_INGEST_MAX_TICKS ticks in a body up to SUPERNOVA_INGEST_MAX_BODY_BYTES, past the limit of other routes, and answers 413 JSON one past either', { timeout: 30_000 }, async () => {
    // 20,000 ticks do not fit the 1 MiB every route had; the ingest route's limit follows the tick limit.
    const maxTicks = 20_000;
    const e = await startEngine({ apiKey: 'test-key', ingestMaxTicks: maxTicks, httpMaxBodyBytes: 64 * 1024 });
    try {
      const cap = e.engine.config.ingestMaxBodyBytes;
      expect(cap).toBe(maxTicks * 128);
      const post = async (body: string, path = '/api/v1/ingest/ticks') => {
        const res = await fetch(`${e.http}${path}`, { method: 'POST', headers: { authorization: 'apikey test-key', 'content-type': 'application/json' }, body });
        return { status: res.status, json: (await res.json()) as Record<string, unknown> };
      };
      const ticks = Array.from({ length: maxTicks }, (_, i) => tick(`CAP${i % 10}`, 1 + (i % 100), i));
      // Padded to the byte: an extra field is carried and ignored.
      const padded = (bytes: number, list: unknown[] = ticks) => {
        const bare = JSON.stringify([{ ...tick('CAPP', 1), pad: '' }, ...list.slice(1)]);
        return JSON.stringify([{ ...tick('CAPP', 1), pad: 'x'.repeat(bytes - Buffer.byteLength(bare)) }, ...list.slice(1)]);
      };
      const atCap = padded(cap);
      expect(Buffer.byteLength(atCap)).toBe(cap);
      expect(await post(atCap)).toEqual({ status: 200, json: { accepted: maxTicks, rejected: 0, errors: [] } });
      expect(await post(padded(cap + 1))).toMatchObject({ status: 413, json: { error: { code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining(String(cap)) } } });
      const oneTooMany = JSON.stringify([...ticks, tick('CAP0', 1)]);
      expect(Buffer.byteLength(oneTooMany)).toBeLessThan(cap);
      expect(await post(oneTooMany)).toMatchObject({ status: 413, json: { error: { code: 'TOO_MANY_TICKS', message: expect.stringContaining('SUPERNOVA_INGEST_MAX_TICKS') } } });
      expect(e.engine.ingest.accepted).toBe(maxTicks);
      // Every other route keeps SUPERNOVA_HTTP_MAX_BODY_BYTES.
      const publish = (bytes: number) => {
        const bare = JSON.stringify({ channel: 'public:cap', data: { text: '' } });
        return JSON.stringify({ channel: 'public:cap', data: { text: 'y'.repeat(bytes - Buffer.byteLength(bare)) } });
      };
      expect(await post(publish(64 * 1024), '/api/publish')).toMatchObject({ status: 200 });
      expect(await post(publish(64 * 1024 + 1), '/api/publish')).toMatchObject({ status: 413, json: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    } finally {
      await e.stop();
    }
  });
});

describe('GET /api/v1/market', () => {
  it('lists the symbols with snapshots, and answers 404 listing them for an unknown one, 400 for a bad one', async () => {
    await ingest(JSON.stringify([tick('LSTA', 5), tick('LSTB', 6)]));
    const list = (await (await fetch(`${t.http}/api/v1/market`)).json()) as { symbols: string[]; snapshots: { symbol: string; last: number }[] };
    expect(list.symbols).toEqual(expect.arrayContaining(['LSTA', 'LSTB']));
    expect(list.symbols).toEqual([...list.symbols].sort());
    expect(list.snapshots.find((s) => s.symbol === 'LSTB')).toMatchObject({ last: 6 });
    const unknown = await fetch(`${t.http}/api/v1/market/NOPE`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'UNKNOWN_SYMBOL', message: expect.stringMatching(/valid symbols: .*LSTA, LSTB/) } });
    for (const bad of ['TOOLONGSYMBOL1', 'A%24B', 'A%20B']) {
      const res = await fetch(`${t.http}/api/v1/market/${bad}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'BAD_SYMBOL' } });
    }
  });
});

describe('without SUPERNOVA_API_KEY', () => {
  it('answers ingest with 503 like the server API, and still serves snapshots', async () => {
    const off = await startEngine();
    try {
      const res = await fetch(`${off.http}/api/v1/ingest/ticks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: 'SERVER_API_DISABLED', message: expect.stringContaining('SUPERNOVA_API_KEY') } });
      expect(await (await fetch(`${off.http}/api/v1/market`)).json()).toEqual({ symbols: [], snapshots: [] });
    } finally {
      await off.stop();
    }
  });
});
