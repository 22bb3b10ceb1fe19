import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { startChildEngine, timedGet, upgrade, type ChildEngine } from '../support/child-engine.js';

const MB = 1024 * 1024;

let engine: ChildEngine | undefined;
const held: WebSocket[] = [];
afterEach(async () => {
  for (const ws of held.splice(0)) ws.terminate();
  await engine?.stop();
  engine = undefined;
});

interface Health {
  status: string;
  connections: number;
  memory: { state: string; rssBytes: number; highWaterBytes: number; lowWaterBytes: number; refusedConnections: number };
}

describe('memory watchdog', () => {
  it('over the high-water mark, refuses new WebSockets with 503 MEMORY_PRESSURE and says so in health (still 200)', { timeout: 30_000 }, async () => {
    // A real engine, whose real RSS (well over 20 MB once Node and the engine are loaded) is over its mark.
    const e = (engine = await startChildEngine({ SUPERNOVA_MEMORY_HIGH_WATER_BYTES: String(20 * MB), SUPERNOVA_MEMORY_LOW_WATER_BYTES: String(10 * MB) }));
    const before = await timedGet(`${e.http}/performance/health`, 2_000);
    expect(before).toMatchObject({ status: 200, body: { status: 'ok', memory: { state: 'pressure', highWaterBytes: 20 * MB, lowWaterBytes: 10 * MB, refusedConnections: 0 } } });
    expect((before as { body: Health }).body.memory.rssBytes).toBeGreaterThan(20 * MB);

    const refused = await upgrade(e.url);
    expect(refused).toMatchObject({ kind: 'refused', status: 503 });
    if (refused.kind !== 'refused') return;
    expect(refused.retryAfter).toBeDefined();
    expect(JSON.parse(refused.body)).toEqual({ error: { code: 'MEMORY_PRESSURE', message: expect.stringContaining('SUPERNOVA_MEMORY_HIGH_WATER_BYTES') } });
    await upgrade(e.url);

    const after = await timedGet(`${e.http}/performance/health`, 2_000);
    expect(after).toMatchObject({ status: 200, body: { status: 'ok', connections: 0, memory: { state: 'pressure', refusedConnections: 2 } } });
    const metrics = await (await fetch(`${e.http}/metrics`)).text();
    expect(metrics).toContain('supernova_connections_refused_total{reason="memory"} 2');
    expect(metrics).toMatch(/^supernova_memory_pressure 1$/m);
  });

  it('under pressure, history gives back memory at every check, oldest first', { timeout: 30_000 }, async () => {
    const e = (engine = await startChildEngine({
      SUPERNOVA_API_KEY: 'test-key', SUPERNOVA_MEMORY_CHECK_INTERVAL_MS: '200',
      SUPERNOVA_MEMORY_HIGH_WATER_BYTES: String(20 * MB), SUPERNOVA_MEMORY_LOW_WATER_BYTES: String(10 * MB),
    }));
    const publish = (i: number) => fetch(`${e.http}/api/publish`, {
      method: 'POST', headers: { authorization: 'apikey test-key' }, body: JSON.stringify({ channel: 'bars:1s:MEM', data: { i, pad: 'x'.repeat(10_000) } }),
    });
    for (let i = 1; i <= 100; i++) expect((await publish(i)).status).toBe(200);
    const history = async () => {
      const res = await fetch(`${e.http}/api/history`, { method: 'POST', headers: { authorization: 'apikey test-key' }, body: JSON.stringify({ channel: 'bars:1s:MEM', limit: -1 }) });
      return ((await res.json()) as { result: { publications: { data: { i: number } }[] } }).result.publications.map((p) => p.data.i);
    };
    const deadline = Date.now() + 10_000;
    let kept = await history();
    while (kept.length > 50 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      kept = await history();
    }
    expect(kept.length).toBeLessThanOrEqual(50);
    // What is left is the newest, in order.
    expect(kept.at(-1)).toBe(100);
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    const metrics = await (await fetch(`${e.http}/metrics`)).text();
    expect(metrics).toMatch(/supernova_history_evicted_total\{reason="memory"\} [1-9]/);
  });

  it('under the high-water mark, takes connections and reports normal', { timeout: 30_000 }, async () => {
    const e = (engine = await startChildEngine({ SUPERNOVA_MEMORY_HIGH_WATER_BYTES: String(64 * 1024 * MB) }));
    const opened = await upgrade(e.url);
    expect(opened.kind).toBe('open');
    if (opened.kind === 'open') held.push(opened.ws);
    const health = await timedGet(`${e.http}/performance/health`, 2_000);
    expect(health).toMatchObject({ status: 200, body: { connections: 1, memory: { state: 'normal', highWaterBytes: 64 * 1024 * MB, lowWaterBytes: Math.floor(64 * 1024 * MB * 0.8), refusedConnections: 0 } } });
  });
});
