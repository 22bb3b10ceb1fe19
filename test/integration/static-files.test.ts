import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { buildDashboard } from '../../src/web/build.js';
import { startEngine, type TestEngine } from '../support/engine.js';

interface RawResponse { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

/** node:http rather than fetch: fetch would decompress and hide what went over the wire. */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const script = `console.log(${JSON.stringify('supernova '.repeat(200))});\n`;
const html = `<!doctype html><title>t</title><script src="/assets/app-ABC123.js"></script>${'<!-- pad -->'.repeat(60)}`;

describe('dashboard static files', () => {
  let dir: string;
  let t: TestEngine;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'supernova-web-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), html);
    await writeFile(join(dir, 'index.html.gz'), gzipSync(html));
    await writeFile(join(dir, 'assets/app-ABC123.js'), script);
    await writeFile(join(dir, 'assets/app-ABC123.js.br'), brotliCompressSync(script));
    await writeFile(join(dir, 'assets/app-ABC123.js.gz'), gzipSync(script));
    t = await startEngine({ webDir: dir, symbols: ['AAPL', 'MSFT'], barIntervals: ['5s', '1h'] });
  });

  afterAll(async () => {
    await t?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the page as HTML that always revalidates, with an ETag and 304', async () => {
    const res = await get(`${t.http}/`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.toString()).toBe(html);
    const etag = res.headers['etag'] as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get(`${t.http}/index.html`, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers['etag']).toBe(etag);
  });

  it('sends the pre-compressed variant the client accepts, brotli first', async () => {
    const br = await get(`${t.http}/assets/app-ABC123.js`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers['vary']).toBe('accept-encoding');
    expect(br.body.length).toBeLessThan(script.length / 10);
    expect(brotliDecompressSync(br.body).toString()).toBe(script);

    const gz = await get(`${t.http}/assets/app-ABC123.js`, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(script);

    const plain = await get(`${t.http}/assets/app-ABC123.js`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(script);

    // Any variant's tag revalidates: the content is the same.
    const revalidated = await get(`${t.http}/assets/app-ABC123.js`, { 'accept-encoding': 'gzip', 'if-none-match': br.headers['etag'] as string });
    expect(revalidated.status).toBe(304);

    // index.html has only a gzip variant: a brotli-only client gets identity.
    const index = await get(`${t.http}/`, { 'accept-encoding': 'br' });
    expect(index.headers['content-encoding']).toBeUndefined();
  });

  it('answers HEAD without a body, and unknown or escaping paths with a JSON 404', async () => {
    const head = await get(`${t.http}/assets/app-ABC123.js`, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(head.body.length).toBe(0);
    for (const path of ['/assets/nope.js', '/assets/../index.html.gz', '/assets/%2e%2e/%2e%2e/package.json', '/assets/app-ABC123.js.br']) {
      const res = await get(`${t.http}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers['content-type']).toBe('application/json');
      expect(JSON.parse(res.body.toString())).toMatchObject({ error: { code: 'NOT_FOUND' } });
    }
  });

  it('tells the page which symbols and bar intervals to show', async () => {
    const res = await get(`${t.http}/dashboard.json`);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(JSON.parse(res.body.toString())).toEqual({
      symbols: ['AAPL', 'MSFT'],
      websocket: '/connection/websocket',
      intervals: [{ name: '5s', ms: 5000 }, { name: '1h', ms: 3_600_000 }],
    });
  });

  it('leaves the other routes to the router', async () => {
    const health = await get(`${t.http}/performance/health`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body.toString())).toMatchObject({ status: 'ok' });
  });
});

describe('dashboard without a build', () => {
  it('answers 503 naming the fix, and keeps the engine running', async () => {
    const t = await startEngine({ webDir: join(tmpdir(), 'supernova-no-such-dir') });
    try {
      const res = await get(`${t.http}/`);
      expect(res.status).toBe(503);
      const body = JSON.parse(res.body.toString()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('DASHBOARD_NOT_BUILT');
      expect(body.error.message).toContain('npm run build');
      expect((await get(`${t.http}/performance/health`)).status).toBe(200);
    } finally {
      await t.stop();
    }
  });

  it('is off with SUPERNOVA_DASHBOARD=false: / belongs to the router again', async () => {
    const t = await startEngine({ dashboard: false });
    try {
      const res = await get(`${t.http}/`);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body.toString())).toMatchObject({ error: { code: 'NOT_FOUND' } });
    } finally {
      await t.stop();
    }
  });
});

describe('dashboard build', () => {
  it('emits hashed assets named by index.html, with brotli and gzip siblings of the same bytes', async () => {
    const out = await mkdtemp(join(tmpdir(), 'supernova-build-'));
    try {
      const built = await buildDashboard({ sourceDir: fileURLToPath(new URL('../../src/web/app/', import.meta.url)), outDir: out });
      const index = await readFile(join(out, 'index.html'), 'utf8');
      const refs = [...index.matchAll(/"\/(assets\/app-[A-Z0-9]+\.(?:js|css))"/g)].map((m) => m[1] as string);
      expect(refs).toHaveLength(2);
      for (const ref of refs) {
        expect(built.files).toContain(ref);
        const body = await readFile(join(out, ref));
        expect(brotliDecompressSync(await readFile(join(out, `${ref}.br`)))).toEqual(body);
        expect(gunzipSync(await readFile(join(out, `${ref}.gz`)))).toEqual(body);
      }
      expect(index).not.toContain('%APP_');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 30_000);
});
