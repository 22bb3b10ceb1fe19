import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import type WebSocket from 'ws';
import { openFileBudget } from '../../src/config/index.js';
import { RawSocket } from '../support/raw-socket.js';
import { runChildEngine, startChildEngine, timedGet, upgrade, type ChildEngine, type UpgradeOutcome } from '../support/child-engine.js';

/**
 * The engine under a small open-file limit, in a child process (the limit is per process; this
 * one has thousands). Without a limit of its own, the engine takes connections until accept()
 * fails with EMFILE, and then uWebSockets.js retries it in a loop at 100 % of a core while health
 * probes time out.
 */
const OPEN_FILES = 256;
const budget = openFileBudget(OPEN_FILES);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let engine: ChildEngine | undefined;
const held: WebSocket[] = [];
const raw: Socket[] = [];
afterEach(async () => {
  for (const ws of held.splice(0)) ws.terminate();
  for (const s of raw.splice(0)) s.destroy();
  await engine?.stop();
  engine = undefined;
});

/** CPU the child used over a second, as a fraction of one core. */
async function cpuOverASecond(e: ChildEngine): Promise<number> {
  const before = e.cpuSeconds();
  const t0 = performance.now();
  await sleep(1_000);
  return (e.cpuSeconds() - before) / ((performance.now() - t0) / 1_000);
}

async function metric(e: ChildEngine, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${e.http}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('at the open-file limit', () => {
  it('refuses WebSocket upgrades beyond SUPERNOVA_MAX_CONNECTIONS with 503, and keeps answering health without spinning', { timeout: 60_000 }, async () => {
    const e = (engine = await startChildEngine({}, OPEN_FILES));
    // The default is what the descriptors allow; the extra ones alone would exhaust them.
    const extra = OPEN_FILES;
    const outcomes: UpgradeOutcome[] = [];
    // A few at a time, as clients arrive; a burst is the guard's case (the next test).
    for (let i = 0; i < budget.maxConnections + extra; i += 8) {
      const batch = await Promise.all(Array.from({ length: Math.min(8, budget.maxConnections + extra - i) }, () => upgrade(e.url, 3_000)));
      outcomes.push(...batch);
      for (const o of batch) if (o.kind === 'open') held.push(o.ws);
      // Past the open-file limit every upgrade hangs: stop there rather than wait for each.
      if (batch.some((o) => o.kind === 'failed')) break;
    }
    const refused = outcomes.filter((o) => o.kind === 'refused');
    expect({ open: held.length, refused: refused.length, failed: outcomes.filter((o) => o.kind === 'failed').length })
      .toEqual({ open: budget.maxConnections, refused: extra, failed: 0 });
    for (const r of refused) {
      expect(r.status).toBe(503);
      expect(r.retryAfter).toBeDefined();
      expect(JSON.parse(r.body)).toEqual({ error: { code: 'CONNECTION_LIMIT', message: expect.stringContaining('SUPERNOVA_MAX_CONNECTIONS') } });
    }

    // Holding every connection it allows, the engine is idle and answers at once.
    const health = await timedGet(`${e.http}/performance/health`, 2_000);
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', connections: budget.maxConnections, maxConnections: budget.maxConnections } });
    expect(health.ms).toBeLessThan(500);
    expect(await cpuOverASecond(e)).toBeLessThan(0.2);
    expect(await metric(e, 'supernova_connections_refused_total{reason="limit"}')).toBe(extra);

    // A place freed is a place taken.
    (held.shift() as WebSocket).terminate();
    for (let i = 0; i < 100; i++) {
      const h = await timedGet(`${e.http}/performance/health`, 2_000);
      if ('body' in h && (h.body as { connections: number }).connections < budget.maxConnections) break;
      await sleep(20);
    }
    const again = await upgrade(e.url, 3_000);
    expect(again.kind).toBe('open');
    if (again.kind === 'open') held.push(again.ws);

    // Every socket closed is uncounted: the count of open sockets comes back down to this
    // test's HTTP client (a socket or two kept alive) once every WebSocket is closed.
    for (const ws of held.splice(0)) ws.terminate();
    await sleep(200);
    const idle = await timedGet(`${e.http}/performance/health`, 2_000);
    expect(idle).toMatchObject({ status: 200, body: { connections: 0 } });
    expect((idle as { body: { openSockets: number } }).body.openSockets).toBeGreaterThan(0);
    expect((idle as { body: { openSockets: number } }).body.openSockets).toBeLessThanOrEqual(3);
  });

  it('closes sockets accepted beyond what the descriptors allow: idle TCP connections cannot make it spin', { timeout: 60_000 }, async () => {
    const e = (engine = await startChildEngine({}, OPEN_FILES));
    const client = new RawSocket(e.url);
    await client.opened;
    held.push(client.ws);
    // TCP connections that never send a request reach no handler; uWS closes them after 10 s.
    const flood = OPEN_FILES + 50;
    await Promise.all(Array.from({ length: flood }, () => new Promise<void>((resolve) => {
      const s = connect(e.port, '127.0.0.1', () => resolve());
      s.on('error', () => resolve());
      raw.push(s);
    })));
    await sleep(200);
    expect(await cpuOverASecond(e)).toBeLessThan(0.2);
    // The connected client is still served while the flood is held.
    client.send({ id: 1, connect: {} });
    expect(await client.reply(1, 2_000)).toHaveProperty('connect');
    // A new HTTP client meanwhile is one socket too many: closed at once, not left hanging.
    const during = await timedGet(`${e.http}/performance/health`, 2_000);
    expect(during).toMatchObject({ error: 'fetch failed' });
    expect(during.ms).toBeLessThan(500);

    for (const s of raw.splice(0)) s.destroy();
    await sleep(200);
    const health = await timedGet(`${e.http}/performance/health`, 2_000);
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', connections: 1 } });
    expect(health.ms).toBeLessThan(500);
    expect((health as { body: { openSockets: number } }).body.openSockets).toBeLessThanOrEqual(4);
    const closedAtAccept = await metric(e, 'supernova_connections_refused_total{reason="open_files"}');
    expect(closedAtAccept).toBeGreaterThanOrEqual(flood + 1 - budget.maxSockets);
  });

  it('refuses to start with SUPERNOVA_MAX_CONNECTIONS above what the open-file limit allows', { timeout: 30_000 }, async () => {
    const { code, output } = await runChildEngine({ SUPERNOVA_MAX_CONNECTIONS: String(budget.maxConnections + 1) }, OPEN_FILES);
    expect(code).toBe(1);
    expect(output).toContain(`SUPERNOVA_MAX_CONNECTIONS=${JSON.stringify(String(budget.maxConnections + 1))}`);
    expect(output).toContain(`at most ${budget.maxConnections} under this process's open-file limit of ${OPEN_FILES}`);
  });
});
