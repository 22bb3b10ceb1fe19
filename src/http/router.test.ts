import * as uWS from 'uWebSockets.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from './http-error.js';
import { Router } from './router.js';

let socket: uWS.us_listen_socket | undefined;
let base = '';
const observed: string[] = [];

beforeAll(async () => {
  const app = uWS.App();
  const router = new Router({
    log: pino({ level: 'silent' }),
    maxBodyBytes: 64,
    onResponse: (route, status, _s, method) => observed.push(`${method} ${route} ${status}`),
  });
  router.get('/items/:id', (ctx) => ({ body: { id: ctx.params.id, q: ctx.query.get('q') } }));
  router.get('/items/:id/parts/:part', (ctx) => ({ body: ctx.params }));
  router.post('/items', (ctx) => ({ status: 201, body: { got: ctx.json() } }));
  router.post('/bulk', (ctx) => ({ body: { bytes: ctx.body.length } }), { maxBodyBytes: 256 });
  router.post('/items/:id', async (ctx) => {
    await new Promise((r) => setTimeout(r, 5));
    // Read after an await: the request's copy must outlive the uWS callback.
    return { body: { id: ctx.params.id, agent: ctx.headers['user-agent'] } };
  });
  router.get('/boom', () => {
    throw new Error('a bug');
  });
  router.get('/teapot', () => {
    throw new HttpError(418, 'TEAPOT', 'short and stout');
  });
  router.attach(app);
  socket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('listen failed'))));
  });
  base = `http://127.0.0.1:${uWS.us_socket_local_port(socket)}`;
});

afterAll(() => {
  if (socket) uWS.us_listen_socket_close(socket);
});

describe('Router', () => {
  it('matches parameters natively and decodes them', async () => {
    const res = await fetch(`${base}/items/a%20b?q=1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'a b', q: '1' });
    expect(await (await fetch(`${base}/items/x/parts/y`)).json()).toEqual({ id: 'x', part: 'y' });
  });

  it('answers a malformed escape with 400, not a crash', async () => {
    const res = await fetch(`${base}/items/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'BAD_REQUEST', message: expect.stringContaining('bad URL encoding') } });
  });

  it('resolves paths with empty segments through its own matcher', async () => {
    const res = await fetch(`${base}/items//7/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: '7', q: null });
  });

  it('answers HEAD on a GET route without a body', async () => {
    const res = await fetch(`${base}/items/1`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('answers unknown paths with 404 and wrong methods with 405, in JSON', async () => {
    const missing = await fetch(`${base}/nothing/here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route GET /nothing/here' } });
    const wrong = await fetch(`${base}/items/1/parts/2`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toContain('use GET');
  });

  it('keeps the request readable across an await', async () => {
    const res = await fetch(`${base}/items/9`, { method: 'POST', headers: { 'user-agent': 'router-test' } });
    expect(await res.json()).toEqual({ id: '9', agent: 'router-test' });
  });

  it('parses JSON bodies, refuses bad and oversized ones', async () => {
    const ok = await fetch(`${base}/items`, { method: 'POST', body: '{"a":1}' });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ got: { a: 1 } });
    const bad = await fetch(`${base}/items`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('not valid JSON');
    const big = await fetch(`${base}/items`, { method: 'POST', body: JSON.stringify({ a: 'x'.repeat(100) }) });
    expect(big.status).toBe(413);
  });

  it('holds a route to its own body limit instead of the router\'s', async () => {
    const atLimit = await fetch(`${base}/bulk`, { method: 'POST', body: 'x'.repeat(256) });
    expect(await atLimit.json()).toEqual({ bytes: 256 });
    const over = await fetch(`${base}/bulk`, { method: 'POST', body: 'x'.repeat(257) });
    expect(over.status).toBe(413);
    expect(await over.json()).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'body over 256 bytes' } });
  });

  it('hides handler bugs behind a 500 and passes HttpErrors through', async () => {
    const boom = await fetch(`${base}/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal server error' } });
    const teapot = await fetch(`${base}/teapot`);
    expect(teapot.status).toBe(418);
    expect(((await teapot.json()) as { error: { code: string } }).error.code).toBe('TEAPOT');
  });

  it('labels metrics with the route pattern, not the path', () => {
    expect(observed).toContain('get /items/:id 200');
    expect(observed).toContain('head /items/:id 200');
    expect(observed).toContain('get unmatched 404');
    expect(observed).toContain('delete unmatched 405');
  });
});
