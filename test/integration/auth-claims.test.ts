import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { Centrifuge as ProtobufCentrifuge, type Options } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';
import { startEngine, type TestEngine } from '../support/engine.js';
import { api, connected, sdkClient, until } from '../support/client.js';
import { RawSocket } from '../support/raw-socket.js';
import { REDIS_URL, redisReachable } from '../support/redis.js';
import { cleanPrefix, testPrefix } from '../support/redis-broker.js';

const SECRET = 'claims-test-secret-long-enough!!';
const key = new TextEncoder().encode(SECRET);
const now = (): number => Math.floor(Date.now() / 1000);
const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64');
/** Bytes that are not UTF-8, let alone JSON. */
const BINARY = Uint8Array.from([0, 1, 2, 0xfe, 0xff, 0x80]);

function token(claims: Record<string, unknown>, expSeconds = 60): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now() + expSeconds).sign(key);
}

function pbClient(url: string, options: Partial<Options> = {}): ProtobufCentrifuge {
  return new ProtobufCentrifuge(url, { websocket: WebSocket, minReconnectDelay: 50, maxReconnectDelay: 200, timeout: 5000, ...options });
}

async function raw(t: TestEngine, connectToken?: string): Promise<RawSocket> {
  const s = new RawSocket(t.url);
  await s.opened;
  s.send({ id: 1, connect: connectToken === undefined ? {} : { token: connectToken } });
  return s;
}

/** The connect reply, or the close code and reason when the connect is refused. */
async function connectOutcome(t: TestEngine, connectToken: string): Promise<{ reply?: Record<string, unknown>; closed?: number; reason?: string }> {
  const s = await raw(t, connectToken);
  const out = await Promise.race([s.reply(1).then((reply) => ({ reply })), s.closed.then((closed) => ({ closed, reason: s.closeReason }))]);
  s.close();
  return out;
}

let t: TestEngine;
beforeAll(async () => {
  t = await startEngine({ tokenHmacSecret: SECRET, expiredCloseDelayMs: 300, apiKey: 'test-key' }, {
    'test.meta': (_data, caller) => ({ meta: caller.meta ?? null }),
  });
});
afterAll(async () => { await t?.stop(); });

describe('b64info: binary connection and channel info', () => {
  it('a protobuf client sees the bytes as they are, a JSON client their base64, in presence and publications', async () => {
    const pb = pbClient(t.url, { token: await token({ sub: 'bin', b64info: b64(BINARY) }) });
    const js = sdkClient(t.url, { token: await token({ sub: 'reader' }) });
    await Promise.all([connected(pb as never), connected(js)]);
    const pbSub = pb.newSubscription('public:b64-bin');
    const pbSeen: unknown[] = [];
    pbSub.on('publication', (ctx) => pbSeen.push(ctx.info?.connInfo));
    pbSub.subscribe();
    await pbSub.ready(5000);
    const jsSub = js.newSubscription('public:b64-bin');
    const jsSeen: unknown[] = [];
    jsSub.on('publication', (ctx) => jsSeen.push(ctx.info?.connInfo));
    jsSub.subscribe();
    await jsSub.ready(5000);

    const pbPresence = Object.values((await pbSub.presence()).clients).find((c) => c.user === 'bin');
    expect(pbPresence?.connInfo).toBeInstanceOf(Uint8Array);
    expect(Array.from(pbPresence?.connInfo as Uint8Array)).toEqual(Array.from(BINARY));
    const jsPresence = Object.values((await jsSub.presence()).clients).find((c) => c.user === 'bin');
    expect(jsPresence?.connInfo).toBe(b64(BINARY));

    // The server API answers in JSON too; a msgpack client gets binary.
    const viaApi = (await api(t.http, 'presence', { channel: 'public:b64-bin' })).json as { result: { presence: Record<string, { user: string; conn_info?: unknown }> } };
    expect(Object.values(viaApi.result.presence).find((c) => c.user === 'bin')?.conn_info).toBe(b64(BINARY));
    const mp = new RawSocket(t.url, 'msgpack');
    await mp.opened;
    mp.send({ id: 1, connect: {} }, { id: 2, subscribe: { channel: 'public:b64-bin' } }, { id: 3, presence: { channel: 'public:b64-bin' } });
    const mpPresence = ((await mp.reply(3)).presence as { presence: Record<string, { user: string; conn_info?: unknown }> }).presence;
    const mpInfo = Object.values(mpPresence).find((c) => c.user === 'bin')?.conn_info;
    expect(mpInfo).toBeInstanceOf(Uint8Array);
    expect(Array.from(mpInfo as Uint8Array)).toEqual(Array.from(BINARY));
    mp.close();

    await pbSub.publish(new TextEncoder().encode('{"px":1}'));
    await until(() => pbSeen.length === 1 && jsSeen.length === 1, 'the publication on both encodings');
    expect(Array.from(pbSeen[0] as Uint8Array)).toEqual(Array.from(BINARY));
    expect(jsSeen[0]).toBe(b64(BINARY));
    pb.disconnect();
    js.disconnect();
  });

  it('bytes holding JSON reach a JSON client as that JSON and a protobuf client byte for byte; b64info wins over info', async () => {
    const text = '{ "name" : "Ada" }';
    const pb = pbClient(t.url, { token: await token({ sub: 'ada', info: { name: 'not this' }, b64info: b64(text) }) });
    const js = sdkClient(t.url);
    await Promise.all([connected(pb as never), connected(js)]);
    const pbSub = pb.newSubscription('public:b64-json');
    pbSub.subscribe();
    await pbSub.ready(5000);
    const jsSub = js.newSubscription('public:b64-json');
    jsSub.subscribe();
    await jsSub.ready(5000);
    const fromPb = Object.values((await pbSub.presence()).clients).find((c) => c.user === 'ada');
    expect(new TextDecoder().decode(fromPb?.connInfo as Uint8Array)).toBe(text);
    const fromJs = Object.values((await jsSub.presence()).clients).find((c) => c.user === 'ada');
    expect(fromJs?.connInfo).toEqual({ name: 'Ada' });
    pb.disconnect();
    js.disconnect();
  });

  it('a subscription token\'s b64info is the channel info, its b64data the subscribe reply\'s data', async () => {
    const pb = pbClient(t.url, { token: await token({ sub: 'chan' }) });
    const js = sdkClient(t.url);
    await Promise.all([connected(pb as never), connected(js)]);
    const pbSub = pb.newSubscription('public:b64-chan', { token: await token({ sub: 'chan', channel: 'public:b64-chan', b64info: b64(BINARY), b64data: b64(BINARY) }) });
    let subscribedData: unknown;
    pbSub.on('subscribed', (ctx) => { subscribedData = ctx.data; });
    pbSub.subscribe();
    await pbSub.ready(5000);
    expect(Array.from(subscribedData as Uint8Array)).toEqual(Array.from(BINARY));
    const jsSub = js.newSubscription('public:b64-chan');
    jsSub.subscribe();
    await jsSub.ready(5000);
    const fromPb = Object.values((await pbSub.presence()).clients).find((c) => c.user === 'chan');
    expect(Array.from(fromPb?.chanInfo as Uint8Array)).toEqual(Array.from(BINARY));
    const fromJs = Object.values((await jsSub.presence()).clients).find((c) => c.user === 'chan');
    expect(fromJs?.chanInfo).toBe(b64(BINARY));
    pb.disconnect();
    js.disconnect();
  });

  it('b64info that is not standard base64 is an invalid token (3500), in connection and subscription tokens', async () => {
    for (const bad of ['not base64!', 'AAA', 'AA==AA==', '_-8=', 42]) {
      const r = await connectOutcome(t, await token({ sub: 'x', b64info: bad }));
      expect(r.closed, JSON.stringify(bad)).toBe(3500);
      expect(r.reason).toMatch(/b64info must be standard base64/);
    }
    const s = await raw(t);
    expect((await s.reply(1)).connect).toBeDefined();
    // A subscription token that does not verify refuses that subscription (103), as in Centrifugo.
    s.send({ id: 2, subscribe: { channel: 'public:b64-bad', token: await token({ channel: 'public:b64-bad', b64info: '%%%' }) } });
    expect((await s.reply(2)).error).toMatchObject({ code: 103, message: expect.stringMatching(/b64info/) });
    expect(s.closeCode).toBeUndefined();
    s.close();
  });
});

describe('expire_at: connection and subscription expiry apart from the token\'s exp', () => {
  it('a connection expires at expire_at (3005), not at exp', async () => {
    // Two seconds ahead: one could pass between signing and connecting.
    const s = await raw(t, await token({ sub: 'e', expire_at: now() + 2 }, 3600));
    const reply = (await s.reply(1)).connect as { expires?: boolean; ttl?: number };
    expect(reply.expires).toBe(true);
    expect(reply.ttl).toBeLessThanOrEqual(2);
    expect(await s.closed).toBe(3005);
  });

  it('expire_at 0 never expires the connection; one in the past is error 109; one that is not a number is 3500', async () => {
    const never = await connectOutcome(t, await token({ sub: 'e', expire_at: 0 }, 5));
    expect(never.reply?.connect).toBeDefined();
    expect((never.reply?.connect as { expires?: boolean }).expires).toBeUndefined();
    const past = await connectOutcome(t, await token({ sub: 'e', expire_at: now() - 5 }));
    expect(past.reply?.error).toMatchObject({ code: 109 });
    for (const bad of ['soon', -1, 1.5]) {
      const r = await connectOutcome(t, await token({ sub: 'e', expire_at: bad }));
      expect(r.closed, JSON.stringify(bad)).toBe(3500);
      expect(r.reason).toMatch(/expire_at/);
    }
  });

  it('a subscription token\'s expire_at sets the subscription\'s ttl', async () => {
    const s = await raw(t);
    expect((await s.reply(1)).connect).toBeDefined();
    s.send({ id: 2, subscribe: { channel: 'private:ea', token: await token({ channel: 'private:ea', expire_at: now() + 600 }, 10) } });
    const sub = (await s.reply(2)).subscribe as { expires?: boolean; ttl?: number };
    expect(sub.expires).toBe(true);
    expect(sub.ttl).toBeGreaterThan(500);
    s.send({ id: 3, subscribe: { channel: 'private:ea0', token: await token({ channel: 'private:ea0', expire_at: 0 }, 10) } });
    expect(((await s.reply(3)).subscribe as { expires?: boolean }).expires).toBeUndefined();
    s.close();
  });
});

describe('subscription tokens: data, override and the client they are for', () => {
  it('data comes back in the subscribe reply, override applies to this subscription, client binds the token to one connection', async () => {
    const s = await raw(t);
    const { client } = (await s.reply(1)).connect as { client: string };
    s.send({ id: 2, subscribe: { channel: 'public:st', token: await token({ channel: 'public:st', client, b64data: b64('{"hello":1}'), override: { presence: { value: false } } }) } });
    expect(((await s.reply(2)).subscribe as { data?: unknown }).data).toEqual({ hello: 1 });
    s.send({ id: 3, presence: { channel: 'public:st' } });
    expect((await s.reply(3)).error).toMatchObject({ code: 108 });
    // market channels keep history but are neither positioned nor recoverable unless a token forces it.
    s.send(
      { id: 4, subscribe: { channel: 'market:st0', token: await token({ channel: 'market:st0' }) } },
      { id: 6, subscribe: { channel: 'market:st1', token: await token({ channel: 'market:st1', override: { force_positioning: { value: true } } }) } },
      { id: 7, subscribe: { channel: 'market:st2', token: await token({ channel: 'market:st2', override: { force_recovery: { value: true } } }) } },
    );
    const plain = (await s.reply(4)).subscribe as Record<string, unknown>;
    expect(plain.positioned).toBeUndefined();
    expect(plain.recoverable).toBeUndefined();
    expect((await s.reply(6)).subscribe).toMatchObject({ positioned: true, epoch: expect.any(String) });
    expect((await s.reply(7)).subscribe).toMatchObject({ recoverable: true, positioned: true });
    s.send({ id: 5, subscribe: { channel: 'public:st2', token: await token({ channel: 'public:st2', client: 'another-connection' }) } });
    expect((await s.reply(5)).error).toMatchObject({ code: 103, message: expect.stringMatching(/client mismatch/) });
    s.close();
  });

  it('a token not valid yet (nbf ahead) is error 109, as an expired one', async () => {
    const early = await new SignJWT({ sub: 'n' }).setProtectedHeader({ alg: 'HS256' }).setNotBefore(now() + 60).setExpirationTime(now() + 120).sign(key);
    expect((await connectOutcome(t, early)).reply?.error).toMatchObject({ code: 109 });
  });
});

describe('subs: server-side subscriptions with info, data and overrides', () => {
  it('each channel of subs is subscribed with its channel info and its data in the connect reply', async () => {
    const claims = {
      sub: 'desk',
      channels: ['public:ss0'],
      subs: {
        'public:ss1': { info: { seat: 3 }, data: { welcome: 1 } },
        'public:ss2': { b64data: b64('{"w":2}'), b64info: b64(BINARY), override: { presence: { value: false }, force_push_join_leave: { value: true } } },
      },
    };
    const s = await raw(t, await token(claims));
    const connect = (await s.reply(1)).connect as { client: string; subs: Record<string, { data?: unknown }> };
    expect(Object.keys(connect.subs).sort()).toEqual(['public:ss0', 'public:ss1', 'public:ss2']);
    expect(connect.subs['public:ss1']?.data).toEqual({ welcome: 1 });
    expect(connect.subs['public:ss2']?.data).toEqual({ w: 2 });
    s.send({ id: 2, presence: { channel: 'public:ss1' } }, { id: 3, presence: { channel: 'public:ss2' } });
    const p1 = ((await s.reply(2)).presence as { presence: Record<string, { chan_info?: unknown }> }).presence;
    expect(p1[connect.client]?.chan_info).toEqual({ seat: 3 });
    // Presence overridden off: the connection has none there, and is not in others' presence.
    expect((await s.reply(3)).error).toMatchObject({ code: 108 });
    const other = await raw(t);
    expect((await other.reply(1)).connect).toBeDefined();
    other.send({ id: 2, subscribe: { channel: 'public:ss2' } });
    expect((await other.reply(2)).subscribe).toBeDefined();
    other.send({ id: 3, presence: { channel: 'public:ss2' } });
    const p2 = ((await other.reply(3)).presence as { presence: Record<string, unknown> }).presence;
    expect(Object.keys(p2)).toHaveLength(1);
    expect(p2[connect.client]).toBeUndefined();
    other.close();
    s.close();

    // The SDK gets the data in its server-side subscribed event.
    const c = sdkClient(t.url, { token: await token(claims) });
    const data: Record<string, unknown> = {};
    c.on('subscribed', (ctx) => { data[ctx.channel] = ctx.data; });
    await connected(c);
    await until(() => Object.keys(data).length === 3, 'three server-side subscriptions');
    expect(data['public:ss1']).toEqual({ welcome: 1 });
    c.disconnect();
  });

  it('subs that are not a map of channel options are an invalid token (3500)', async () => {
    const cases: [unknown, RegExp][] = [
      [['public:a'], /subs must be an object/],
      [{ 'public:a': 'yes' }, /subs\.public:a must be an object/],
      [{ 'public:a': { override: { presence: true } } }, /override\.presence must be \{"value": true\|false\}/],
      [{ 'public:a': { override: { history: { value: true } } } }, /override\.history is not an override/],
      [{ 'public:a': { b64data: 'nope!' } }, /b64data must be standard base64/],
    ];
    for (const [subs, reason] of cases) {
      const r = await connectOutcome(t, await token({ sub: 'x', subs }));
      expect(r.closed, JSON.stringify(subs)).toBe(3500);
      expect(r.reason).toMatch(reason);
    }
  });
});

describe('meta: server-side connection data', () => {
  it('reaches RPC handlers and never a client; refreshed with the token', async () => {
    const c = sdkClient(t.url, { token: await token({ sub: 'm', meta: { plan: 'pro' } }) });
    await connected(c);
    expect((await c.rpc('test.meta', {})).data).toEqual({ meta: { plan: 'pro' } });
    c.disconnect();
    const anonymous = sdkClient(t.url);
    await connected(anonymous);
    expect((await anonymous.rpc('test.meta', {})).data).toEqual({ meta: null });
    anonymous.disconnect();
    const r = await connectOutcome(t, await token({ sub: 'm', meta: ['plan'] }));
    expect(r).toMatchObject({ closed: 3500, reason: expect.stringMatching(/meta must be a JSON object/) });
  });
});

describe.runIf(await redisReachable())('b64info across nodes on Redis', () => {
  const prefix = testPrefix('b64info');
  const nodes: TestEngine[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) nodes.push(await startEngine({ tokenHmacSecret: SECRET, redisUrl: REDIS_URL, redisPrefix: prefix }));
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await cleanPrefix(prefix);
  });

  it('presence, publications and history read back from Redis show the bytes as on the node that set them', async () => {
    const [a, b] = nodes as [TestEngine, TestEngine];
    const pb = pbClient(a.url, { token: await token({ sub: 'bin', b64info: b64(BINARY) }) });
    const js = sdkClient(b.url);
    const pbFar = pbClient(b.url);
    await Promise.all([connected(pb as never), connected(js), connected(pbFar as never)]);
    const pbSub = pb.newSubscription('public:b64-redis');
    pbSub.subscribe();
    await pbSub.ready(5000);
    const jsSub = js.newSubscription('public:b64-redis');
    const jsSeen: unknown[] = [];
    jsSub.on('publication', (ctx) => jsSeen.push(ctx.info?.connInfo));
    jsSub.subscribe();
    await jsSub.ready(5000);
    const farSub = pbFar.newSubscription('public:b64-redis');
    const farSeen: unknown[] = [];
    farSub.on('publication', (ctx) => farSeen.push(ctx.info?.connInfo));
    farSub.subscribe();
    await farSub.ready(5000);

    const jsPresence = Object.values((await jsSub.presence()).clients).find((c) => c.user === 'bin');
    expect(jsPresence?.connInfo).toBe(b64(BINARY));
    const farPresence = Object.values((await farSub.presence()).clients).find((c) => c.user === 'bin');
    expect(Array.from(farPresence?.connInfo as Uint8Array)).toEqual(Array.from(BINARY));

    await pbSub.publish(new TextEncoder().encode('{"px":2}'));
    await until(() => jsSeen.length === 1 && farSeen.length === 1, 'the publication on the other node');
    expect(jsSeen[0]).toBe(b64(BINARY));
    expect(Array.from(farSeen[0] as Uint8Array)).toEqual(Array.from(BINARY));
    const history = await jsSub.history({ limit: 10 });
    expect(history.publications.at(-1)?.info?.connInfo).toBe(b64(BINARY));
    for (const c of [pb, pbFar]) c.disconnect();
    js.disconnect();
  });
});
