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

  it('under the high-water mark, takes connections and reports normal', { timeout: 30_000 }, async () => {
    const e = (engine = await startChildEngine({ SUPERNOVA_MEMORY_HIGH_WATER_BYTES: String(64 * 1024 * MB) }));
    const opened = await upgrade(e.url);
    expect(opened.kind).toBe('open');
    if (opened.kind === 'open') held.push(opened.ws);
    const health = await timedGet(`${e.http}/performance/health`, 2_000);
    expect(health).toMatchObject({ status: 200, body: { connections: 1, memory: { state: 'normal', highWaterBytes: 64 * 1024 * MB, lowWaterBytes: Math.floor(64 * 1024 * MB * 0.8), refusedConnections: 0 } } });
  });
});
