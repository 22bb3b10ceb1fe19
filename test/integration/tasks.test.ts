import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, subscribed, until } from '../support/client.js';
import { registerTestTasks } from '../fixtures/task-types.js';

const SECRET = 'task-test-secret-long-enough-for-hs256';
const token = (sub: string) => new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) + 600).sign(new TextEncoder().encode(SECRET));

let t: TestEngine;
beforeAll(async () => {
  t = await startEngine({ apiKey: 'k', tokenHmacSecret: SECRET, taskWorkersMin: 2, taskWorkersMax: 2, taskQueueMax: 40, taskCpuThreads: 1, httpRateApi: '100000/1s', httpRatePublic: '100000/1s', metricsIntervalMs: 200 });
  registerTestTasks(t.engine.tasks);
});
afterAll(async () => { await t?.stop(); });

async function call(method: string, path: string, body?: unknown, key: string | null = 'k', raw?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers.authorization = `apikey ${key}`;
  const res = await fetch(`${t.http}${path}`, { method, headers, ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function finished(id: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 500; i++) {
    const r = await call('GET', `/api/v1/tasks/${id}`);
    if (r.json.status !== 'queued' && r.json.status !== 'running') return r.json;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error(`task ${id} did not finish`);
}

describe('task HTTP API', () => {
  it('submits (202 {id}), polls to the result, and reports progress and status', async () => {
    const r = await call('POST', '/api/v1/tasks', { type: 'test.sum', args: { a: 2, b: 3 }, priority: 'high' });
    expect(r.status).toBe(202);
    expect(typeof r.json.id).toBe('string');
    expect(await finished(r.json.id as string)).toMatchObject({ id: r.json.id, type: 'test.sum', status: 'succeeded', progress: 1, result: 5 });
  });

  it('runs backtest.sma over the engine bars and fails with the reason when there are none', async () => {
    const r = await call('POST', '/api/v1/tasks', { type: 'backtest.sma', args: { symbol: 'SPY', interval: '1s', fast: 3, slow: 10 } });
    expect(r.status).toBe(202);
    expect(await finished(r.json.id as string)).toMatchObject({ status: 'failed', error: 'SPY 1s: 0 bars in range, the slow average needs 10' });
  });

  it('times a task out and cancels one', async () => {
    const slow = await call('POST', '/api/v1/tasks', { type: 'test.sleep', args: { ms: 5_000 }, timeoutMs: 50 });
    expect(await finished(slow.json.id as string)).toMatchObject({ status: 'timed_out' });
    const long = await call('POST', '/api/v1/tasks', { type: 'test.sleep', args: { ms: 30_000 } });
    const del = await call('DELETE', `/api/v1/tasks/${long.json.id as string}`);
    expect(del).toMatchObject({ status: 200, json: { status: 'cancelled' } });
  });

  it('runs a batch with results in order', async () => {
    const r = await call('POST', '/api/v1/tasks/batch', { type: 'test.sum', items: [{ a: 1, b: 1 }, { a: 2, b: 2 }, { a: 3, b: 3 }], concurrency: 2 });
    expect(r.status).toBe(202);
    const done = await finished(r.json.id as string);
    expect(done).toMatchObject({ status: 'succeeded', items: { done: 3, total: 3 } });
    expect((done.result as { result: number }[]).map((x) => x.result)).toEqual([2, 4, 6]);
  });

  it('answers hostile requests with a JSON error and the reason', async () => {
    expect(await call('POST', '/api/v1/tasks', { type: 'test.sum', args: { a: 1, b: 1 } }, null)).toMatchObject({ status: 401, json: { error: { code: 101 } } });
    expect(await call('GET', '/api/v1/tasks/x', undefined, 'wrong')).toMatchObject({ status: 401 });
    expect(await call('POST', '/api/v1/tasks', undefined, 'k', '{"type": "test.sum", "args": {')).toMatchObject({ status: 400 });
    expect(await call('POST', '/api/v1/tasks', undefined, 'k', '[1,2,3]')).toMatchObject({ status: 400, json: { error: { code: 107 } } });
    expect(await call('POST', '/api/v1/tasks', undefined, 'k', '')).toMatchObject({ status: 400, json: { error: { code: 107 } } });
    const unknown = await call('POST', '/api/v1/tasks', { type: 'rm.rf', args: {} });
    expect(unknown).toMatchObject({ status: 400, json: { error: { code: 107 } } });
    expect(String((unknown.json.error as { message: string }).message)).toContain('unknown task type');
    const bad = await call('POST', '/api/v1/tasks', { type: 'test.sum', args: { a: 'one', b: 1 } });
    expect(bad).toMatchObject({ status: 400, json: { error: { code: 107 } } });
    expect(String((bad.json.error as { message: string }).message)).toMatch(/test\.sum: a /);
    expect(await call('POST', '/api/v1/tasks', { type: 'test.sum' })).toMatchObject({ status: 400, json: { error: { code: 107 } } });
    expect(await call('POST', '/api/v1/tasks', { type: 'test.sum', args: { a: 1, b: 1 }, priority: 'urgent' })).toMatchObject({ status: 400 });
    expect(await call('POST', '/api/v1/tasks', { type: 'test.sum', args: { a: 1, b: 1 }, timeoutMs: 10 ** 12 })).toMatchObject({ status: 400, json: { error: { code: 107 } } });
    expect(await call('POST', '/api/v1/tasks', { type: 'test.sum', args: { a: 1, b: 1 }, extra: true })).toMatchObject({ status: 400 });
    expect(await call('POST', '/api/v1/tasks', { type: 7, args: {} })).toMatchObject({ status: 400 });
    expect(await call('POST', '/api/v1/tasks', { type: 'x'.repeat(10_000), args: {} })).toMatchObject({ status: 400 });
    const deep = `{"type":"test.sum","args":${'{"d":'.repeat(5_000)}1${'}'.repeat(5_000)}}`;
    expect((await call('POST', '/api/v1/tasks', undefined, 'k', deep)).status).toBe(400);
    const deepArray = `{"type":"test.sum","args":{"a":1,"b":1,"c":${'['.repeat(5_000)}${']'.repeat(5_000)}}}`;
    expect((await call('POST', '/api/v1/tasks', undefined, 'k', deepArray)).status).toBe(400);
    expect((await call('POST', '/api/v1/tasks', { type: 'test.sum', args: { a: 1, b: 1, pad: 'x'.repeat(200_000) } })).status).toBeGreaterThanOrEqual(400);
    expect(await call('GET', '/api/v1/tasks/not%20an%20id')).toMatchObject({ status: 400, json: { error: { code: 107 } } });
    expect(await call('GET', `/api/v1/tasks/${'a'.repeat(102)}`)).toMatchObject({ status: 400 });
    expect(await call('GET', '/api/v1/tasks/00000000-0000-0000-0000-000000000000')).toMatchObject({ status: 404, json: { error: { code: 108 } } });
    expect(await call('DELETE', '/api/v1/tasks/00000000-0000-0000-0000-000000000000')).toMatchObject({ status: 404 });
    expect(await call('POST', '/api/v1/tasks/batch', { type: 'test.sum', items: [] })).toMatchObject({ status: 400 });
    expect(await call('POST', '/api/v1/tasks/batch', { type: 'test.sum', items: [{ a: 1, b: 1 }, { a: 1 }] })).toMatchObject({ status: 400, json: { error: { code: 107 } } });
    expect(await call('POST', '/api/v1/tasks/batch', { type: 'test.sum', items: [{ a: 1, b: 1 }], concurrency: 1000 })).toMatchObject({ status: 400 });
    expect(await call('POST', '/api/v1/tasks/batch', { type: 'test.sum', items: 'many' })).toMatchObject({ status: 400 });
    // Still serving.
    expect((await call('POST', '/api/v1/tasks', { type: 'test.sum', args: { a: 1, b: 1 } })).status).toBe(202);
  });

  it('answers a flood past the queue bound with 429 / 106 naming the limit, and keeps serving', async () => {
    const blockers = await Promise.all([1, 2].map(() => call('POST', '/api/v1/tasks', { type: 'test.sleep', args: { ms: 30_000 } })));
    await until(() => t.engine.tasks.stats().running === 2, 'both workers busy');
    const flood = await Promise.all(Array.from({ length: 200 }, () => call('POST', '/api/v1/tasks', { type: 'test.sum', args: { a: 1, b: 2 }, priority: 'low' })));
    const accepted = flood.filter((r) => r.status === 202);
    const refused = flood.filter((r) => r.status === 429);
    expect(accepted.length).toBe(40);
    expect(refused.length).toBe(160);
    expect(refused[0]?.json).toMatchObject({ error: { code: 106 } });
    expect(String((refused[0]?.json.error as { message: string }).message)).toContain('SUPERNOVA_TASK_QUEUE_MAX');
    for (const b of blockers) await call('DELETE', `/api/v1/tasks/${b.json.id as string}`);
    await Promise.all(accepted.map((r) => finished(r.json.id as string)));
    const metrics = await (await fetch(`${t.http}/metrics`)).text();
    expect(metrics).toMatch(/supernova_task_refused_total\{reason="queue_full"\} 160/);
    expect(metrics).toMatch(/supernova_task_queue_depth\{priority="low"\} 0/);
    expect(metrics).toMatch(/supernova_task_wait_seconds_count\{priority="low"\} 40/);
    const report = (await (await fetch(`${t.http}/performance/report`)).json()) as { sections: { tasks: Record<string, unknown> } };
    expect(report.sections.tasks).toMatchObject({ mode: 'memory', rejected: 160, workers: 2 });
  });
});

describe('task RPC over the WebSocket (centrifuge-js)', () => {
  it('refuses anonymous connections, runs a user\'s task and pushes its completion to user#ID', async () => {
    const anon = sdkClient(t.url);
    await connected(anon);
    await expect(anon.rpc('tasks.submit', { type: 'test.sum', args: { a: 1, b: 2 } })).rejects.toMatchObject({ code: 103 });
    anon.disconnect();

    const c = sdkClient(t.url, { token: await token('42') });
    await connected(c);
    const pushes: unknown[] = [];
    (await subscribed(c, 'user#42')).on('publication', (ctx) => pushes.push(ctx.data));
    const { data } = await c.rpc('tasks.submit', { type: 'test.sum', args: { a: 20, b: 22 } });
    const id = (data as { id: string }).id;
    await until(() => pushes.length === 1, 'the completion push');
    expect(pushes[0]).toEqual({ task: { id, type: 'test.sum', status: 'succeeded', result: 42 } });
    expect((await c.rpc('tasks.status', { id })).data).toMatchObject({ id, status: 'succeeded', result: 42, user: '42' });

    const long = ((await c.rpc('tasks.submit', { type: 'test.sleep', args: { ms: 30_000 } })).data as { id: string }).id;
    expect((await c.rpc('tasks.cancel', { id: long })).data).toMatchObject({ status: 'cancelled' });

    const other = sdkClient(t.url, { token: await token('7') });
    await connected(other);
    await expect(other.rpc('tasks.status', { id })).rejects.toMatchObject({ code: 108 });
    await expect(other.rpc('tasks.cancel', { id: long })).rejects.toMatchObject({ code: 108 });
    for (const bad of [null, 5, 'x', [], { type: 'nope', args: {} }, { type: 'test.sum', args: { a: 'x' } }, { type: 'test.sum' }, { type: 'test.sum', args: {}, priority: 9 }]) {
      await expect(c.rpc('tasks.submit', bad)).rejects.toMatchObject({ code: 107 });
    }
    for (const bad of [null, {}, { id: 5 }, { id: 'x'.repeat(102) }, { id: 'a:b' }]) await expect(c.rpc('tasks.status', bad)).rejects.toMatchObject({ code: 107 });
    await expect(c.rpc('tasks.status', { id: 'unknown' })).rejects.toMatchObject({ code: 108 });
    c.disconnect();
    other.disconnect();
  });

  it('shows the task figures in the metrics channel', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const snapshots: { extra?: { tasks?: Record<string, unknown> } }[] = [];
    (await subscribed(c, 'metrics')).on('publication', (ctx) => snapshots.push(ctx.data as { extra?: { tasks?: Record<string, unknown> } }));
    await until(() => snapshots.length > 0, 'a metrics snapshot');
    expect(snapshots[0]?.extra?.tasks).toMatchObject({ mode: 'memory', workers: 2, queued: { high: 0, normal: 0, low: 0 } });
    expect(snapshots[0]?.extra?.tasks?.succeeded as number).toBeGreaterThan(0);
    expect((snapshots[0]?.extra?.tasks?.waitSeconds as { count: number }).count).toBeGreaterThan(0);
    c.disconnect();
  });

  it('keeps answering and publishing within the usual latency while CPU tasks run', async () => {
    const c = sdkClient(t.url);
    await connected(c);
    const sub = await subscribed(c, 'public:lag');
    const sent = new Map<number, number>();
    const lags: number[] = [];
    sub.on('publication', (ctx) => {
      const at = sent.get((ctx.data as { n: number }).n);
      if (at !== undefined) lags.push(performance.now() - at);
    });
    const probe = async (ms: number) => {
      const out: number[] = [];
      const end = Date.now() + ms;
      const n = lags.length;
      while (Date.now() < end) {
        const k = sent.size;
        sent.set(k, performance.now());
        await t.engine.publish('public:lag', { n: k });
        const t0 = performance.now();
        await c.rpc('tasks.status', { id: 'none' }).catch(() => undefined);
        out.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 10));
      }
      await until(() => lags.length >= sent.size, 'every publication');
      const pubs = lags.slice(n);
      return { rpc: out, pubs };
    };
    const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] as number;
    const before = await probe(500);
    const ids = await Promise.all([1, 2, 3].map(() => call('POST', '/api/v1/tasks', { type: 'test.spin', args: { ms: 400 } })));
    await until(() => t.engine.tasks.stats().cpu.threads >= 1 && t.engine.tasks.stats().running > 0, 'a CPU task running');
    const during = await probe(800);
    const results = await Promise.all(ids.map((r) => finished(r.json.id as string)));
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    // The spins held a thread for 1.2 s in all; the event loop went on answering as before.
    expect(during.rpc.length).toBeGreaterThan(30);
    expect(p99(during.rpc)).toBeLessThan(Math.max(50, 5 * p99(before.rpc)));
    expect(p99(during.pubs)).toBeLessThan(Math.max(50, 5 * p99(before.pubs)));
    c.disconnect();
  });
});
