import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';
import { loadConfig } from '../../src/index.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { until } from '../support/client.js';
import { configProblem } from '../support/config-problem.js';

// SUPERNOVA_ALLOWED_ORIGINS at the wire, over raw sockets (a browser's Origin cannot be forged
// from a page, so the requests are made by hand): preflights, CORS on the stream routes and
// /emulation, 403 for origins not listed, and the origins always let in (none, same host).

const json = 'application/json';
const connectBody = JSON.stringify({ id: 1, connect: {} });
const cf = (v: string): string => encodeURIComponent(v);

interface Endpoint { name: string; method: 'GET' | 'POST'; path: string; body?: string; preflightPath: string; methods: string; ok: number }
const endpoints: Endpoint[] = [
  { name: 'http_stream', method: 'POST', path: '/connection/http_stream', body: connectBody, preflightPath: '/connection/http_stream', methods: 'POST', ok: 200 },
  { name: 'sse', method: 'GET', path: `/connection/sse?cf_connect=${cf(connectBody)}`, preflightPath: '/connection/sse', methods: 'GET', ok: 200 },
  { name: 'uni_sse', method: 'GET', path: `/connection/uni_sse?cf_connect=${cf('{}')}`, preflightPath: '/connection/uni_sse', methods: 'GET', ok: 200 },
  { name: 'uni_http_stream', method: 'POST', path: '/connection/uni_http_stream', body: '{}', preflightPath: '/connection/uni_http_stream', methods: 'POST', ok: 200 },
  // No such session: the 404 must still carry CORS, or the page could not read it.
  { name: 'emulation', method: 'POST', path: '/emulation', body: JSON.stringify({ session: 'nobody', node: '', data: '{}' }), preflightPath: '/emulation', methods: 'POST', ok: 404 },
];

interface Answer { status: number; headers: IncomingHttpHeaders; body: string }

/**
 * One request on its own socket. A stream answered 200 is read until its first message (the
 * connect reply or push) and then dropped; anything else is read to its end.
 */
function send(t: TestEngine, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: t.port, method, path, headers: { ...(body === undefined ? {} : { 'content-type': json, 'content-length': String(Buffer.byteLength(body)) }), ...headers }, agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      const done = (): void => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (res.statusCode === 200 && text.includes('"connect"')) {
          done();
          req.destroy();
        }
      });
      res.on('end', done);
      res.on('error', reject);
    });
    req.end(body);
  });
}

/** A WebSocket upgrade: 'open', or the HTTP status it was refused with. */
function upgrade(t: TestEngine, headers: Record<string, string>): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const { origin, ...rest } = headers;
    const ws = new WebSocket(t.url, { ...(origin === undefined ? {} : { origin }), headers: rest });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
  });
}

const errorCode = (a: Answer): unknown => (JSON.parse(a.body) as { error?: { code?: unknown } }).error?.code;

async function metric(t: TestEngine, name: string): Promise<number> {
  const text = await (await fetch(`${t.http}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

/** Every stream route and /emulation, and a WebSocket upgrade, let in with these headers; CORS as `cors` says. */
async function expectAllowed(t: TestEngine, headers: Record<string, string>, cors: string | undefined): Promise<void> {
  for (const e of endpoints) {
    const a = await send(t, e.method, e.path, headers, e.body);
    expect(a.status, `${e.name} ${JSON.stringify(headers)}`).toBe(e.ok);
    expect(a.headers['access-control-allow-origin'], e.name).toBe(cors);
    if (cors !== undefined) {
      expect(a.headers['access-control-allow-credentials'], e.name).toBe('true');
      expect(a.headers['vary'], e.name).toMatch(/\borigin\b/i);
    }
  }
  expect(await upgrade(t, headers)).toBe('open');
}

async function expectRefused(t: TestEngine, origin: string, extra: Record<string, string> = {}): Promise<void> {
  for (const e of endpoints) {
    const a = await send(t, e.method, e.path, { origin, ...extra }, e.body);
    expect(a.status, `${e.name} from ${origin}`).toBe(403);
    expect(a.headers['content-type']).toBe(json);
    expect(errorCode(a), e.name).toBe('ORIGIN_NOT_ALLOWED');
    expect(JSON.parse(a.body).error.message).toContain('SUPERNOVA_ALLOWED_ORIGINS');
    expect(a.headers['access-control-allow-origin'], e.name).toBeUndefined();
    const pre = await send(t, 'OPTIONS', e.preflightPath, { origin, 'access-control-request-method': e.methods, ...extra });
    expect(pre.status, `preflight of ${e.name} from ${origin}`).toBe(403);
    expect(errorCode(pre)).toBe('ORIGIN_NOT_ALLOWED');
  }
  expect(await upgrade(t, { origin, ...extra })).toBe(403);
}

describe('allowed origins and CORS', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startEngine({ allowedOrigins: 'https://app.example.com, https://*.trusted.example' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers the preflight of every route with 204, the origin, credentials and the requested headers', async () => {
    for (const e of endpoints) {
      const a = await send(t, 'OPTIONS', e.preflightPath, {
        origin: 'https://app.example.com', 'access-control-request-method': e.methods, 'access-control-request-headers': 'content-type, x-requested-with',
      });
      expect(a.status, e.name).toBe(204);
      expect(a.headers['access-control-allow-origin'], e.name).toBe('https://app.example.com');
      expect(a.headers['access-control-allow-credentials'], e.name).toBe('true');
      expect(a.headers['vary'], e.name).toMatch(/\borigin\b/i);
      expect(a.headers['access-control-allow-methods'], e.name).toContain(e.methods);
      expect(a.headers['access-control-allow-headers'], e.name).toBe('content-type, x-requested-with');
      expect(a.body).toBe('');
    }
  });

  it('a preflight asking for an overlong or malformed header list is 400, not echoed', async () => {
    const base = { origin: 'https://app.example.com', 'access-control-request-method': 'POST' };
    for (const headers of ['x-a,'.repeat(400), 'x-a;b=c']) {
      const a = await send(t, 'OPTIONS', '/emulation', { ...base, 'access-control-request-headers': headers });
      expect(a.status).toBe(400);
      expect(errorCode(a)).toBe('BAD_REQUEST');
      expect(a.headers['access-control-allow-headers']).toBeUndefined();
    }
  });

  it('a listed origin gets CORS on every route and its streams open', async () => {
    await expectAllowed(t, { origin: 'https://app.example.com' }, 'https://app.example.com');
    await until(() => t.engine.streamSessions === 0 && t.engine.connections === 0, 'streams released');
  });

  it('an origin not listed is 403 ORIGIN_NOT_ALLOWED on every route, its preflight and the WebSocket upgrade; nothing is opened', async () => {
    const streams = await metric(t, 'supernova_stream_refused_total{reason="origin"}');
    const upgrades = await metric(t, 'supernova_connections_refused_total{reason="origin"}');
    await expectRefused(t, 'https://evil.example');
    expect(t.engine.streamSessions).toBe(0);
    expect(t.engine.connections).toBe(0);
    expect(await metric(t, 'supernova_stream_refused_total{reason="origin"}')).toBe(streams + 2 * endpoints.length);
    expect(await metric(t, 'supernova_connections_refused_total{reason="origin"}')).toBe(upgrades + 1);
  });

  it('a request without Origin (not a browser) is let in, without CORS headers', async () => {
    await expectAllowed(t, {}, undefined);
  });

  it('a page of the server\'s own host is let in whatever the list; the same origin under another Host is not', async () => {
    const own = `http://127.0.0.1:${t.port}`;
    await expectAllowed(t, { origin: own }, own);
    await expectRefused(t, 'http://127.0.0.1:1');
    await expectRefused(t, own, { host: 'other.example' });
  });

  it('a * pattern stands for any characters of the origin, case aside, and nothing else', async () => {
    for (const origin of ['https://a.trusted.example', 'https://a.b.trusted.example', 'HTTPS://Shop.Trusted.Example']) {
      const a = await send(t, 'POST', '/emulation', { origin }, endpoints[4]?.body);
      expect(a.status, origin).toBe(404);
      expect(a.headers['access-control-allow-origin'], origin).toBe(origin);
    }
    await expectAllowed(t, { origin: 'https://x.trusted.example' }, 'https://x.trusted.example');
    for (const origin of ['https://trusted.example', 'http://a.trusted.example', 'https://a.trusted.example.evil', 'https://evil.example/.trusted.example', 'null']) {
      const a = await send(t, 'POST', '/emulation', { origin }, endpoints[4]?.body);
      expect(a.status, origin).toBe(403);
    }
    await expectRefused(t, 'https://trusted.example');
  });

  it('a cross-origin page runs a whole session: stream, then commands over /emulation, each answer with CORS', async () => {
    const origin = 'https://app.example.com';
    const lines: Record<string, unknown>[] = [];
    const res = await fetch(`${t.http}/connection/http_stream`, { method: 'POST', headers: { origin, 'content-type': json }, body: connectBody });
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let buffer = '';
    const next = async (id: number): Promise<Record<string, unknown>> => {
      for (;;) {
        const found = lines.find((l) => l.id === id);
        if (found) return found;
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before reply ${id}`);
        buffer += new TextDecoder().decode(value);
        const parts = buffer.split('\n');
        buffer = parts.pop() ?? '';
        for (const p of parts) if (p !== '') lines.push(JSON.parse(p) as Record<string, unknown>);
      }
    };
    const { session, node } = (await next(1)).connect as { session: string; node: string };
    const emulated = await send(t, 'POST', '/emulation', { origin }, JSON.stringify({ session, node, data: JSON.stringify({ id: 2, subscribe: { channel: 'public:cors' } }) }));
    expect(emulated.status).toBe(204);
    expect(emulated.headers['access-control-allow-origin']).toBe(origin);
    expect((await next(2)).subscribe).toBeDefined();
    await reader.cancel();
    await until(() => t.engine.streamSessions === 0, 'released');
  });
});

describe('the list set to * or left unset', () => {
  it('* lets any origin in, echoing it (credentials forbid a literal *)', async () => {
    const any = await startEngine({ allowedOrigins: '*' });
    try {
      await expectAllowed(any, { origin: 'https://anything.example' }, 'https://anything.example');
    } finally {
      await any.stop();
    }
  });

  it('unset, as in Centrifugo, only the same origin and requests without Origin are let in', async () => {
    const plain = await startEngine({});
    try {
      await expectRefused(plain, 'https://app.example.com');
      await expectAllowed(plain, { origin: `http://127.0.0.1:${plain.port}` }, `http://127.0.0.1:${plain.port}`);
      await expectAllowed(plain, {}, undefined);
    } finally {
      await plain.stop();
    }
  });
});

describe('SUPERNOVA_ALLOWED_ORIGINS', () => {
  it('takes a comma-separated list, trimmed', () => {
    expect(loadConfig({ SUPERNOVA_ALLOWED_ORIGINS: ' https://a.example , https://*.b.example:8443,* ' }).allowedOrigins)
      .toEqual(['https://a.example', 'https://*.b.example:8443', '*']);
    expect(loadConfig({}).allowedOrigins).toEqual([]);
  });

  it('names the variable and the entry that is not an origin', () => {
    for (const bad of ['example.com', 'https://example.com/', 'https://example.com/app', '*.example.com', 'null']) {
      const problem = configProblem({ SUPERNOVA_ALLOWED_ORIGINS: `https://ok.example,${bad}` });
      expect(problem, bad).toContain('SUPERNOVA_ALLOWED_ORIGINS');
      expect(problem, bad).toContain(`${JSON.stringify(bad)} is not an origin`);
    }
  });
});
