import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Engine, loadConfig } from '../../src/index.js';
import { epochMs } from '../shared/clock.js';
import { ReaderPool } from './reader-pool.js';
import type { Transport } from './reader-protocol.js';

// The readers of bench:streams against a real engine: every transport's sessions ramp up and
// subscribe, then each counts every publication exactly once, a large one (near the 64 KiB publication limit, as many TCP
// reads as the kernel makes of it) included.

const SESSIONS = 12;
let engine: Engine;
let port = 0;

beforeAll(async () => {
  engine = new Engine({
    config: loadConfig({}, { port: 0, host: '127.0.0.1', feed: 'none', sentiment: false, logLevel: 'silent', shutdownGraceMs: 500, pingIntervalMs: 600_000 }),
    logger: pino({ level: 'silent' }),
  });
  ({ port } = await engine.start());
});
afterAll(async () => { await engine.stop(); });

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe.each<Transport>(['websocket', 'http_stream', 'sse'])('bench:streams readers over %s', (transport) => {
  it('subscribe every session, then count each publication once per session and time its stamp', async () => {
    const channel = `public:readers-${transport}`;
    const pool = new ReaderPool();
    pool.open({ transport, host: '127.0.0.1', port, channel, count: SESSIONS, openPerSecond: 200, maxInFlight: 4, handshakeTimeoutMs: 5000 });
    try {
      await until(() => pool.status().subscribed === SESSIONS, 'every session subscribed');
      pool.reset();
      const pad = 'x'.repeat(60_000);
      const before = epochMs();
      for (let seq = 0; seq < 5; seq++) await engine.publish(channel, seq === 2 ? { ts: epochMs(), seq, pad } : { ts: epochMs(), seq });
      await until(() => pool.receivedCount === 5 * SESSIONS, 'every publication at every session');
      const after = epochMs();
      const snap = pool.snapshot(5);
      expect(snap).toMatchObject({ sessions: SESSIONS, received: 5 * SESSIONS, complete: SESSIONS, short: 0, over: 0, minPerSession: 5, maxPerSession: 5, unstamped: 0, nonIncreasing: 0, lost: 0, replyErrors: 0 });
      expect(snap.problems).toEqual([]);
      // Every session got the same stamps: one checksum shared by all.
      expect(snap.checksums).toHaveLength(1);
      expect(snap.checksums[0]?.[1]).toBe(SESSIONS);
      // Each sample is a receipt minus its stamp, so none can exceed the whole publishing window.
      expect(snap.histogram.buckets.reduce((n, [, c]) => n + c, 0)).toBe(5 * SESSIONS);
      expect(snap.histogram.maxUs / 1000).toBeLessThanOrEqual(after - before + 1);
    } finally {
      await pool.stop(2000);
    }
    await until(() => engine.connections === 0 && engine.streamSessions === 0, 'sessions released');
  });
});

it('a session that cannot open is counted as failed, with the reason', async () => {
  const pool = new ReaderPool();
  // Nothing listens on port 1.
  pool.open({ transport: 'http_stream', host: '127.0.0.1', port: 1, channel: 'public:x', count: 1, openPerSecond: 10, maxInFlight: 1, handshakeTimeoutMs: 2000 });
  await until(() => pool.status().failed === 1, 'the failure');
  expect(pool.status().problems[0]).toMatch(/session 0 failed: .*ECONNREFUSED/);
  await pool.stop(100);
});

it('a session whose subscribe is refused is counted as failed and frees its slot for the next', async () => {
  const pool = new ReaderPool();
  pool.open({ transport: 'sse', host: '127.0.0.1', port, channel: 'private:desk', count: 2, openPerSecond: 100, maxInFlight: 1, handshakeTimeoutMs: 2000 });
  try {
    await until(() => pool.status().failed === 2, 'both refusals');
    expect(pool.status()).toMatchObject({ started: 2, subscribed: 0, lost: 0 });
    expect(pool.status().problems.some((p) => p.includes('error reply'))).toBe(true);
  } finally {
    await pool.stop(100);
  }
});
