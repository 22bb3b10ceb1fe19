import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { Centrifuge as ProtobufCentrifuge, type Options } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';
import { startEngine, type TestEngine } from '../support/engine.js';
import { api, connected, sdkClient, subscribed, until } from '../support/client.js';
import { connectedRaw } from '../support/raw-socket.js';

// The official SDK's protobuf build (what the Dart, Swift and Java SDKs speak too): it connects
// with subprotocol centrifuge-protobuf and carries data as bytes.
const SECRET = 'protobuf-test-secret-long-enough';
const key = new TextEncoder().encode(SECRET);
const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));
const value = (b: unknown): unknown => JSON.parse(dec.decode(b as Uint8Array));

function token(claims: Record<string, unknown>, expSeconds: number): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) + expSeconds).sign(key);
}

function pbClient(url: string, options: Partial<Options> = {}): ProtobufCentrifuge {
  return new ProtobufCentrifuge(url, { websocket: WebSocket, minReconnectDelay: 50, maxReconnectDelay: 200, timeout: 5000, ...options });
}

let t: TestEngine;
beforeAll(async () => {
  t = await startEngine({ apiKey: 'test-key', tokenHmacSecret: SECRET, maxFrameBytes: 256 * 1024 }, {
    'test.echo': (data) => ({ echo: data }),
    'test.fail': () => { throw new TypeError('handler bug'); },
  });
});
afterAll(async () => { await t.stop(); });

describe('centrifuge-js protobuf build', () => {
  it('connects over centrifuge-protobuf and gets the client id and server version', async () => {
    const c = pbClient(t.url);
    const ctx = await new Promise<{ client: string; transport: string }>((resolve) => { c.once('connected', resolve); c.connect(); });
    expect(ctx.client).toMatch(/^[0-9a-f-]{36}$/);
    expect(ctx.transport).toBe('websocket');
    c.disconnect();
    await until(() => t.engine.connections === 0, 'server to see the close');
  });

  it('publishes and receives its own bytes, with the publisher info', async () => {
    const c = pbClient(t.url);
    await connected(c as never);
    const sub = c.newSubscription('public:pb-own');
    const got: { data: unknown; client: string | undefined }[] = [];
    sub.on('publication', (ctx) => got.push({ data: ctx.data, client: ctx.info?.client }));
    sub.subscribe();
    await sub.ready(5000);
    await sub.publish(bytes({ text: 'hi' }));
    await until(() => got.length === 1, 'own publication');
    expect(got[0]?.data).toBeInstanceOf(Uint8Array);
    expect(value(got[0]?.data)).toEqual({ text: 'hi' });
    expect(got[0]?.client).toMatch(/^[0-9a-f-]{36}$/);
    c.disconnect();
  });

  it('a JSON publisher reaches a protobuf subscriber as JSON bytes, and the other way round', async () => {
    const pb = pbClient(t.url);
    const js = sdkClient(t.url);
    await Promise.all([connected(pb as never), connected(js)]);
    const pbGot: unknown[] = [];
    const jsGot: unknown[] = [];
    const pbSub = pb.newSubscription('public:mixed');
    pbSub.on('publication', (ctx) => pbGot.push(value(ctx.data)));
    pbSub.subscribe();
    await pbSub.ready(5000);
    const jsSub = await subscribed(js, 'public:mixed');
    jsSub.on('publication', (ctx) => jsGot.push(ctx.data));

    await jsSub.publish({ from: 'json', n: [1, 2.5, 'x', null, true] });
    await pbSub.publish(bytes({ from: 'protobuf', nested: { a: { b: 1 } } }));
    await t.engine.publish('public:mixed', { from: 'server' });
    await until(() => pbGot.length === 3 && jsGot.length === 3, 'three publications each');
    expect(pbGot).toEqual([{ from: 'json', n: [1, 2.5, 'x', null, true] }, { from: 'protobuf', nested: { a: { b: 1 } } }, { from: 'server' }]);
    expect(jsGot).toEqual(pbGot);
    pb.disconnect();
    js.disconnect();
  });

  it("a protobuf client's bytes go on byte for byte (whitespace, key order), live, in history and in recovery; JSON and msgpack clients get the value", async () => {
    const sent = enc.encode('{"input": "spaced  out",\n  "z": 1, "a": [1,  2]}');
    const pb = pbClient(t.url);
    const js = sdkClient(t.url);
    await Promise.all([connected(pb as never), connected(js)]);
    const pbGot: Uint8Array[] = [];
    const jsGot: unknown[] = [];
    const pbSub = pb.newSubscription('public:exact');
    pbSub.on('publication', (ctx) => pbGot.push(ctx.data as Uint8Array));
    pbSub.subscribe();
    await pbSub.ready(5000);
    const jsSub = await subscribed(js, 'public:exact');
    jsSub.on('publication', (ctx) => jsGot.push(ctx.data));
    const mp = await connectedRaw(t.url, 'msgpack');
    mp.send({ id: 2, subscribe: { channel: 'public:exact' } });
    await mp.reply(2);
    await pbSub.publish(sent);
    await until(() => pbGot.length === 1 && jsGot.length === 1 && mp.pushes().some((p) => p.pub), 'the publication everywhere');
    expect(Buffer.from(pbGot[0] as Uint8Array).equals(Buffer.from(sent))).toBe(true);
    const expected = { input: 'spaced  out', z: 1, a: [1, 2] };
    expect(jsGot[0]).toEqual(expected);
    expect((mp.pushes().find((p) => p.pub)?.pub as { data: unknown }).data).toEqual(expected);
    const hist = await pbSub.history({ limit: 1 });
    expect(Buffer.from(hist.publications[0]?.data as Uint8Array).equals(Buffer.from(sent))).toBe(true);
    const served = await api(t.http, 'history', { channel: 'public:exact', limit: 1 });
    expect((served.json.result as { publications: { data: unknown }[] }).publications[0]?.data).toEqual(expected);
    mp.close();
    pb.disconnect();
    js.disconnect();
  });

  it('publish data that is not JSON is refused with 107, and over the size limit with 107 too', async () => {
    const c = pbClient(t.url);
    await connected(c as never);
    const sub = c.newSubscription('public:pb-bad');
    sub.subscribe();
    await sub.ready(5000);
    await expect(sub.publish(new Uint8Array([0xff, 0x00, 0x01]))).rejects.toMatchObject({ code: 107 });
    await expect(sub.publish(enc.encode('{"unterminated":'))).rejects.toMatchObject({ code: 107 });
    await expect(sub.publish(bytes({ big: 'x'.repeat(70 * 1024) }))).rejects.toMatchObject({ code: 107 });
    // The connection stays: the next publish goes through.
    await expect(sub.publish(bytes({ ok: 1 }))).resolves.toBeDefined();
    expect(c.state).toBe('connected');
    c.disconnect();
  });

  it('presence and presence stats list the subscribers', async () => {
    const a = pbClient(t.url);
    const b = pbClient(t.url, { token: await token({ sub: 'alice', info: { role: 'trader' } }, 60) });
    await Promise.all([connected(a as never), connected(b as never)]);
    const subA = a.newSubscription('public:pb-presence');
    const joins: string[] = [];
    subA.on('join', (ctx) => joins.push(ctx.info.user));
    subA.subscribe();
    await subA.ready(5000);
    const subB = b.newSubscription('public:pb-presence');
    subB.subscribe();
    await subB.ready(5000);
    await until(() => joins.includes('alice'), 'join push of alice');
    const p = await subA.presence();
    const infos = Object.values(p.clients);
    expect(infos).toHaveLength(2);
    const alice = infos.find((i) => i.user === 'alice');
    expect(value(alice?.connInfo)).toEqual({ role: 'trader' });
    const stats = await subA.presenceStats();
    expect(stats).toEqual({ numClients: 2, numUsers: 2 });
    a.disconnect();
    b.disconnect();
  });

  it('history with limit, reverse and since, and error 112 for a wrong epoch', async () => {
    const c = pbClient(t.url);
    await connected(c as never);
    const sub = c.newSubscription('public:pb-hist');
    sub.subscribe();
    await sub.ready(5000);
    for (let i = 0; i < 5; i++) await t.engine.publish('public:pb-hist', { n: i });
    const h = await sub.history({ limit: 3 });
    expect(h.publications.map((p) => value(p.data))).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    expect(h.offset).toBe(5);
    const rev = await sub.history({ limit: 2, reverse: true });
    expect(rev.publications.map((p) => p.offset)).toEqual([5, 4]);
    const since = await sub.history({ limit: -1, since: { offset: 3, epoch: h.epoch } });
    expect(since.publications.map((p) => value(p.data))).toEqual([{ n: 3 }, { n: 4 }]);
    await expect(sub.history({ limit: -1, since: { offset: 1, epoch: 'other' } })).rejects.toMatchObject({ code: 112 });
    c.disconnect();
  });

  it('recovers every publication missed while disconnected, in order', async () => {
    const c = pbClient(t.url, { minReconnectDelay: 200, maxReconnectDelay: 200 });
    await connected(c as never);
    const sub = c.newSubscription('public:pb-recover');
    const values: number[] = [];
    let recovered: boolean | undefined;
    sub.on('subscribed', (ctx) => { if (ctx.wasRecovering) recovered = ctx.recovered; });
    sub.on('publication', (ctx) => values.push((value(ctx.data) as { n: number }).n));
    sub.subscribe();
    await sub.ready(5000);
    let n = 0;
    const publisher = setInterval(() => void t.engine.publish('public:pb-recover', { n: n++ }), 3);
    await until(() => values.length >= 20, 'first publications');
    const res = await api(t.http, 'disconnect', { user: '', disconnect: { code: 3011, reason: 'test drop' } });
    expect(res.status).toBe(200);
    await until(() => recovered !== undefined, 'resubscribe with recovery');
    await until(() => values.length >= 80, 'publications after recovery');
    clearInterval(publisher);
    const total = n;
    await until(() => values.length === total, `all ${total} publications`);
    expect(recovered).toBe(true);
    expect(values).toEqual(Array.from({ length: total }, (_, i) => i));
    c.disconnect();
  });

  it('rpc answers with bytes, an unknown method gets 104 and a failing handler 100', async () => {
    const c = pbClient(t.url);
    await connected(c as never);
    const res = await c.rpc('test.echo', bytes({ x: 1 }));
    expect(value(res.data)).toEqual({ echo: { x: 1 } });
    await expect(c.rpc('market.nope', bytes({}))).rejects.toMatchObject({ code: 104 });
    await expect(c.rpc('test.fail', bytes({}))).rejects.toMatchObject({ code: 100 });
    c.disconnect();
  });

  it('channel errors keep their codes: 102 unknown namespace, 103 permission, 105 already subscribed', async () => {
    const c = pbClient(t.url);
    await connected(c as never);
    await expect(c.publish('nosuchns:x', bytes({ a: 1 }))).rejects.toMatchObject({ code: 102 });
    await expect(c.publish('ticks:AAPL', bytes({ a: 1 }))).rejects.toMatchObject({ code: 103 });
    await expect(c.history('public:not-subscribed', { limit: 1 })).rejects.toMatchObject({ code: 103 });
    c.disconnect();
  });

  it('connection and subscription tokens: a user connects, a private channel needs its token', async () => {
    const c = pbClient(t.url, { token: await token({ sub: '42' }, 60) });
    await connected(c as never);
    const denied = c.newSubscription('private:pb-desk');
    const err = new Promise<number>((resolve) => denied.once('unsubscribed', (ctx) => resolve(ctx.code)));
    denied.subscribe();
    expect(await err).toBe(103);
    const sub = c.newSubscription('private:pb-desk2', { token: await token({ sub: '42', channel: 'private:pb-desk2' }, 60) });
    sub.subscribe();
    await sub.ready(5000);
    expect(sub.state).toBe('subscribed');
    c.disconnect();
  });

  it('an invalid token gets disconnect 3500 and the SDK does not reconnect', async () => {
    const bad = await new SignJWT({ sub: '1' }).setProtectedHeader({ alg: 'HS256' }).sign(enc.encode('another-secret-entirely-here'));
    const c = pbClient(t.url, { token: bad });
    const ctx = await new Promise<{ code: number }>((resolve) => { c.once('disconnected', resolve); c.connect(); });
    expect(ctx.code).toBe(3500);
    expect(c.state).toBe('disconnected');
  });

  it('an expiring token is refreshed through getToken on the protobuf wire', async () => {
    let refreshes = 0;
    const c = pbClient(t.url, {
      token: await token({ sub: '9' }, 2),
      getToken: async () => { refreshes++; return token({ sub: '9' }, 60); },
    });
    await connected(c as never);
    await until(() => refreshes === 1, 'a token refresh', 6000);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.state).toBe('connected');
    c.disconnect();
  });
});

describe('centrifuge-js protobuf build and server pings', () => {
  it('answers the empty-Reply ping with an empty Command and stays connected', async () => {
    const fast = await startEngine({ pingIntervalMs: 1000, pongTimeoutMs: 300 });
    try {
      const c = pbClient(fast.url);
      await connected(c as never);
      const drops: number[] = [];
      c.on('disconnected', (ctx) => drops.push(ctx.code));
      c.on('connecting', (ctx) => drops.push(ctx.code));
      // Three pings, each answered within the 300 ms the server waits.
      await new Promise((r) => setTimeout(r, 3300));
      expect(drops).toEqual([]);
      expect(c.state).toBe('connected');
      c.disconnect();
    } finally {
      await fast.stop();
    }
  });
});
