import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import type { Centrifuge } from 'centrifuge';
import { startEngine, type TestEngine } from '../support/engine.js';
import { api, connected, subscribed, until } from '../support/client.js';
import { emulatedClient, type EmulatedTransport } from '../support/emulation-client.js';

// The official centrifuge-js over HTTP-streaming (JSON and protobuf) and SSE: the behaviours an
// SDK user depends on, through /connection/http_stream, /connection/sse and /emulation.

const SECRET = 'emulation-test-secret-long-enough';
const key = new TextEncoder().encode(SECRET);

function token(claims: Record<string, unknown>, expSeconds: number): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) + expSeconds).sign(key);
}

let t: TestEngine;
beforeAll(async () => {
  t = await startEngine({ apiKey: 'test-key', tokenHmacSecret: SECRET, expiredCloseDelayMs: 500 }, {
    'test.echo': (data) => ({ echo: data }),
  });
});
afterAll(async () => { await t.stop(); });

const cases: { name: string; transport: EmulatedTransport; protobuf: boolean }[] = [
  { name: 'http_stream json', transport: 'http_stream', protobuf: false },
  { name: 'http_stream protobuf', transport: 'http_stream', protobuf: true },
  { name: 'sse json', transport: 'sse', protobuf: false },
];

const text = (data: unknown, protobuf: boolean): unknown => (protobuf ? JSON.parse(new TextDecoder().decode(data as Uint8Array)) : data);
const payload = (value: unknown, protobuf: boolean): unknown => (protobuf ? new TextEncoder().encode(JSON.stringify(value)) : value);

describe.each(cases)('centrifuge-js over $name', ({ transport, protobuf }) => {
  const client = (options = {}): Centrifuge => emulatedClient(t.http, transport, options, protobuf);

  it('connects, subscribes, publishes, reads presence and history', async () => {
    const c = client();
    let used = '';
    c.on('connected', (ctx) => { used = ctx.transport; });
    await connected(c);
    expect(used).toBe(transport);
    const channel = `public:${transport}-${protobuf ? 'pb' : 'js'}-basic`;
    const sub = await subscribed(c, channel);
    const got: unknown[] = [];
    sub.on('publication', (ctx) => got.push(text(ctx.data, protobuf)));
    await sub.publish(payload({ n: 1 }, protobuf));
    expect((await api(t.http, 'publish', { channel, data: { n: 2 } })).status).toBe(200);
    await until(() => got.length === 2, 'two publications');
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
    const presence = await sub.presence();
    expect(Object.values(presence.clients).map((i) => i.client)).toEqual([(c as unknown as { _client: string })._client]);
    const history = await sub.history({ limit: 10 });
    expect(history.publications.map((p) => text(p.data, protobuf))).toEqual([{ n: 1 }, { n: 2 }]);
    expect(t.engine.streamSessions).toBeGreaterThan(0);
    c.disconnect();
    await until(() => t.engine.streamSessions === 0, 'session released after disconnect');
  });

  it('rpc answers, and errors keep their codes (104, 103, 102)', async () => {
    const c = client();
    await connected(c);
    const echo = await c.rpc('test.echo', payload({ x: 1 }, protobuf));
    expect(text(echo.data, protobuf)).toEqual({ echo: { x: 1 } });
    await expect(c.rpc('market.nope', payload({}, protobuf))).rejects.toMatchObject({ code: 104 });
    await expect(c.publish('metrics', payload({ x: 1 }, protobuf))).rejects.toMatchObject({ code: 103 });
    await expect(c.publish('nosuch:chat', payload({ x: 1 }, protobuf))).rejects.toMatchObject({ code: 102 });
    c.disconnect();
  });

  it('recovers every missed publication after the server drops its transport', async () => {
    const c = client({ minReconnectDelay: 200, maxReconnectDelay: 200 });
    await connected(c);
    const channel = `public:${transport}-${protobuf ? 'pb' : 'js'}-recovery`;
    const sub = await subscribed(c, channel);
    const values: number[] = [];
    const drops: number[] = [];
    c.on('connecting', (ctx) => drops.push(ctx.code));
    let recovered: boolean | undefined;
    sub.on('subscribed', (ctx) => { if (ctx.wasRecovering) recovered = ctx.recovered; });
    sub.on('publication', (ctx) => values.push((text(ctx.data, protobuf) as { n: number }).n));
    let n = 0;
    const publisher = setInterval(() => void t.engine.publish(channel, { n: n++ }), 5);
    await until(() => values.length >= 20, 'first publications');
    expect((await api(t.http, 'disconnect', { user: '', disconnect: { code: 3011, reason: 'test drop' } })).status).toBe(200);
    await until(() => recovered !== undefined, 'resubscribe with recovery', 5000);
    await until(() => values.length >= 100, 'publications after recovery', 8000);
    clearInterval(publisher);
    const total = n;
    await until(() => values.length === total, `all ${total} publications`);
    expect(drops).toContain(3011);
    expect(recovered).toBe(true);
    expect(values).toEqual(Array.from({ length: total }, (_, i) => i));
    c.disconnect();
  });

  it('refreshes an expiring connection token through getToken and stays connected', async () => {
    let refreshes = 0;
    const c = client({ token: await token({ sub: 'u7' }, 2), getToken: async () => { refreshes++; return token({ sub: 'u7' }, 60); } });
    const disconnects: number[] = [];
    c.on('disconnected', (ctx) => disconnects.push(ctx.code));
    await connected(c);
    await until(() => refreshes >= 1, 'token refresh', 6000);
    await new Promise((r) => setTimeout(r, 2500));
    expect(c.state).toBe('connected');
    expect(disconnects).toEqual([]);
    c.disconnect();
  });

  it('a bad token is disconnect 3500 with no reconnect', async () => {
    const bad = await new SignJWT({ sub: '1' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('another-secret-entirely-here'));
    const c = client({ token: bad });
    const code = await new Promise<number>((resolve) => {
      c.on('disconnected', (ctx) => resolve(ctx.code));
      c.connect();
    });
    expect(code).toBe(3500);
    expect(c.state).toBe('disconnected');
  });
});
