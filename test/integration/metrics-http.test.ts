import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MetricsSnapshot } from '../../streams/index.js';
import type { ApiReport, ResourcesReport } from '../../src/metrics/index.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient, until } from '../support/client.js';
import { SseClient } from '../support/sse.js';

let t: TestEngine;
const streams: SseClient[] = [];
beforeAll(async () => {
  t = await startEngine({ metricsIntervalMs: 100, sseHeartbeatMs: 150, sseMaxClients: 3, sseMaxSkipped: 3 });
});
afterAll(async () => {
  for (const s of streams) s.close();
  await t.stop();
});

function sse(path = '/performance/metrics/stream'): SseClient {
  const s = new SseClient(`${t.http}${path}`);
  streams.push(s);
  return s;
}

async function getJson<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${t.http}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

describe('GET /performance/metrics/stream (server-sent events)', () => {
  it('streams metrics events with ids and JSON data, and a comment heartbeat', async () => {
    const s = sse();
    expect(await s.opened).toBe(200);
    expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(s.headers['cache-control']).toContain('no-cache');
    await until(() => s.metrics().length >= 3 && s.comments.includes('heartbeat'), 'three events and a heartbeat', 10_000);
    const events = s.events.filter((e) => e.event === 'metrics');
    const snapshots = s.metrics() as unknown as MetricsSnapshot[];
    for (let i = 0; i < events.length; i++) expect(events[i]?.id).toBe(String(snapshots[i]?.seq));
    for (let i = 1; i < snapshots.length; i++) expect(snapshots[i]?.seq).toBe((snapshots[i - 1]?.seq ?? 0) + 1);
    expect(snapshots[0]?.memory.rssBytes).toBeGreaterThan(0);
    expect(snapshots.at(-1)?.extra.sse).toMatchObject({ clients: expect.any(Number) as unknown });
    s.close();
    await until(() => t.engine.liveMetrics.sseClients === 0, 'the server to forget the closed stream');
  });

  it('refuses a stream beyond the cap with a JSON 503', async () => {
    const open = [sse(), sse(), sse()];
    for (const s of open) expect(await s.opened).toBe(200);
    await until(() => t.engine.liveMetrics.sseClients === 3, 'three streams');
    const res = await fetch(`${t.http}/performance/metrics/stream`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'TOO_MANY_STREAMS', message: expect.stringContaining('SUPERNOVA_SSE_MAX_CLIENTS') as unknown } });
    for (const s of open) s.close();
    await until(() => t.engine.liveMetrics.sseClients === 0, 'streams closed');
    const again = sse();
    expect(await again.opened).toBe(200);
    again.close();
  });

  it('drops a client that stops reading, while one that reads keeps getting snapshots', { timeout: 30_000 }, async () => {
    // Big snapshots fill the socket buffers of the client that does not read within seconds.
    const unregister = t.engine.liveMetrics.extra.register('ballast', () => 'x'.repeat(512 * 1024));
    try {
      const reader = sse();
      const stalled = sse();
      await Promise.all([reader.opened, stalled.opened]);
      stalled.pause();
      const droppedBefore = t.engine.liveMetrics.sseDropped;
      await until(() => t.engine.liveMetrics.sseDropped > droppedBefore, 'the stalled client to be dropped', 25_000);
      const seen = reader.metrics().length;
      await until(() => reader.metrics().length >= seen + 2, 'the reader to keep receiving', 10_000);
      expect(t.engine.liveMetrics.sseClients).toBe(1);
      reader.close();
      stalled.close();
    } finally {
      unregister();
    }
  });
});

describe('GET /performance/metrics/resources', () => {
  it('reports CPU, memory, event loop, GC and handles', async () => {
    await until(() => (t.engine.liveMetrics.latest?.seq ?? 0) >= 2, 'an interval to close');
    const { status, body } = await getJson<ResourcesReport>('/performance/metrics/resources');
    expect(status).toBe(200);
    expect(body.uptimeSec).toBeGreaterThan(0);
    expect(body.cpu.intervalMs).toBeGreaterThan(50);
    expect(body.cpu.percent).toBeGreaterThanOrEqual(0);
    expect(body.cpu.totalUserMs).toBeGreaterThan(0);
    expect(body.memory.rssBytes).toBeGreaterThan(0);
    expect(body.memory.heapUsedBytes).toBeGreaterThan(0);
    expect(body.memory.heapTotalBytes).toBeGreaterThanOrEqual(body.memory.heapUsedBytes ?? 0);
    expect(body.eventLoop.utilization).toBeGreaterThanOrEqual(0);
    expect(body.eventLoop.utilization).toBeLessThanOrEqual(1);
    expect(body.eventLoop.lagMs.max).toBeGreaterThanOrEqual(body.eventLoop.lagMs.p50);
    expect(body.gc.count).toBe(Object.values(body.gc.byKind).reduce((n, k) => n + k.count, 0));
    if (process.platform === 'linux') expect(body.handles.openFiles).toBeGreaterThan(2);
    expect(body.handles.activeResources.Timeout).toBeGreaterThanOrEqual(1);
  });
});

describe('GET /performance/metrics/api', () => {
  it('shows each route with counts by status and latency percentiles, and WebSocket commands', async () => {
    for (let i = 0; i < 5; i++) expect((await fetch(`${t.http}/performance/health`)).status).toBe(200);
    expect((await fetch(`${t.http}/no/such/route`)).status).toBe(404);
    const c = sdkClient(t.url);
    await connected(c);
    await c.rpc('market.nope', {}).catch(() => undefined);
    c.disconnect();

    const { status, body } = await getJson<ApiReport>('/performance/metrics/api');
    expect(status).toBe(200);
    const health = body.routes.find((r) => r.route === '/performance/health' && r.method === 'GET');
    expect(health?.requests).toBeGreaterThanOrEqual(5);
    expect(health?.byStatus['200']).toBe(health?.requests);
    for (const p of ['p50', 'p95', 'p99'] as const) expect(health?.latencyMs[p]).toBeGreaterThan(0);
    expect(health?.latencyMs.p50).toBeLessThanOrEqual(health?.latencyMs.p99 ?? 0);
    expect(body.routes.find((r) => r.route === 'unmatched')?.byStatus['404']).toBeGreaterThanOrEqual(1);
    expect(body.routes.find((r) => r.route === '/performance/metrics/stream')?.byStatus['503']).toBeGreaterThanOrEqual(1);
    const connect = body.commands.find((m) => m.method === 'connect');
    expect(connect?.count).toBeGreaterThanOrEqual(1);
    expect(connect?.latencyMs.p99).toBeGreaterThan(0);
    expect(body.percentiles).toContain('histogram_quantile');

    const prom = await (await fetch(`${t.http}/metrics`)).text();
    expect(prom).toMatch(/supernova_http_request_duration_seconds_count\{route="\/performance\/health",method="get",status="200"\} \d+/);
    expect(prom).toContain('supernova_pipeline_ticks_in_total{pipeline="market"}');
  });
});

describe('shutdown', () => {
  it('stopping the engine ends every SSE stream', async () => {
    const own = await startEngine({ metricsIntervalMs: 50 });
    const a = new SseClient(`${own.http}/performance/metrics/stream`);
    const b = new SseClient(`${own.http}/performance/metrics/stream`);
    streams.push(a, b);
    await until(() => a.metrics().length >= 2 && b.metrics().length >= 2, 'two events on each stream');
    await own.stop();
    await Promise.all([a.ended, b.ended]);
    expect(own.engine.liveMetrics.sseClients).toBe(0);
  });

  it('a process with SDK and SSE clients exits on its own after engine.stop() (no timer or handle left)', { timeout: 30_000 }, async () => {
    const fixture = fileURLToPath(new URL('../fixtures/stop-with-sse-clients.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(killer);
    expect(stderr).toBe('');
    expect(code).toBe(0); // SIGKILL (null) would mean it hung
    expect(JSON.parse(stdout)).toEqual({ sseClients: 0, publications: true });
  });
});
