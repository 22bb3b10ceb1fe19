import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, until } from '../support/client.js';
import { RawSocket } from '../support/raw-socket.js';

let t: TestEngine;
beforeAll(async () => {
  t = await startEngine({ feed: 'simulated', symbols: ['AAPL', 'MSFT'], simTradesPerSecond: 50, maxCrashes: 3, crashWindowMs: 10_000 }, {
    'test.echo': (data) => ({ echo: data }),
    'test.crash': () => { throw new TypeError('handler bug'); },
  });
});
afterAll(async () => { await t.stop(); });

describe('rpc and supervision', () => {
  it('market.snapshot answers from the live pipeline, and an unknown symbol gets a clear error', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    type Snap = { data: { symbol: string; last: number; volume: number } };
    let snap: Snap | undefined;
    const deadline = Date.now() + 5000;
    // The first trade of the simulated feed may not have happened yet.
    while (!snap && Date.now() < deadline) {
      try { snap = (await c.rpc('market.snapshot', { symbol: 'AAPL' })) as unknown as Snap; } catch { await new Promise((r) => setTimeout(r, 50)); }
    }
    expect(snap?.data).toMatchObject({ symbol: 'AAPL' });
    expect(snap?.data.last).toBeGreaterThan(0);
    expect(snap?.data.volume).toBeGreaterThan(0);
    await expect(c.rpc('market.snapshot', { symbol: 'ZZZZ' })).rejects.toMatchObject({ code: 107, message: expect.stringContaining('ZZZZ') });
    c.disconnect();
  });

  it('an unknown method of a served family gets 104, any other name 108 (no handler), and the connection stays open', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    await expect(c.rpc('test.nope', {})).rejects.toMatchObject({ code: 104 });
    await expect(c.rpc('method', {})).rejects.toMatchObject({ code: 108 });
    await expect(c.rpc('test.echo', { x: 1 })).resolves.toEqual({ data: { echo: { x: 1 } } });
    expect(c.state).toBe('connected');
    c.disconnect();
  });

  it('a crashing handler answers 100 and the actor resumes; repeated crashes stop it with 3004; others are untouched', async () => {
    const bystander = sdkClient(t.url);
    await connected(bystander);
    const s = new RawSocket(t.url);
    await s.opened;
    s.send({ id: 1, connect: {} });
    await s.reply(1);
    s.send({ id: 2, rpc: { method: 'test.crash' } });
    expect((await s.reply(2)).error).toMatchObject({ code: 100, temporary: true });
    s.send({ id: 3, rpc: { method: 'test.echo', data: 'still here' } });
    expect((await s.reply(3)).rpc).toEqual({ data: { echo: 'still here' } });
    s.send({ id: 4, rpc: { method: 'test.crash' } });
    await s.reply(4);
    s.send({ id: 5, rpc: { method: 'test.crash' } });
    expect(await s.closed).toBe(3004);
    await expect(bystander.rpc('test.echo', 1)).resolves.toEqual({ data: { echo: 1 } });
    bystander.disconnect();
    const metrics = await (await fetch(`${t.http}/metrics`)).text();
    expect(metrics).toMatch(/supernova_disconnects_total\{code="3004"\} 1/);
    expect(metrics).toMatch(/supernova_actor_restarts_total\{decision="crash"\} 3/);
  });

  it('ticks and conflated market snapshots stream from the simulated feed', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const ticks: { price: number }[] = [];
    const market: { ts: number }[] = [];
    const st = c.newSubscription('ticks:MSFT');
    st.on('publication', (ctx) => ticks.push(...(ctx.data as { price: number[] }).price.map((price) => ({ price }))));
    const sm = c.newSubscription('market:MSFT');
    sm.on('publication', (ctx) => market.push(ctx.data as { ts: number }));
    st.subscribe();
    sm.subscribe();
    await until(() => ticks.length >= 30 && market.length >= 3, 'ticks and snapshots', 8000);
    expect(ticks.every((x) => x.price > 0)).toBe(true);
    // Conflated: far fewer snapshots than ticks over the same time.
    expect(market.length).toBeLessThan(ticks.length);
    c.disconnect();
  });
});
