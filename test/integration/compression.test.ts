import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startEngine, type TestEngine } from '../support/engine.js';

let t: TestEngine;
beforeAll(async () => {
  t = await startEngine({ apiKey: 'test-key' });
  // Enough symbols that GET /api/v1/market is well over 500 bytes, and a big ingest for a >64 KiB body.
  const now = Date.now();
  const ticks = Array.from({ length: 1_500 }, (_, i) => ({ symbol: `Z${i}`, price: 100 + i / 7, size: 1 + i, ts: now }));
  const res = await fetch(`${t.http}/api/v1/ingest/ticks`, { method: 'POST', headers: { authorization: 'apikey test-key', 'content-type': 'application/json' }, body: JSON.stringify(ticks) });
  expect(await res.json()).toMatchObject({ accepted: 1_500 });
});
afterAll(async () => { await t.stop(); });

/** A raw GET (fetch would decode the body behind our back): status, headers and the bytes as sent. */
function rawGet(path: string, acceptEncoding?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${t.http}${path}`, { headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP response compression', () => {
  it('compresses large JSON with brotli or gzip by Accept-Encoding, and the decoded body is the plain one', async () => {
    const plain = await rawGet('/api/v1/market');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('accept-encoding');
    expect(plain.body.length).toBeGreaterThan(64 * 1024); // the thread-pool path
    const snapshots = JSON.parse(plain.body.toString('utf8')) as { symbols: string[] };
    expect(snapshots.symbols).toHaveLength(1_500);

    const br = await rawGet('/api/v1/market', 'gzip, deflate, br');
    expect(br.headers).toMatchObject({ 'content-encoding': 'br', vary: 'accept-encoding', 'content-type': 'application/json' });
    expect(brotliDecompressSync(br.body)).toEqual(plain.body);
    expect(br.body.length).toBeLessThan(plain.body.length / 4);

    const gz = await rawGet('/api/v1/market', 'gzip, br;q=0.1');
    expect(gz.headers).toMatchObject({ 'content-encoding': 'gzip', vary: 'accept-encoding' });
    expect(gunzipSync(gz.body)).toEqual(plain.body);

    for (const none of ['identity', 'br;q=0, gzip;q=0', 'deflate']) {
      const res = await rawGet('/api/v1/market', none);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.body).toEqual(plain.body);
    }
  });

  it('compresses a mid-sized body on the event loop path too', async () => {
    const plain = await rawGet('/metrics');
    expect(plain.body.length).toBeGreaterThan(500);
    expect(plain.body.length).toBeLessThan(64 * 1024);
    const gz = await rawGet('/metrics', 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['content-type']).toMatch(/^text\/plain/);
    // Counters move between two scrapes; the series names do not.
    const names = (text: string) => text.split('\n').filter((l) => l.startsWith('# TYPE')).join('\n');
    expect(names(gunzipSync(gz.body).toString('utf8'))).toBe(names(plain.body.toString('utf8')));
  });

  it('leaves small bodies alone', async () => {
    const res = await rawGet('/api/v1/market/Z1', 'br, gzip');
    expect(res.status).toBe(200);
    expect(res.body.length).toBeLessThanOrEqual(500);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toBeUndefined();
    expect(JSON.parse(res.body.toString('utf8'))).toMatchObject({ symbol: 'Z1' });
  });
});
