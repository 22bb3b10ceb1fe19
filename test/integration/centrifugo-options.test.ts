import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';
import { loadConfig } from '../../src/index.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { api, connected, sdkClient, subscribed, until } from '../support/client.js';
import { connectedRaw, RawSocket } from '../support/raw-socket.js';

// Options a Centrifugo user expects, each through the real SDK or the real HTTP API.
const namespaces = [
  { name: 'open', historySize: 10, presence: true, allowHistoryForClient: true, allowPresenceForClient: true },
  { name: 'sealed', historySize: 10, presence: true, allowHistoryForSubscriber: false, allowPresenceForSubscriber: false },
  { name: 'mine', historySize: 10, userLimited: true, anonymous: false, allowHistoryForClient: true },
];

let t: TestEngine;
beforeAll(async () => { t = await startEngine({ apiKey: 'test-key', channelWithoutNamespace: 'public', namespaces }); });
afterAll(async () => { await t.stop(); });

const pbClient = (url: string) => new ProtobufCentrifuge(url, { websocket: WebSocket, minReconnectDelay: 50, maxReconnectDelay: 200, timeout: 5000 });

describe('channels without a namespace', () => {
  it('take the options of SUPERNOVA_CHANNEL_WITHOUT_NAMESPACE: publish, history and presence as in `public`', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const got: unknown[] = [];
    const chat = await subscribed(c, 'chat');
    chat.on('publication', (ctx) => got.push(ctx.data));
    const room = await subscribed(c, 'room_1f3a', { recoverable: true });
    room.on('publication', (ctx) => got.push(ctx.data));
    await chat.publish({ text: 'hello' });
    await room.publish({ text: 'room' });
    await until(() => got.length === 2, 'two publications');
    expect(got).toEqual([{ text: 'hello' }, { text: 'room' }]);
    expect((await chat.history({ limit: 10 })).publications.map((p) => p.data)).toEqual([{ text: 'hello' }]);
    expect(Object.keys((await room.presence()).clients)).toHaveLength(1);
    // A namespace of the channel's own name still wins, and a channel with `:` still needs its namespace.
    const metrics = await subscribed(c, 'metrics');
    expect(metrics.state).toBe('subscribed');
    await expect(c.publish('metrics', { x: 1 })).rejects.toMatchObject({ code: 103 });
    await expect(c.publish('nosuch:chat', { x: 1 })).rejects.toMatchObject({ code: 102 });
    c.disconnect();
  });

  it('the server API publishes to them too', async () => {
    const c = pbClient(t.url);
    await connected(c as never);
    const sub = c.newSubscription('lobby');
    const got: string[] = [];
    sub.on('publication', (ctx) => got.push(new TextDecoder().decode(ctx.data as Uint8Array)));
    sub.subscribe();
    await sub.ready(5000);
    expect((await api(t.http, 'publish', { channel: 'lobby', data: { from: 'api' } })).status).toBe(200);
    await until(() => got.length === 1, 'publication');
    expect(got).toEqual(['{"from":"api"}']);
    c.disconnect();
  });

  it('without the option such a channel is error 102, and an unknown namespace for it is a config error naming the variable', async () => {
    const plain = await startEngine({});
    try {
      const c = sdkClient(plain.url);
      await connected(c);
      await expect(subscribed(c, 'chat')).rejects.toThrow(/102/);
      c.disconnect();
    } finally {
      await plain.stop();
    }
    expect(() => loadConfig({ SUPERNOVA_CHANNEL_WITHOUT_NAMESPACE: 'nope' })).toThrow(/SUPERNOVA_CHANNEL_WITHOUT_NAMESPACE="nope": no such namespace/);
    expect(() => loadConfig({ SUPERNOVA_CHANNEL_WITHOUT_NAMESPACE: 'bad name!' })).toThrow(/SUPERNOVA_CHANNEL_WITHOUT_NAMESPACE/);
  });
});

describe('subscribe fields of newer SDKs', () => {
  it('tagsFilter (tf) and delta from the JSON and protobuf SDKs are tolerated: the subscription works', async () => {
    const js = sdkClient(t.url);
    const pb = pbClient(t.url);
    await Promise.all([connected(js), connected(pb as never)]);
    const tf = { op: 'and', nodes: [{ key: 'kind', cmp: 'eq', val: 'trade' }, { op: 'not', nodes: [{ key: 'x', cmp: 'ex' }] }] };
    const jsSub = await subscribed(js, 'public:tf', { tagsFilter: tf, getState: async () => ({ offset: 0, epoch: '' }) } as never);
    const pbSub = pb.newSubscription('public:tf', { delta: 'fossil' });
    pbSub.subscribe();
    await pbSub.ready(5000);
    const got: unknown[] = [];
    jsSub.on('publication', (ctx) => got.push(ctx.data));
    pbSub.on('publication', (ctx) => got.push(JSON.parse(new TextDecoder().decode(ctx.data as Uint8Array))));
    await t.engine.publish('public:tf', { n: 1 });
    await until(() => got.length === 2, 'both subscribers');
    expect(got).toEqual([{ n: 1 }, { n: 1 }]);
    js.disconnect();
    pb.disconnect();
  });

  it('unknown flag bits and unknown fields on the JSON and msgpack wires are ignored', async () => {
    for (const encoding of ['json', 'msgpack'] as const) {
      const s = await connectedRaw(t.url, encoding);
      s.send({ id: 2, subscribe: { channel: 'public:flags', flag: 0x7fffffff, tf: { op: 'or', nodes: [] }, delta: 'fossil', type: 0, future_field: { a: 1 } } });
      expect((await s.reply(2)).subscribe).toBeDefined();
      s.send({ id: 3, publish: { channel: 'public:flags', data: { ok: true }, idempotency_key: 'k' } });
      expect((await s.reply(3)).error).toBeUndefined();
      s.close();
    }
  });
});

describe('history and presence for clients that are not subscribed', () => {
  it('allowHistoryForClient / allowPresenceForClient let any connected client read without subscribing', async () => {
    const reader = sdkClient(t.url);
    const member = sdkClient(t.url);
    await Promise.all([connected(reader), connected(member)]);
    await subscribed(member, 'open:room');
    await t.engine.publish('open:room', { n: 1 });
    const h = await reader.history('open:room', { limit: 10 });
    expect(h.publications.map((p) => p.data)).toEqual([{ n: 1 }]);
    expect(Object.keys((await reader.presence('open:room')).clients)).toHaveLength(1);
    expect(await reader.presenceStats('open:room')).toEqual({ numClients: 1, numUsers: 1 });
    // Where the namespace keeps to its subscribers (the default), a reader is refused.
    await expect(reader.history('public:room', { limit: 10 })).rejects.toMatchObject({ code: 103 });
    await expect(reader.presence('public:room')).rejects.toMatchObject({ code: 103 });
    reader.disconnect();
    member.disconnect();
  });

  it('allow*ForSubscriber off refuses even subscribers; a user-limited channel stays its users\' own', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const sealed = await subscribed(c, 'sealed:x');
    await expect(sealed.history({ limit: 1 })).rejects.toMatchObject({ code: 103 });
    await expect(sealed.presence()).rejects.toMatchObject({ code: 103 });
    // Anonymous, and not user 42: allowHistoryForClient does not open another user's channel.
    await expect(c.history('mine#42', { limit: 1 })).rejects.toMatchObject({ code: 103 });
    c.disconnect();
  });

  it('the protobuf SDK reads history of a channel it did not subscribe to', async () => {
    await t.engine.publish('open:pb', { n: 7 });
    const c = pbClient(t.url);
    await connected(c as never);
    const h = await c.history('open:pb', { limit: 10 });
    expect(h.publications.map((p) => JSON.parse(new TextDecoder().decode(p.data as Uint8Array)))).toEqual([{ n: 7 }]);
    c.disconnect();
  });
});

describe('server API: X-API-Key, batch, history_remove, subscribe and refresh', () => {
  const post = async (method: string, body: unknown, headers: Record<string, string>) => {
    const res = await fetch(`${t.http}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it('accepts X-API-Key: KEY as well as Authorization: apikey KEY, and refuses a wrong one with 401', async () => {
    expect(await post('info', {}, { 'x-api-key': 'test-key' })).toMatchObject({ status: 200 });
    expect(await post('info', {}, { 'X-API-Key': ' test-key ' })).toMatchObject({ status: 200 });
    expect(await post('info', {}, { 'x-api-key': 'wrong' })).toMatchObject({ status: 401, json: { error: { code: 101 } } });
    expect(await post('info', {}, { 'x-api-key': '' })).toMatchObject({ status: 401 });
  });

  it('batch runs its commands in order, each with its own reply or error', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const got: unknown[] = [];
    (await subscribed(c, 'public:batch')).on('publication', (ctx) => got.push(ctx.data));
    const res = await post('batch', {
      commands: [
        { publish: { channel: 'public:batch', data: { i: 1 } } },
        { publish: { channel: 'nope:x', data: 1 } },
        { publish: { channel: 'public:batch' } },
        { broadcast: { channels: ['public:batch'], data: { i: 2 } } },
        { history: { channel: 'public:batch', limit: 10 } },
        { batch: { commands: [] } },
        { publish: { channel: 'public:batch', data: 1 }, history: { channel: 'public:batch' } },
      ],
    }, { 'x-api-key': 'test-key' });
    expect(res.status).toBe(200);
    const replies = (res.json.result as { replies: Record<string, unknown>[] }).replies;
    expect(replies).toHaveLength(7);
    expect(replies[0]).toEqual({ publish: { offset: 1, epoch: expect.any(String) } });
    expect(replies[1]).toMatchObject({ error: { code: 102 } });
    expect(replies[2]).toMatchObject({ error: { code: 107, message: expect.stringContaining('data') } });
    expect(replies[3]).toMatchObject({ broadcast: { responses: [{ result: { offset: 2 } }] } });
    expect((replies[4]?.history as { publications: { data: unknown }[] }).publications.map((p) => p.data)).toEqual([{ i: 1 }, { i: 2 }]);
    expect(replies[5]).toMatchObject({ error: { code: 107 } });
    expect(replies[6]).toMatchObject({ error: { code: 107 } });
    await until(() => got.length === 2, 'two publications');
    const parallel = await api(t.http, 'batch', { parallel: true, commands: [{ publish: { channel: 'public:batch', data: 3 } }, { presence_stats: { channel: 'public:batch' } }] });
    expect((parallel.json.result as { replies: unknown[] }).replies).toEqual([{ publish: { offset: 3, epoch: expect.any(String) } }, { presence_stats: { num_clients: 1, num_users: 1 } }]);
    expect(await api(t.http, 'batch', { commands: 'no' })).toMatchObject({ status: 400, json: { error: { code: 107 } } });
    expect(await api(t.http, 'batch', { commands: [1, null] })).toMatchObject({ status: 400 });
    // Hostile commands get their own error replies: a wrong type, an inherited name, an empty command.
    const raw = await fetch(`${t.http}/api/batch`, {
      method: 'POST', headers: { 'x-api-key': 'test-key' },
      body: '{"commands":[{"publish":5},{"__proto__":{"channel":"public:batch"}},{"constructor":{}},{},{"toString":{}}]}',
    });
    expect(raw.status).toBe(200);
    const hostile = ((await raw.json()) as { result: { replies: { error?: { code: number } }[] } }).result.replies;
    expect(hostile.map((r) => r.error?.code)).toEqual([107, 107, 107, 107, 107]);
    expect(await api(t.http, 'batch', { commands: Array.from({ length: 1001 }, () => ({ info: {} })) })).toMatchObject({ status: 400 });
    c.disconnect();
  });

  it('history_remove empties a channel\'s history', async () => {
    for (let i = 0; i < 3; i++) await api(t.http, 'publish', { channel: 'public:wipe', data: { i } });
    const before = await api(t.http, 'history', { channel: 'public:wipe', limit: 10 });
    expect((before.json.result as { publications: unknown[] }).publications).toHaveLength(3);
    expect(await api(t.http, 'history_remove', { channel: 'public:wipe' })).toMatchObject({ status: 200, json: { result: {} } });
    const after = await api(t.http, 'history', { channel: 'public:wipe', limit: 10 });
    expect((after.json.result as { publications: unknown[] }).publications).toEqual([]);
    expect(await api(t.http, 'history_remove', { channel: 'nope:x' })).toMatchObject({ status: 404, json: { error: { code: 102 } } });
    expect(await api(t.http, 'history_remove', { channel: 7 })).toMatchObject({ status: 400 });
  });

  it('subscribe pushes a server-side subscription to a protobuf client, and refresh expired disconnects it with 3005', async () => {
    const c = pbClient(t.url);
    const subs: string[] = [];
    const pubs: string[] = [];
    c.on('subscribed', (ctx) => subs.push(ctx.channel));
    c.on('publication', (ctx) => pubs.push(`${ctx.channel} ${new TextDecoder().decode(ctx.data as Uint8Array)}`));
    await connected(c as never);
    expect((await api(t.http, 'subscribe', { user: '', channel: 'public:pushed-pb' })).status).toBe(200);
    await until(() => subs.includes('public:pushed-pb'), 'server-side subscribe push');
    await api(t.http, 'publish', { channel: 'public:pushed-pb', data: { via: 'server-side' } });
    await until(() => pubs.length === 1, 'publication on the server-side subscription');
    expect(pubs).toEqual(['public:pushed-pb {"via":"server-side"}']);
    const codes: number[] = [];
    c.on('disconnected', (ctx) => codes.push(ctx.code));
    c.on('connecting', (ctx) => codes.push(ctx.code));
    expect((await api(t.http, 'refresh', { user: '', expired: true })).status).toBe(200);
    await until(() => codes.includes(3005), 'refresh expired: 3005');
    c.disconnect();
  });
});

describe('personal channels (SUPERNOVA_PERSONAL_CHANNEL)', () => {
  it('subscribe each connection with a user to #ID server-side, where the server API reaches it; anonymous ones get none', async () => {
    const { SignJWT } = await import('jose');
    const secret = 'personal-channel-secret-long-enough';
    const p = await startEngine({ apiKey: 'test-key', tokenHmacSecret: secret, channelWithoutNamespace: 'public', personalChannel: true });
    try {
      const token = await new SignJWT({ sub: '42' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
      const c = sdkClient(p.url, { token });
      const subscribedTo: string[] = [];
      const got: unknown[] = [];
      c.on('subscribed', (ctx) => subscribedTo.push(ctx.channel));
      c.on('publication', (ctx) => got.push({ channel: ctx.channel, data: ctx.data }));
      await connected(c);
      await until(() => subscribedTo.includes('#42'), 'server-side subscription to #42');
      expect((await api(p.http, 'publish', { channel: '#42', data: { hello: 42 } })).status).toBe(200);
      await until(() => got.length === 1, 'personal publication');
      expect(got[0]).toEqual({ channel: '#42', data: { hello: 42 } });
      const anon = new RawSocket(p.url, 'json');
      await anon.opened;
      anon.send({ id: 1, connect: {} });
      expect((await anon.reply(1)).connect).not.toHaveProperty('subs');
      anon.close();
      c.disconnect();
    } finally {
      await p.stop();
    }
    expect(() => loadConfig({ SUPERNOVA_PERSONAL_CHANNEL: 'true' })).toThrow(/SUPERNOVA_PERSONAL_CHANNEL=true puts users in #ID channels, which need SUPERNOVA_CHANNEL_WITHOUT_NAMESPACE/);
    expect(() => loadConfig({ SUPERNOVA_PERSONAL_CHANNEL: 'true', SUPERNOVA_PERSONAL_CHANNEL_NAMESPACE: 'nope' })).toThrow(/SUPERNOVA_PERSONAL_CHANNEL_NAMESPACE="nope": no such namespace/);
  });
});
