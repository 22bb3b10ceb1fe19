import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';
import { applyDelta } from 'fossil-delta';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { connectedRaw } from '../support/raw-socket.js';
import { expectJsonDeltaChain, expectRecoveryThenDeltas, marketSnapshot, metric as engineMetric } from '../support/delta.js';
import { loadConfig } from '../../src/index.js';

// Fossil delta compression (Centrifugo 5.4+) through the official SDK, which applies the deltas
// itself: if a delta were wrong, its data would differ from a plain subscriber's or fail to apply.

let t: TestEngine;
beforeAll(async () => { t = await startEngine({ apiKey: 'test-key' }); });
afterAll(async () => { await t.stop(); });

const dec = new TextDecoder();
const pbClient = (url: string) => new ProtobufCentrifuge(url, { websocket: WebSocket, minReconnectDelay: 50, maxReconnectDelay: 200, timeout: 5000 });

async function publishAll(channel: string, from: number, to: number): Promise<unknown[]> {
  const sent: unknown[] = [];
  for (let i = from; i < to; i++) {
    const s = marketSnapshot(channel, i);
    sent.push(s);
    await t.engine.publish(channel, s);
  }
  return sent;
}

describe('fossil delta with the JSON SDK', () => {
  it('a delta subscriber ends with the same data as a plain one, mostly from deltas', async () => {
    const channel = 'market:DJS';
    const c = sdkClient(t.url);
    await connected(c);
    const plain = await subscribed(c, channel);
    const c2 = sdkClient(t.url);
    await connected(c2);
    const delta = c2.newSubscription(channel, { delta: 'fossil' });
    const gotPlain: unknown[] = [];
    const gotDelta: unknown[] = [];
    plain.on('publication', (ctx) => gotPlain.push(ctx.data));
    delta.on('publication', (ctx) => gotDelta.push(ctx.data));
    delta.subscribe();
    await delta.ready(5000);
    const sent = await publishAll(channel, 0, 40);
    await until(() => gotDelta.length === 40 && gotPlain.length === 40, 'forty each');
    expect(gotDelta).toEqual(sent);
    expect(gotPlain).toEqual(sent);
    const stats = delta.deltaStats();
    expect(stats.numFullPayloads).toBe(1);
    expect(stats.numDeltaPayloads).toBe(39);
    expect(stats.bytesReceived).toBeLessThan(stats.bytesDecoded);
    c.disconnect();
    c2.disconnect();
  });

  it('on the wire: delta:true in the reply, the first publication whole as a JSON string, then deltas against it', async () => {
    const channel = 'market:DRAW';
    const s = await connectedRaw(t.url);
    s.send({ id: 2, subscribe: { channel, delta: 'fossil' } });
    expect((await s.reply(2)).subscribe).toMatchObject({ delta: true });
    const p = await connectedRaw(t.url);
    p.send({ id: 2, subscribe: { channel } });
    expect((await p.reply(2)).subscribe).not.toHaveProperty('delta');
    const rawBytes = { delta: 0, plain: 0 };
    s.ws.on('message', (d: Buffer) => { rawBytes.delta += d.length; });
    p.ws.on('message', (d: Buffer) => { rawBytes.plain += d.length; });
    const sent = await publishAll(channel, 0, 20);
    await until(() => s.pushes().length === 20 && p.pushes().length === 20, 'twenty each');
    expectJsonDeltaChain(s.pushes(), sent);
    expect(p.pushes().map((x) => (x.pub as { data: unknown }).data)).toEqual(sent);
    // These snapshots change 8 of 18 fields each time; bench:delta measures the pipeline's own.
    expect(rawBytes.delta * 1.3).toBeLessThan(rawBytes.plain);
    s.close();
    p.close();
  });

  it('a subscriber that joins mid-stream gets its first publication whole while the others keep getting deltas', async () => {
    const channel = 'market:DLATE';
    const early = await connectedRaw(t.url);
    early.send({ id: 2, subscribe: { channel, delta: 'fossil' } });
    await early.reply(2);
    await publishAll(channel, 0, 5);
    await until(() => early.pushes().length === 5, 'early five');
    const late = sdkClient(t.url);
    await connected(late);
    const sub = await subscribed(late, channel, { delta: 'fossil' });
    const got: unknown[] = [];
    sub.on('publication', (ctx) => got.push(ctx.data));
    // deliverLatest: the subscribe reply held snapshot 4, whole.
    const sent = await publishAll(channel, 5, 15);
    await until(() => got.length >= 10 && early.pushes().length === 15, 'ten more');
    expect(got.slice(-10)).toEqual(sent);
    const earlyPubs = early.pushes().map((x) => x.pub as { delta?: boolean });
    expect(earlyPubs.slice(1).every((p) => p.delta === true)).toBe(true);
    expect(sub.deltaStats().numDeltaPayloads).toBe(9);
    early.close();
    late.disconnect();
  });
});

describe('fossil delta with the protobuf SDK', () => {
  it('deltas apply to bytes and give the JSON bytes a plain subscriber gets', async () => {
    const channel = 'market:DPB';
    const c = pbClient(t.url);
    await connected(c as never);
    const delta = c.newSubscription(channel, { delta: 'fossil' });
    // One client holds one subscription per channel: the plain one is another client.
    const c2 = pbClient(t.url);
    await connected(c2 as never);
    const plain2 = c2.newSubscription(channel);
    const gotPlain: unknown[] = [];
    const gotDelta: unknown[] = [];
    plain2.on('publication', (ctx) => gotPlain.push(JSON.parse(dec.decode(ctx.data as Uint8Array))));
    delta.on('publication', (ctx) => gotDelta.push(JSON.parse(dec.decode(ctx.data as Uint8Array))));
    plain2.subscribe();
    delta.subscribe();
    await Promise.all([plain2.ready(5000), delta.ready(5000)]);
    const sent = await publishAll(channel, 0, 30);
    await until(() => gotDelta.length === 30 && gotPlain.length === 30, 'thirty each');
    expect(gotDelta).toEqual(sent);
    expect(gotPlain).toEqual(sent);
    const stats = delta.deltaStats();
    expect(stats.numDeltaPayloads).toBe(29);
    expect(stats.bytesReceived).toBeLessThan(stats.bytesDecoded);
    c.disconnect();
    c2.disconnect();
  });

  it('on the wire the protobuf publication carries delta = true and the patch bytes', async () => {
    const channel = 'market:DPBRAW';
    const s = await connectedRaw(t.url, 'protobuf');
    s.send({ id: 2, subscribe: { channel, delta: 'fossil' } });
    expect((await s.reply(2)).subscribe).toMatchObject({ delta: true });
    const sent = await publishAll(channel, 0, 3);
    await until(() => s.pushes().length === 3, 'three');
    const pubs = s.pushes().map((x) => x.pub as { data: string; delta?: boolean });
    expect(pubs.map((p) => p.delta === true)).toEqual([false, true, true]);
    let prev = Buffer.from(pubs[0]?.data as string, 'base64');
    expect(JSON.parse(prev.toString())).toEqual(sent[0]);
    for (let i = 1; i < 3; i++) {
      prev = Buffer.from(applyDelta(new Uint8Array(prev), new Uint8Array(Buffer.from(pubs[i]?.data as string, 'base64'))));
      expect(JSON.parse(prev.toString())).toEqual(sent[i]);
    }
    s.close();
  });
});

describe('fossil delta and recovery', () => {
  it('after a dropped connection the recovered publications come whole, then deltas resume', async () => {
    const channel = 'bars:1s:DREC';
    const c = sdkClient(t.url, { minReconnectDelay: 200, maxReconnectDelay: 200 });
    await expectRecoveryThenDeltas({ http: t.http, client: c, channel, value: (d) => d, publish: (from, to) => publishAll(channel, from, to) });
    c.disconnect();
  });
});

describe('where delta is not allowed, and hostile delta fields', () => {
  it('a namespace without allowedDeltaTypes subscribes without delta, as Centrifugo does, and sends plain data', async () => {
    const s = await connectedRaw(t.url);
    s.send({ id: 2, subscribe: { channel: 'public:nodelta', delta: 'fossil' } });
    const reply = (await s.reply(2)).subscribe as Record<string, unknown>;
    expect(reply).toBeDefined();
    expect(reply).not.toHaveProperty('delta');
    await t.engine.publish('public:nodelta', { a: 1 });
    await t.engine.publish('public:nodelta', { a: 2 });
    const pubs = () => s.pushes().filter((p) => p.pub !== undefined);
    await until(() => pubs().length === 2, 'two');
    expect(pubs().map((p) => p.pub)).toEqual([expect.objectContaining({ data: { a: 1 } }), expect.objectContaining({ data: { a: 2 } })]);
    s.close();
    // The SDK goes on as a plain subscription.
    const c = sdkClient(t.url);
    await connected(c);
    const sub = await subscribed(c, 'public:nodelta2', { delta: 'fossil' });
    const got: unknown[] = [];
    sub.on('publication', (ctx) => got.push(ctx.data));
    await t.engine.publish('public:nodelta2', { b: 1 });
    await until(() => got.length === 1, 'one');
    expect(got).toEqual([{ b: 1 }]);
    expect(sub.deltaStats().numPublications).toBe(0);
    c.disconnect();
  });

  it('msgpack subscribers never get deltas: no SDK applies them in that encoding', async () => {
    const s = await connectedRaw(t.url, 'msgpack');
    s.send({ id: 2, subscribe: { channel: 'market:DMP', delta: 'fossil' } });
    expect((await s.reply(2)).subscribe).not.toHaveProperty('delta');
    await t.engine.publish('market:DMP', { a: 1 });
    await until(() => s.pushes().length === 1, 'one');
    expect((s.pushes()[0]?.pub as { data: unknown }).data).toEqual({ a: 1 });
    s.close();
  });

  it.each([
    ['a number', 123],
    ['an unknown type', 'zstd'],
    ['a long string', 'f'.repeat(10_000)],
    ['an object', { type: 'fossil' }],
    ['null', null],
  ])('delta as %s disconnects with 3501 (bad request), as Centrifugo does', async (_label, delta) => {
    const s = await connectedRaw(t.url);
    s.send({ id: 2, subscribe: { channel: 'market:DBAD', delta } });
    expect(await s.closed).toBe(3501);
  });

  it('an unknown delta type over protobuf disconnects with 3501 too; an empty one asks for none', async () => {
    const s = await connectedRaw(t.url, 'protobuf');
    s.send({ id: 2, subscribe: { channel: 'market:DBAD2', delta: 'brotli' } });
    expect(await s.closed).toBe(3501);
    const ok = await connectedRaw(t.url);
    ok.send({ id: 2, subscribe: { channel: 'market:DBAD2', delta: '' } });
    expect((await ok.reply(2)).subscribe).not.toHaveProperty('delta');
    ok.close();
  });

  it('the engine stays up: a delta subscriber on another channel is unaffected', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const sub = await subscribed(c, 'market:DAFTER', { delta: 'fossil' });
    const got: unknown[] = [];
    sub.on('publication', (ctx) => got.push(ctx.data));
    const sent = await publishAll('market:DAFTER', 0, 5);
    await until(() => got.length === 5, 'five');
    expect(got).toEqual(sent);
    c.disconnect();
  });
});

describe('allowedDeltaTypes in the configuration', () => {
  it('is on for market and bars by default, settable per namespace, and an unknown type names the variable', () => {
    const c = loadConfig({ SUPERNOVA_NAMESPACES: JSON.stringify([{ name: 'quotes', allowedDeltaTypes: ['fossil'] }]) });
    const of = (name: string) => c.namespaces.find((n) => n.name === name)?.allowedDeltaTypes;
    expect([of('market'), of('bars'), of('quotes'), of('public'), of('ticks')]).toEqual([['fossil'], ['fossil'], ['fossil'], [], []]);
    expect(() => loadConfig({ SUPERNOVA_NAMESPACES: JSON.stringify([{ name: 'q', allowedDeltaTypes: ['zstd'] }]) })).toThrow(/SUPERNOVA_NAMESPACES=.*allowedDeltaTypes/);
    expect(() => loadConfig({ SUPERNOVA_DELTA_BASE_MAX_BYTES: '-1' })).toThrow(/SUPERNOVA_DELTA_BASE_MAX_BYTES/);
  });
});

describe('what delta subscriptions hold is released', () => {
  const metric = (name: string): Promise<number> => engineMetric(t.http, name);

  it('waiting subscriptions leave the registry on unsubscribe, on close and once promoted; bases go with the last subscriber', async () => {
    const channel = 'market:DHOLD';
    const sockets = await Promise.all(Array.from({ length: 30 }, () => connectedRaw(t.url)));
    for (const s of sockets) s.send({ id: 2, subscribe: { channel, delta: 'fossil' } });
    await Promise.all(sockets.map((s) => s.reply(2)));
    expect(await metric('supernova_delta_waiting_subscriptions')).toBe(30);
    // Ten unsubscribe, ten hang up, ten stay and get promoted by a publication.
    for (const s of sockets.slice(0, 10)) s.send({ id: 3, unsubscribe: { channel } });
    await Promise.all(sockets.slice(0, 10).map((s) => s.reply(3)));
    for (const s of sockets.slice(10, 20)) s.close();
    await until(() => t.engine.connections <= 20, 'ten closed');
    expect(await metric('supernova_delta_waiting_subscriptions')).toBe(10);
    await t.engine.publish(channel, marketSnapshot(channel, 0));
    await until(() => sockets.slice(20).every((s) => s.pushes().length === 1), 'ten whole');
    expect(await metric('supernova_delta_waiting_subscriptions')).toBe(0);
    await t.engine.publish(channel, marketSnapshot(channel, 1));
    await until(() => sockets.slice(20).every((s) => s.pushes().length === 2), 'ten deltas');
    expect(sockets.slice(20).every((s) => (s.pushes()[1]?.pub as { delta?: boolean }).delta === true)).toBe(true);
    expect(sockets.slice(0, 10).every((s) => s.pushes().length === 0)).toBe(true);
    expect(await metric('supernova_delta_base_bytes')).toBeGreaterThan(0);
    for (const s of [...sockets.slice(0, 10), ...sockets.slice(20)]) s.close();
    await until(() => t.engine.connections === 0, 'every socket closed');
    expect(await metric('supernova_delta_base_bytes')).toBe(0);
    expect(await metric('supernova_delta_publications_total{kind="delta"}')).toBeGreaterThan(0);
  });
});
