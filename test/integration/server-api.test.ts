import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../support/engine.js';
import { api, connected, sdkClient, subscribed, until } from '../support/client.js';

let t: TestEngine;
beforeAll(async () => { t = await startEngine({ apiKey: 'test-key' }); });
afterAll(async () => { await t.stop(); });

describe('server HTTP API', () => {
  it('refuses a missing or wrong key with 401 JSON', async () => {
    expect(await api(t.http, 'publish', { channel: 'public:a', data: 1 }, 'wrong')).toMatchObject({ status: 401, json: { error: { code: 101 } } });
    const res = await fetch(`${t.http}/api/info`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 101 } });
  });

  it('publish and broadcast reach subscribers; history and channels report them', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const got: unknown[] = [];
    (await subscribed(c, 'public:api1')).on('publication', (ctx) => got.push(ctx.data));
    (await subscribed(c, 'public:api2')).on('publication', (ctx) => got.push(ctx.data));
    expect(await api(t.http, 'publish', { channel: 'public:api1', data: { a: 1 } })).toMatchObject({ status: 200, json: { result: { offset: 1 } } });
    const b = await api(t.http, 'broadcast', { channels: ['public:api1', 'public:api2', 'bogus:x'], data: { b: 2 } });
    expect(b.json).toMatchObject({ result: { responses: [{ result: { offset: 2 } }, { result: { offset: 1 } }, { error: { code: 102 } }] } });
    await until(() => got.length === 3, 'three publications');
    const h = await api(t.http, 'history', { channel: 'public:api1', limit: 10 });
    expect((h.json.result as { publications: { data: unknown }[] }).publications.map((p) => p.data)).toEqual([{ a: 1 }, { b: 2 }]);
    const ch = await api(t.http, 'channels', { pattern: 'public:api*' });
    expect(ch.json).toEqual({ result: { channels: { 'public:api1': { num_clients: 1 }, 'public:api2': { num_clients: 1 } } } });
    const info = await api(t.http, 'info', {});
    expect((info.json.result as { nodes: { num_clients: number }[] }).nodes[0]?.num_clients).toBe(1);
    const pres = await api(t.http, 'presence_stats', { channel: 'public:api1' });
    expect(pres.json).toEqual({ result: { num_clients: 1, num_users: 1 } });
    c.disconnect();
  });

  it('unsubscribe and disconnect act on a user\'s connections', async () => {
    const c = sdkClient(t.url, { minReconnectDelay: 60_000, maxReconnectDelay: 60_000 });
    await connected(c);
    const sub = await subscribed(c, 'public:kick');
    const unsub = new Promise<number>((resolve) => sub.once('unsubscribed', (ctx) => resolve(ctx.code)));
    await api(t.http, 'unsubscribe', { channel: 'public:kick', user: '' });
    expect(await unsub).toBe(2000);
    const dropped = new Promise<number>((resolve) => c.once('disconnected', (ctx) => resolve(ctx.code)));
    await api(t.http, 'disconnect', { user: '', disconnect: { code: 3503, reason: 'bye' } });
    expect(await dropped).toBe(3503);
  });

  it('bad requests get 400 JSON naming the problem', async () => {
    expect(await api(t.http, 'publish', { channel: 'public:a' })).toMatchObject({ status: 400, json: { error: { code: 107, message: expect.stringContaining('data') } } });
    expect(await api(t.http, 'publish', { channel: 'nope:a', data: 1 })).toMatchObject({ status: 404, json: { error: { code: 102 } } });
    const res = await fetch(`${t.http}/api/publish`, { method: 'POST', headers: { authorization: 'apikey test-key' }, body: '{not json' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    const health = await fetch(`${t.http}/performance/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', version: '0.1.0' });
  });

  it('/metrics is Prometheus text with the engine series', async () => {
    const text = await (await fetch(`${t.http}/metrics`)).text();
    for (const name of ['supernova_connections', 'supernova_commands_total', 'supernova_publications_total', 'supernova_messages_delivered_total', 'supernova_command_duration_seconds_bucket', 'process_cpu_user_seconds_total']) {
      expect(text).toContain(name);
    }
  });
});
