import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { RawSocket } from '../support/raw-socket.js';

let t: TestEngine;
beforeAll(async () => { t = await startEngine({ apiKey: 'test-key' }); });
afterAll(async () => { await t.stop(); });

describe('centrifuge-js: connect, subscribe, receive, unsubscribe', () => {
  it('connects and reports a client id and the server ping', async () => {
    const c = sdkClient(t.url);
    const ctx = await new Promise<{ client: string }>((resolve) => { c.once('connected', resolve); c.connect(); });
    expect(ctx.client).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.engine.connections).toBe(1);
    c.disconnect();
    await until(() => t.engine.connections === 0, 'server to see the close');
  });

  it('delivers publications in order to every subscriber, and none after unsubscribe', async () => {
    const a = sdkClient(t.url);
    const b = sdkClient(t.url);
    await Promise.all([connected(a), connected(b)]);
    const gotA: unknown[] = [];
    const gotB: unknown[] = [];
    const subA = await subscribed(a, 'public:room');
    subA.on('publication', (ctx) => gotA.push(ctx.data));
    const subB = await subscribed(b, 'public:room');
    subB.on('publication', (ctx) => gotB.push(ctx.data));
    for (let i = 0; i < 20; i++) await t.engine.publish('public:room', { i });
    await until(() => gotA.length === 20 && gotB.length === 20, '20 publications each');
    expect(gotA).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })));
    expect(gotB).toEqual(gotA);

    subA.unsubscribe();
    await until(() => subA.state === 'unsubscribed', 'unsubscribe');
    await a.ready(); // a round trip so the unsubscribe reached the server
    await new Promise((r) => setTimeout(r, 50));
    await t.engine.publish('public:room', { i: 20 });
    await until(() => gotB.length === 21, 'b to get the 21st');
    await new Promise((r) => setTimeout(r, 50));
    expect(gotA).toHaveLength(20);
    a.disconnect();
    b.disconnect();
  });

  it('a client publishes into a namespace that allows it, and is refused where it does not', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const sub = await subscribed(c, 'public:chat');
    const got: unknown[] = [];
    sub.on('publication', (ctx) => got.push({ data: ctx.data, client: ctx.info?.client }));
    await sub.publish({ text: 'hi' });
    await until(() => got.length === 1, 'own publication');
    expect(got[0]).toMatchObject({ data: { text: 'hi' } });
    await expect(c.publish('ticks:AAPL', { price: 1 })).rejects.toMatchObject({ code: 103 });
    await expect(c.publish('nosuchns:x', { a: 1 })).rejects.toMatchObject({ code: 102 });
    c.disconnect();
  });

  it('history returns publications with offsets, and is refused to a non-subscriber', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    await expect(c.history('public:hist', { limit: 10 })).rejects.toMatchObject({ code: 103 });
    const sub = await subscribed(c, 'public:hist');
    for (let i = 0; i < 5; i++) await t.engine.publish('public:hist', { n: i });
    const h = await sub.history({ limit: 3 });
    expect(h.publications.map((p) => p.data)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    expect(h.offset).toBe(5);
    const rev = await sub.history({ limit: 2, reverse: true });
    expect(rev.publications.map((p) => p.offset)).toEqual([5, 4]);
    const since = await sub.history({ limit: -1, since: { offset: 3, epoch: h.epoch } });
    expect(since.publications.map((p) => p.data)).toEqual([{ n: 3 }, { n: 4 }]);
    await expect(sub.history({ limit: -1, since: { offset: 1, epoch: 'other' } })).rejects.toMatchObject({ code: 112 });
    c.disconnect();
  });

  it('presence lists subscribers and join/leave pushes reach the others', async () => {
    const a = sdkClient(t.url);
    const b = sdkClient(t.url);
    await Promise.all([connected(a), connected(b)]);
    const subA = await subscribed(a, 'public:lobby');
    const joins: string[] = [];
    const leaves: string[] = [];
    subA.on('join', (ctx) => joins.push(ctx.info.client));
    subA.on('leave', (ctx) => leaves.push(ctx.info.client));
    const subB = await subscribed(b, 'public:lobby');
    const p = await subA.presence();
    expect(Object.keys(p.clients)).toHaveLength(2);
    const stats = await subB.presenceStats();
    expect(stats).toEqual({ numClients: 2, numUsers: 1 });
    const aId = await new Promise<string>((resolve) => { void a.ready().then(() => resolve((a as unknown as { _client: string })._client)); });
    const bId = Object.keys(p.clients).find((id) => id !== aId) as string;
    await until(() => joins.includes(bId), 'join push of b');
    b.disconnect();
    await until(() => leaves.includes(bId), 'leave push of b');
    expect(leaves).not.toContain(aId);
    expect(Object.keys((await subA.presence()).clients)).toHaveLength(1);
    a.disconnect();
  });

  it('presence is not available where the namespace keeps none', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const sub = await subscribed(c, 'ticks:AAPL');
    await expect(sub.presence()).rejects.toMatchObject({ code: 108 });
    c.disconnect();
  });

  it('refuses unknown namespaces (102) and a second subscription to the same channel (105)', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    await expect(subscribed(c, 'nowhere:x')).rejects.toThrow(/102/);
    c.disconnect();
    // The SDK never sends a duplicate subscribe itself, so this one goes by hand.
    const s = new RawSocket(t.url);
    await s.opened;
    s.send({ id: 1, connect: {} }, { id: 2, subscribe: { channel: 'public:dup' } }, { id: 3, subscribe: { channel: 'public:dup' } });
    expect((await s.reply(2)).subscribe).toBeDefined();
    expect((await s.reply(3)).error).toMatchObject({ code: 105 });
    s.close();
  });
});
