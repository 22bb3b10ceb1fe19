import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Centrifuge } from 'centrifuge';
import { api, connected, sdkClient, subscribed, until } from '../support/client.js';
import { EngineProcess } from '../support/engine-process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const DRAIN_MS = 1_000;
const GRACE_MS = 500;
const FLUSH_MS = 500;
/** main.ts's SHUTDOWN_MARGIN_MS: past drain + grace + flush + this, the process exits 1. */
const MARGIN_MS = 5_000;

const engines: EngineProcess[] = [];
const clients: Centrifuge[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const e of engines.splice(0)) if (e.alive) e.child.kill('SIGKILL');
});

/** `npm start`'s engine with a pipeline, the server API and the given drain delay. */
async function engineProcess(drainMs: number): Promise<EngineProcess> {
  const e = await EngineProcess.start({
    SUPERNOVA_SYMBOLS: 'AAPL', SUPERNOVA_API_KEY: 'test-key', SUPERNOVA_DRAIN_DELAY_MS: String(drainMs),
    SUPERNOVA_SHUTDOWN_GRACE_MS: String(GRACE_MS), SUPERNOVA_LOG_FLUSH_MS: String(FLUSH_MS),
  });
  engines.push(e);
  return e;
}

/** A client that would not reconnect within the test: its first `connecting` is the server's disconnect. */
async function client(e: EngineProcess): Promise<{ c: Centrifuge; disconnect: Promise<{ code: number; at: number }> }> {
  const c = sdkClient(e.url, { minReconnectDelay: 60_000, maxReconnectDelay: 60_000 });
  clients.push(c);
  await connected(c);
  const disconnect = new Promise<{ code: number; at: number }>((resolve) => c.once('connecting', (ctx) => resolve({ code: ctx.code, at: performance.now() })));
  return { c, disconnect };
}

const status = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).status;

describe('graceful shutdown', () => {
  it('SIGTERM: ready 503 at once while live is 200 and clients are served for the drain delay, then 3001, then exit 0', { timeout: 30_000 }, async () => {
    const e = await engineProcess(DRAIN_MS);
    const { c, disconnect } = await client(e);
    const sub = await subscribed(c, 'public:drain');
    const received: unknown[] = [];
    sub.on('publication', (ctx) => received.push(ctx.data));
    expect(await status(`${e.http}/performance/health/ready`)).toBe(200);

    const sentAt = performance.now();
    e.child.kill('SIGTERM');
    // At once: the first probe after the signal reaches the engine is refused.
    while ((await status(`${e.http}/performance/health/ready`)) === 200 && performance.now() - sentAt < 500) await new Promise((r) => setTimeout(r, 5));
    expect(await status(`${e.http}/performance/health/ready`)).toBe(503);
    // Probes through the delay, as a kubelet and a load balancer would send them.
    const probes: { ready: number; live: number; health: number }[] = [];
    let gone = false;
    void disconnect.then(() => { gone = true; });
    let published = false;
    while (!gone && performance.now() - sentAt < DRAIN_MS - 200) {
      const [ready, live, health] = await Promise.all(['/ready', '/live', ''].map((p) => status(`${e.http}/performance/health${p}`)));
      probes.push({ ready: ready as number, live: live as number, health: health as number });
      if (!published) {
        // Served as before: a publication made during the delay reaches the subscriber.
        expect((await api(e.http, 'publish', { channel: 'public:drain', data: { during: 'drain' } })).status).toBe(200);
        published = true;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(probes.length).toBeGreaterThanOrEqual(3);
    expect(probes.every((p) => p.ready === 503 && p.live === 200 && p.health === 503), JSON.stringify(probes)).toBe(true);
    await until(() => received.length === 1, 'the publication made while draining', 2_000);
    expect(received).toEqual([{ during: 'drain' }]);

    const { code, at } = await disconnect;
    expect(code).toBe(3001);
    // Not before the delay: the SIGTERM reached the engine after sentAt, so its timer cannot end earlier.
    expect(at - sentAt).toBeGreaterThanOrEqual(DRAIN_MS);
    const exit = await e.exited;
    expect(exit.code, e.output()).toBe(0);
    const exitMs = exit.at - (performance.timeOrigin + sentAt);
    expect(exitMs).toBeLessThan(DRAIN_MS + GRACE_MS + FLUSH_MS + MARGIN_MS);
    expect(e.output()).toContain('supernova stopped');
  });

  it('SIGINT skips the drain delay: 3001 and exit 0 at once', { timeout: 30_000 }, async () => {
    const e = await engineProcess(20_000);
    const { disconnect } = await client(e);
    const sentAt = performance.now();
    e.child.kill('SIGINT');
    const { code, at } = await disconnect;
    expect(code).toBe(3001);
    expect(at - sentAt).toBeLessThan(3_000);
    expect((await e.exited).code).toBe(0);
  });

  it('a bad configuration value stops start-up with a message naming the variable', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root, env: { ...process.env, SUPERNOVA_PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(err).toContain('SUPERNOVA_PORT');
  });
});
