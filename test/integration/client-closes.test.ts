import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startEngine, type TestEngine } from '../support/engine.js';
import { metric, metricsOf, until } from '../support/persisted-bars.js';

/**
 * Sessions the client ends are counted by kind (supernova_client_closes_total), beside the
 * server's own disconnects: a normal close, a connection gone without a close frame (1006, what a
 * dropped network looks like), and an SSE stream the client closed.
 */
describe('sessions the client ends', () => {
  let t: TestEngine;
  beforeAll(async () => { t = await startEngine({}); });
  afterAll(async () => { await t?.stop(); });

  const opened = async (): Promise<WebSocket> => {
    const ws = new WebSocket(t.url);
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    ws.send(JSON.stringify({ id: 1, connect: {} }));
    await new Promise<void>((resolve) => ws.once('message', () => resolve()));
    return ws;
  };
  const count = async (kind: string) => metric(await metricsOf(t.http), 'supernova_client_closes_total', `kind="${kind}"`) ?? 0;

  it('counts a normal close, a connection dropped without a close frame and a closed SSE stream, and none as the server\'s', async () => {
    const before = { normal: await count('normal'), abnormal: await count('abnormal'), stream: await count('stream') };
    (await opened()).close(1000);
    await until(async () => (await count('normal')) === before.normal + 1, 'the normal close', 5_000, 20);
    // The TCP connection cut under the WebSocket: no close frame.
    (await opened()).terminate();
    await until(async () => (await count('abnormal')) === before.abnormal + 1, 'the dropped connection', 5_000, 20);
    const abort = new AbortController();
    const res = await fetch(`${t.http}/connection/sse?cf_connect=${encodeURIComponent(JSON.stringify({ id: 1, connect: {} }))}`, { signal: abort.signal });
    const reader = res.body?.getReader();
    await reader?.read();
    abort.abort();
    await until(async () => (await count('stream')) === before.stream + 1, 'the closed stream', 5_000, 20);
    const text = await metricsOf(t.http);
    // The server ended none of them.
    expect(text).not.toMatch(/^supernova_disconnects_total\{/m);
  });
});
