import { afterEach, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient } from '../support/client.js';
import type { Centrifuge } from 'centrifuge';

const engines: TestEngine[] = [];
const clients: Centrifuge[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const t of engines.splice(0)) await t.stop();
});

async function engine(): Promise<TestEngine> {
  const t = await startEngine();
  engines.push(t);
  return t;
}

async function get(t: TestEngine, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${t.http}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** One series of the engine's Prometheus text, or NaN when it is absent. */
async function metric(t: TestEngine, series: string): Promise<number> {
  const { body } = await t.engine.metrics.render();
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

describe('health components', () => {
  it('a component that goes down makes the engine degraded (still 200 and ready), named in the body and its gauge, until it is back', async () => {
    const t = await engine();
    let up = true;
    t.engine.health.register('flaky', () => (up ? { up: true } : { up: false, detail: 'connection refused' }));

    const ok = await get(t, '/performance/health');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'ok', components: { flaky: { up: true } }, down: [] });
    // What the route reported before the components is still there.
    expect(Object.keys(ok.body)).toEqual(expect.arrayContaining(['uptime', 'connections', 'version', 'maxConnections', 'openSockets', 'memory']));
    expect(await metric(t, 'supernova_component_up{component="flaky"}')).toBe(1);

    up = false;
    const degraded = await get(t, '/performance/health');
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ status: 'degraded', components: { flaky: { up: false, detail: 'connection refused' } }, down: ['flaky'] });
    expect(await metric(t, 'supernova_component_up{component="flaky"}')).toBe(0);
    expect(await get(t, '/performance/health/ready')).toEqual({ status: 200, body: { ready: true, status: 'degraded', down: ['flaky'] } });
    expect((await get(t, '/performance/health/live')).status).toBe(200);

    up = true;
    expect((await get(t, '/performance/health')).body).toMatchObject({ status: 'ok', down: [] });
    expect(await metric(t, 'supernova_component_up{component="flaky"}')).toBe(1);
  });
});

describe('drain', () => {
  it('readiness turns 503 at once while the engine serves on (liveness 200, clients connect); stop() cuts the delay short with 3001', async () => {
    const t = await engine();
    const before = await get(t, '/performance/health/ready');
    expect(before).toEqual({ status: 200, body: { ready: true, status: 'ok', down: [] } });
    expect(await metric(t, 'supernova_draining')).toBe(0);
    const c = sdkClient(t.url, { minReconnectDelay: 60_000, maxReconnectDelay: 60_000 });
    clients.push(c);
    await connected(c);

    const drained = t.engine.drain(60_000);
    expect(t.engine.lifecycle).toBe('draining');
    const ready = await get(t, '/performance/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ ready: false, status: 'draining', error: { code: 'NOT_READY' } });
    expect(ready.body.error).toMatchObject({ message: expect.stringContaining('SUPERNOVA_DRAIN_DELAY_MS') });
    expect(await get(t, '/performance/health/live')).toMatchObject({ status: 200, body: { status: 'alive', state: 'draining' } });
    expect(await get(t, '/performance/health')).toMatchObject({ status: 503, body: { status: 'draining' } });
    expect(await metric(t, 'supernova_draining')).toBe(1);
    // Served as before: a client the load balancer still sends is taken.
    const late = sdkClient(t.url, { minReconnectDelay: 60_000, maxReconnectDelay: 60_000 });
    clients.push(late);
    await connected(late);
    expect(t.engine.connections).toBe(2);

    const codes = Promise.all([c, late].map((x) => new Promise<number>((resolve) => x.once('connecting', (ctx) => resolve(ctx.code)))));
    const t0 = performance.now();
    await Promise.all([t.engine.stop(), drained]);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(await codes).toEqual([3001, 3001]);
    expect(t.engine.lifecycle).toBe('stopped');
  });

  it('drain() of an engine that is not running stops it without waiting', async () => {
    const t = await engine();
    await t.engine.stop();
    const t0 = performance.now();
    await t.engine.drain(60_000);
    expect(performance.now() - t0).toBeLessThan(1_000);
  });
});
