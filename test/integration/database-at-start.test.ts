import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../src/storage/index.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { connected, sdkClient } from '../support/client.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { apiBars, storedBars, storedCount, until } from '../support/persisted-bars.js';

const canStartOwn = PrivatePostgres.installed();

/** Ticks of one symbol, one per 250 ms of event time from `from`, for `seconds`, and one past them that closes the last bar. */
function ticks(symbol: string, from: number, seconds: number): { symbol: string; price: number; size: number; ts: number }[] {
  const out = Array.from({ length: seconds * 4 }, (_, i) => ({ symbol, price: 100 + (i % 7), size: 1 + (i % 3), ts: from + i * 250 }));
  return [...out, { symbol, price: 100, size: 1, ts: from + (seconds + 10) * 1000 }];
}

/**
 * An engine whose database is down when it starts (a PostgreSQL of the test's own, stopped):
 * it serves without it, holds the closed bars, and migrates and writes them once it answers.
 */
describe.runIf(canStartOwn)('a database that is down at start', () => {
  let pg: PrivatePostgres;
  beforeAll(async () => {
    pg = await PrivatePostgres.start();
    pg.stopServer();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it('with SUPERNOVA_DATABASE_AT_START=require the engine refuses to start, naming the variable', async () => {
    await expect(startEngine({ databaseUrl: pg.url, databaseAtStart: 'require' })).rejects.toMatchObject({
      code: 'DATABASE_UNREACHABLE',
      message: expect.stringMatching(/SUPERNOVA_DATABASE_URL/),
    });
  });

  it('by default the engine serves without it, then migrates it and stores every bar closed meanwhile once it answers', { timeout: 60_000 }, async () => {
    let t: TestEngine | undefined;
    try {
      t = await startEngine({ apiKey: 'test-key', databaseUrl: pg.url, persistFlushMs: 50, barLatenessMs: 0 });
      const health = (await (await fetch(`${t.http}/performance/health`)).json()) as { status: string; components: Record<string, { up: boolean }> };
      expect(health.status).toBe('degraded');
      expect(health.components.database?.up).toBe(false);
      // Streaming does not wait for storage.
      const c = sdkClient(t.url);
      await connected(c);
      c.disconnect();

      const from = Math.floor(Date.now() / 1000) * 1000 - 120_000;
      const res = await fetch(`${t.http}/api/v1/ingest/ticks`, { method: 'POST', headers: { authorization: 'apikey test-key', 'content-type': 'application/json' }, body: JSON.stringify(ticks('WAIT', from, 20)) });
      expect(res.status).toBe(200);
      const inMemory = await apiBars(t.http, 'WAIT', '1s', { ringOnly: true });
      expect(inMemory.length).toBeGreaterThanOrEqual(20);
      expect(await storedCount(pg.url)).toBe(-1);

      await pg.startServer();
      const http = t.http;
      const latest = Math.max(...migrations.map((m) => m.version));
      const report = async () => (await (await fetch(`${http}/performance/metrics/database`)).json()) as { up: boolean; schemaVersion: number };
      await until(async () => (await report()).schemaVersion === latest, 'the database migrated', 20_000);
      expect((await report()).up).toBe(true);
      await until(async () => (await storedBars(pg.url, 'WAIT', '1s')).length >= inMemory.length, 'the bars closed while it was down stored', 30_000);
      // Every bar closed while the database was down is stored, once (the key is the primary key), equal
      // to the engine's own; a later one (the last bar, closed by the clock since) may follow them.
      const stored = await storedBars(pg.url, 'WAIT', '1s');
      expect(stored.slice(0, inMemory.length)).toEqual(inMemory);
      expect(stored.length).toBeLessThanOrEqual(inMemory.length + 1);
      // (The cache's L3 tier, on the same database, comes back with its next operation, as after any outage.)
      const after = (await (await fetch(`${http}/performance/health`)).json()) as { components: Record<string, { up: boolean }> };
      expect(after.components.database?.up).toBe(true);
    } finally {
      await t?.stop();
    }
  });
});
