import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { Engine, loadConfig } from '../../src/index.js';
import { api, connected, sdkClient, subscribed, until } from '../support/client.js';

/**
 * The engine as `conformance/centrifuge-js.env` configures it for centrifuge-js' own live suite:
 * what that suite relies on of its Centrifugo, checked here with the same SDK so that the profile
 * cannot drift from what the engine accepts.
 */
const profile = parseEnv(readFileSync(new URL('../../conformance/centrifuge-js.env', import.meta.url), 'utf8'));
const secret = new TextEncoder().encode('secret');
const sign = (claims: Record<string, unknown>): Promise<string> => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(secret);

let engine: Engine;
let url: string;
let http: string;
beforeAll(async () => {
  const config = loadConfig(profile as Record<string, string>, { port: 0, host: '127.0.0.1', feed: 'none', logLevel: 'silent', sentiment: false, shutdownGraceMs: 500 });
  engine = new Engine({ config, logger: pino({ level: 'silent' }) });
  const { port } = await engine.start();
  url = `ws://127.0.0.1:${port}/connection/websocket`;
  http = `http://127.0.0.1:${port}`;
});
afterAll(async () => { await engine.stop(); });

describe('the centrifuge-js suite profile', () => {
  it('is what the suite expects of its server: port 8000, secret "secret", API key "test-api-key"', () => {
    const config = loadConfig(profile as Record<string, string>);
    expect(config.port).toBe(8000);
    expect(config.tokenHmacSecret).toBe('secret');
    expect(config.apiKey).toBe('test-api-key');
  });

  it('channels without a namespace take publish, presence (also without subscribing) and history', async () => {
    const c = sdkClient(url);
    await connected(c);
    const sub = await subscribed(c, 'test');
    const got: unknown[] = [];
    sub.on('publication', (ctx) => got.push(ctx.data));
    await sub.publish({ my: 'data' });
    await until(() => got.length === 1, 'own publication');
    expect(got[0]).toEqual({ my: 'data' });
    expect(await sub.presenceStats()).toEqual({ numClients: 1, numUsers: 1 });
    sub.unsubscribe();
    await until(() => sub.state === 'unsubscribed', 'unsubscribed');
    // The suite asks the client, no longer subscribed, for the channel's presence.
    const stats = await c.presenceStats('test');
    expect(stats).toEqual({ numClients: 0, numUsers: 0 });
    expect((await c.history('test', { limit: 1, reverse: true })).publications.map((p) => p.data)).toEqual([{ my: 'data' }]);
    c.disconnect();
  });

  it('an rpc no handler serves is 108, as the suite expects without an RPC proxy', async () => {
    const c = sdkClient(url);
    await connected(c);
    await expect(c.rpc('method', { my: 'data' })).rejects.toMatchObject({ code: 108 });
    c.disconnect();
  });

  it('an anonymous connection token (no sub) and a subscription token for "test1" are accepted', async () => {
    const c = sdkClient(url, { getToken: () => sign({}) });
    await connected(c);
    const sub = c.newSubscription('test1', { getToken: () => sign({ sub: '', channel: 'test1' }) });
    sub.subscribe();
    await sub.ready(5000);
    expect(sub.state).toBe('subscribed');
    c.disconnect();
  });

  it('publications made through the server API with X-API-Key are recovered from offset 0 with no epoch', async () => {
    const channel = `test_getstate_${Date.now()}`;
    for (let i = 1; i <= 3; i++) {
      const res = await fetch(`${http}/api/publish`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'test-api-key' }, body: JSON.stringify({ channel, data: { i } }) });
      expect(res.status).toBe(200);
    }
    const c = sdkClient(url);
    await connected(c);
    const got: unknown[] = [];
    const sub = c.newSubscription(channel, { since: { offset: 0, epoch: '' } });
    sub.on('publication', (ctx) => got.push(ctx.data));
    sub.subscribe();
    await until(() => got.length === 3, 'recovered publications');
    expect(got).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
    expect((await api(http, 'history', { channel, limit: 0 }, 'test-api-key')).status).toBe(200);
    c.disconnect();
  });
});
