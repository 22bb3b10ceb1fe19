import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../support/engine.js';
import { api, connected, sdkClient, subscribed, until } from '../support/client.js';

let t: TestEngine;
beforeAll(async () => { t = await startEngine({ apiKey: 'test-key', symbols: ['AAPL'] }); });
afterAll(async () => { await t.stop(); });

describe('recovery after a reconnect', () => {
  it('delivers every publication missed while disconnected, in order, with no gap and no duplicate', async () => {
    const c = sdkClient(t.url, { minReconnectDelay: 300, maxReconnectDelay: 300 });
    await connected(c);
    const offsets: number[] = [];
    const values: number[] = [];
    const drops: number[] = [];
    c.on('connecting', (ctx) => drops.push(ctx.code));
    const sub = await subscribed(c, 'ticks:AAPL');
    let recovered: boolean | undefined;
    sub.on('subscribed', (ctx) => { if (ctx.wasRecovering) recovered = ctx.recovered; });
    sub.on('publication', (ctx) => { offsets.push(ctx.offset as number); values.push((ctx.data as { n: number }).n); });

    // A publisher that never stops while the client drops and comes back.
    let n = 0;
    const publisher = setInterval(() => void t.engine.publish('ticks:AAPL', { n: n++ }), 2);
    await until(() => values.length >= 50, 'first publications');
    // Reconnect code: the SDK comes back by itself and resubscribes with recover, offset, epoch.
    const res = await api(t.http, 'disconnect', { user: '', disconnect: { code: 3011, reason: 'test drop' } });
    expect(res.status).toBe(200);
    await until(() => recovered !== undefined, 'resubscribe with recovery', 5000);
    await until(() => values.length >= 400, 'publications after recovery', 8000);
    clearInterval(publisher);
    const total = n;
    await until(() => values.length === total, `all ${total} publications`);

    expect(drops).toEqual([3011]);
    expect(recovered).toBe(true);
    expect(values).toEqual(Array.from({ length: total }, (_, i) => i));
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBe((offsets[i - 1] as number) + 1);
    c.disconnect();
  });

  it('a subscribe racing batched publications gets each offset once: in its reply position or live', async () => {
    // The fan-out holds publications for 20 ms, so every subscribe commits while some of its
    // channel's publications (already in the history it read) are held: it must flush them
    // before it joins the topic, or the subscriber gets them twice.
    const held = await startEngine({ fanoutFlushMs: 20 });
    let n = 0;
    let running = true;
    const burst = (): void => {
      for (let i = 0; i < 3; i++) void held.engine.publish('public:race', { n: n++ });
      if (running) setTimeout(() => setImmediate(burst), 1);
    };
    burst();
    try {
      const clients = Array.from({ length: 20 }, () => sdkClient(held.url));
      const seen = await Promise.all(clients.map(async (c, i) => {
        await new Promise((r) => setTimeout(r, i * 15));
        await connected(c);
        const sub = c.newSubscription('public:race');
        const got = { start: -1, offsets: [] as number[] };
        sub.on('subscribed', (ctx) => { got.start = ctx.streamPosition?.offset ?? -1; });
        sub.on('publication', (ctx) => got.offsets.push(ctx.offset as number));
        sub.subscribe();
        await until(() => got.offsets.length >= 30, `client ${i} publications`, 8000);
        return got;
      }));
      for (const got of seen) {
        expect(got.start).toBeGreaterThanOrEqual(0);
        expect(got.offsets.slice(0, 30)).toEqual(Array.from({ length: 30 }, (_, k) => got.start + 1 + k));
      }
      for (const c of clients) c.disconnect();
    } finally {
      running = false;
      await held.stop();
    }
  });

  it('says recovered: false when the history window was lost, and then streams on', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const sub = await subscribed(c, 'public:window', { since: { offset: 5, epoch: 'gone-epoch' } });
    expect(sub.state).toBe('subscribed');
    const ctxs: { recovered: boolean; wasRecovering: boolean }[] = [];
    const s2 = c.newSubscription('public:w2', { since: { offset: 3, epoch: 'nope' } });
    s2.on('subscribed', (ctx) => ctxs.push({ recovered: ctx.recovered, wasRecovering: ctx.wasRecovering }));
    s2.subscribe();
    await until(() => ctxs.length === 1, 'subscribed');
    expect(ctxs[0]).toEqual({ recovered: false, wasRecovering: true });
    const got: unknown[] = [];
    s2.on('publication', (ctx) => got.push(ctx.data));
    await t.engine.publish('public:w2', { after: true });
    await until(() => got.length === 1, 'live publication');
    c.disconnect();
  });

  it('a position with an empty epoch (an offset the client kept alone) recovers from that offset, as in Centrifugo', async () => {
    for (let i = 1; i <= 3; i++) await t.engine.publish('public:offset-only', { i });
    const c = sdkClient(t.url);
    await connected(c);
    const got: unknown[] = [];
    const ctxs: { recovered: boolean; wasRecovering: boolean }[] = [];
    const sub = c.newSubscription('public:offset-only', { since: { offset: 1, epoch: '' } });
    sub.on('publication', (ctx) => got.push(ctx.data));
    sub.on('subscribed', (ctx) => ctxs.push({ recovered: ctx.recovered, wasRecovering: ctx.wasRecovering }));
    sub.subscribe();
    await until(() => ctxs.length === 1 && got.length === 2, 'recovered publications');
    expect(ctxs[0]).toEqual({ recovered: true, wasRecovering: true });
    expect(got).toEqual([{ i: 2 }, { i: 3 }]);
    // An offset past the stream's end is lost whatever the epoch: recovered false.
    const far = c.newSubscription('public:offset-only-2', { since: { offset: 9, epoch: '' } });
    await t.engine.publish('public:offset-only-2', { i: 1 });
    const farCtx: boolean[] = [];
    far.on('subscribed', (ctx) => farCtx.push(ctx.recovered));
    far.subscribe();
    await until(() => farCtx.length === 1, 'subscribed');
    expect(farCtx[0]).toBe(false);
    c.disconnect();
  });

  it('market channels deliver their latest snapshot on subscribe', async () => {
    await t.engine.publish('market:AAPL', { symbol: 'AAPL', last: 1 });
    await t.engine.publish('market:AAPL', { symbol: 'AAPL', last: 2 });
    const c = sdkClient(t.url);
    await connected(c);
    const got: unknown[] = [];
    const sub = c.newSubscription('market:AAPL');
    sub.on('publication', (ctx) => got.push(ctx.data));
    sub.subscribe();
    await until(() => got.length === 1, 'latest snapshot');
    expect(got[0]).toEqual({ symbol: 'AAPL', last: 2 });
    c.disconnect();
  });
});
