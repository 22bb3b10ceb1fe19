import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Centrifuge } from 'centrifuge';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { emulatedClient, type EmulatedTransport } from '../support/emulation-client.js';
import { StreamReader } from '../support/stream-reader.js';
import { expectJsonDeltaChain, expectRecoveryThenDeltas, marketSnapshot, metric as engineMetric } from '../support/delta.js';

// Fossil delta over the HTTP-streaming and SSE transports, through the official SDK (which
// applies the deltas itself, so a wrong one would change its data) and at the wire: the same
// frames the WebSocket fan-out computes, written to each stream session.

let t: TestEngine;
beforeAll(async () => { t = await startEngine({ apiKey: 'test-key' }); });
afterAll(async () => { await t.stop(); });

const dec = new TextDecoder();
const metric = (name: string): Promise<number> => engineMetric(t.http, name);
const DELTAS = 'supernova_delta_publications_total{kind="delta"}';

async function publishAll(channel: string, from: number, to: number): Promise<unknown[]> {
  const sent: unknown[] = [];
  for (let i = from; i < to; i++) {
    const s = marketSnapshot(channel, i);
    sent.push(s);
    await t.engine.publish(channel, s);
  }
  return sent;
}

// Centrifugo's SSE is JSON only; HTTP-streaming also speaks protobuf.
const cases: { name: string; transport: EmulatedTransport; protobuf: boolean }[] = [
  { name: 'http_stream json', transport: 'http_stream', protobuf: false },
  { name: 'http_stream protobuf', transport: 'http_stream', protobuf: true },
  { name: 'sse json', transport: 'sse', protobuf: false },
];

describe.each(cases)('fossil delta over $name with the SDK', ({ transport, protobuf }) => {
  const tag = `${transport === 'sse' ? 'SSE' : 'HS'}${protobuf ? 'PB' : 'JS'}`;
  const client = (options = {}): Centrifuge => emulatedClient(t.http, transport, options, protobuf);
  const value = (data: unknown): unknown => (protobuf ? JSON.parse(dec.decode(data as Uint8Array)) : data);
  /** The same encoding over WebSocket: its delta subscribers share the stream sessions' frames. */
  const wsClient = (): Centrifuge => (protobuf
    ? new ProtobufCentrifuge(t.url, { websocket: WebSocket, minReconnectDelay: 50, maxReconnectDelay: 200, timeout: 5000 }) as unknown as Centrifuge
    : sdkClient(t.url));

  it('delta subscribers end with the same data as a plain one, mostly from deltas computed once per publication', async () => {
    const channel = `market:D${tag}`;
    const plainClient = client();
    await connected(plainClient);
    const plain = await subscribed(plainClient, channel);
    const gotPlain: unknown[] = [];
    plain.on('publication', (ctx) => gotPlain.push(value(ctx.data)));
    // Three delta sessions of this transport and a WebSocket of the same encoding on one channel.
    const clients = [client(), client(), client(), wsClient()];
    const got: unknown[][] = clients.map(() => []);
    const subs = await Promise.all(clients.map(async (c, i) => {
      await connected(c);
      const sub = await subscribed(c, channel, { delta: 'fossil' });
      sub.on('publication', (ctx) => got[i]?.push(value(ctx.data)));
      return sub;
    }));
    expect(t.engine.streamSessions).toBe(4);
    const deltasBefore = await metric(DELTAS);
    const sent = await publishAll(channel, 0, 30);
    await until(() => gotPlain.length === 30 && got.every((g) => g.length === 30), 'thirty each');
    expect(gotPlain).toEqual(sent);
    for (const g of got) expect(g).toEqual(sent);
    for (const sub of subs) {
      const stats = sub.deltaStats();
      expect(stats.numFullPayloads).toBe(1);
      expect(stats.numDeltaPayloads).toBe(29);
      expect(stats.bytesReceived).toBeLessThan(stats.bytesDecoded);
    }
    // One delta per publication for this encoding, whatever the number of its subscribers.
    expect((await metric(DELTAS)) - deltasBefore).toBe(29);
    for (const c of [plainClient, ...clients]) c.disconnect();
    await until(() => t.engine.streamSessions === 0, 'sessions released');
  });

  it('a subscriber that joins mid-stream gets its first publication whole while the others keep getting deltas', async () => {
    const channel = `market:DLATE${tag}`;
    const early = client();
    await connected(early);
    const earlySub = await subscribed(early, channel, { delta: 'fossil' });
    const earlyGot: unknown[] = [];
    earlySub.on('publication', (ctx) => earlyGot.push(value(ctx.data)));
    const first = await publishAll(channel, 0, 5);
    await until(() => earlyGot.length === 5, 'early five');
    const late = client();
    await connected(late);
    // deliverLatest: the subscribe reply holds snapshot 4, whole (the SDK emits it before `subscribed`).
    const lateSub = await subscribed(late, channel, { delta: 'fossil' });
    const lateGot: unknown[] = [];
    lateSub.on('publication', (ctx) => lateGot.push(value(ctx.data)));
    const sent = await publishAll(channel, 5, 15);
    await until(() => lateGot.length === 10 && earlyGot.length === 15, 'ten more');
    expect(lateGot).toEqual(sent);
    expect(earlyGot).toEqual([...first, ...sent]);
    // Whole: snapshot 4 in the subscribe reply, then the first live one; the other nine are deltas.
    expect(lateSub.deltaStats()).toMatchObject({ numFullPayloads: 2, numDeltaPayloads: 9 });
    expect(earlySub.deltaStats()).toMatchObject({ numFullPayloads: 1, numDeltaPayloads: 14 });
    early.disconnect();
    late.disconnect();
  });

  it('after the server drops the stream the recovered publications come whole, then deltas resume', async () => {
    const channel = `bars:1s:DREC${tag}`;
    const c = client({ minReconnectDelay: 200, maxReconnectDelay: 200 });
    const over: string[] = [];
    c.on('connected', (ctx) => over.push(ctx.transport));
    const { sub, sent } = await expectRecoveryThenDeltas({ http: t.http, client: c, channel, value, publish: (from, to) => publishAll(channel, from, to) });
    expect(over).toEqual([transport, transport]);
    // History is never delta-encoded.
    expect((await sub.history({ limit: 3, reverse: true })).publications.map((p) => value(p.data))).toEqual(sent.slice(-3).reverse());
    c.disconnect();
    await until(() => t.engine.streamSessions === 0, 'session released');
  });
});

/** A raw JSON stream session (http_stream lines or SSE events) and a way to send it commands. */
async function rawSession(transport: EmulatedTransport): Promise<{ reader: StreamReader; command: (cmd: Record<string, unknown>) => Promise<number>; pushes: () => Record<string, unknown>[] }> {
  const connect = JSON.stringify({ id: 1, connect: {} });
  const reader = transport === 'sse'
    ? await StreamReader.open(`${t.http}/connection/sse?cf_connect=${encodeURIComponent(connect)}`, {}, true)
    : await StreamReader.open(`${t.http}/connection/http_stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: connect });
  const { session, node } = (await reader.next((m) => m.id === 1, 'connect reply')).connect as { session: string; node: string };
  const command = async (cmd: Record<string, unknown>): Promise<number> =>
    (await fetch(`${t.http}/emulation`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ session, node, data: JSON.stringify(cmd) }) })).status;
  const pushes = () => reader.messages.flatMap((m) => (m.push && (m.push as { pub?: unknown }).pub ? [m.push as Record<string, unknown>] : []));
  return { reader, command, pushes };
}

describe.each(['http_stream', 'sse'] as const)('fossil delta over %s at the wire', (transport) => {
  it('delta:true in the reply, the first publication whole as a JSON string, then patches against it', async () => {
    const channel = `market:DRAW${transport.toUpperCase()}`;
    const s = await rawSession(transport);
    expect(await s.command({ id: 2, subscribe: { channel, delta: 'fossil' } })).toBe(204);
    expect((await s.reader.next((m) => m.id === 2, 'subscribe reply')).subscribe).toMatchObject({ delta: true });
    const p = await rawSession(transport);
    expect(await p.command({ id: 2, subscribe: { channel } })).toBe(204);
    expect((await p.reader.next((m) => m.id === 2, 'subscribe reply')).subscribe).not.toHaveProperty('delta');
    const sent = await publishAll(channel, 0, 20);
    await until(() => s.pushes().length === 20 && p.pushes().length === 20, 'twenty each');
    expectJsonDeltaChain(s.pushes(), sent);
    expect(p.pushes().map((x) => (x.pub as { data: unknown }).data)).toEqual(sent);
    const bytes = (pushes: Record<string, unknown>[]) => pushes.reduce((n, x) => n + JSON.stringify(x).length, 0);
    expect(bytes(s.pushes()) * 1.3).toBeLessThan(bytes(p.pushes()));
    s.reader.close();
    p.reader.close();
    await until(() => t.engine.streamSessions === 0, 'sessions released');
  });

  it('waiting stream subscriptions leave the registry on unsubscribe, on hang-up and once promoted', async () => {
    const channel = `market:DHOLD${transport.toUpperCase()}`;
    const sessions = await Promise.all(Array.from({ length: 9 }, () => rawSession(transport)));
    for (const s of sessions) expect(await s.command({ id: 2, subscribe: { channel, delta: 'fossil' } })).toBe(204);
    await Promise.all(sessions.map((s) => s.reader.next((m) => m.id === 2, 'subscribe reply')));
    expect(await metric('supernova_delta_waiting_subscriptions')).toBe(9);
    // Three unsubscribe, three hang up, three stay and get promoted by a publication.
    for (const s of sessions.slice(0, 3)) expect(await s.command({ id: 3, unsubscribe: { channel } })).toBe(204);
    await Promise.all(sessions.slice(0, 3).map((s) => s.reader.next((m) => m.id === 3, 'unsubscribe reply')));
    for (const s of sessions.slice(3, 6)) s.reader.close();
    await until(() => t.engine.streamSessions === 6, 'three hung up');
    expect(await metric('supernova_delta_waiting_subscriptions')).toBe(3);
    await t.engine.publish(channel, marketSnapshot(channel, 0));
    await until(() => sessions.slice(6).every((s) => s.pushes().length === 1), 'three whole');
    expect(await metric('supernova_delta_waiting_subscriptions')).toBe(0);
    await t.engine.publish(channel, marketSnapshot(channel, 1));
    await until(() => sessions.slice(6).every((s) => s.pushes().length === 2), 'three deltas');
    expect(sessions.slice(6).every((s) => (s.pushes()[1]?.pub as { delta?: boolean }).delta === true)).toBe(true);
    expect(sessions.slice(0, 3).every((s) => s.pushes().length === 0)).toBe(true);
    for (const s of [...sessions.slice(0, 3), ...sessions.slice(6)]) s.reader.close();
    await until(() => t.engine.streamSessions === 0, 'every session released');
    expect(await metric('supernova_delta_base_bytes')).toBe(0);
  });
});
