import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineProcess } from '../support/engine-process.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { sharedData } from '../support/shared-data.js';
import { apiBars, type BarShape, metric, metricsOf, storedBars, storedCount, until } from '../support/persisted-bars.js';

const canStartOwn = PrivatePostgres.installed();
const ticks = sharedData('market/spy-2013-10-07/ticks.csv.gz');
const TICKS = 250_601;
// 57,600 s of event time in about 20 s.
const SPEED = '3000';

describe.runIf(canStartOwn && ticks.available)('spilled bars survive the engine being killed', () => {
  it('an engine killed (SIGKILL) while the database is down: the next one, on the same spill, stores every bar the first computed, once', { timeout: 120_000 }, async () => {
    const pg = await PrivatePostgres.start();
    const spillDir = mkdtempSync(join(tmpdir(), 'supernova-spill-'));
    const env = {
      SUPERNOVA_DATABASE_URL: pg.url, SUPERNOVA_SPILL_DIR: spillDir, SUPERNOVA_SPILL_SEGMENT_BYTES: String(128 * 1024),
      SUPERNOVA_PERSIST_FLUSH_MS: '200', SUPERNOVA_BAR_HISTORY: '100000',
    };
    const engines: EngineProcess[] = [];
    try {
      const first = await EngineProcess.start({ ...env, SUPERNOVA_FEED: 'replay', SUPERNOVA_REPLAY_FILE: ticks.file, SUPERNOVA_REPLAY_SPEED: SPEED });
      engines.push(first);
      const figure = async (name: string, labels = 'table="bars"') => metric(await metricsOf(first.http), name, labels) ?? 0;
      await until(async () => (await figure('supernova_persist_rows_total')) > 0, 'bars written before the outage', 30_000);
      pg.stopServer();
      // The rest of the day is replayed with the database away: its bars go to disk.
      await until(async () => (await figure('supernova_pipeline_ticks_in_total', 'pipeline="market"')) === TICKS, 'the end of the replay', 90_000, 500);
      // Read from memory alone: the database that would answer older pages is down (each miss takes its connect timeout).
      let minutes: BarShape[] = [];
      await until(async () => (minutes = await apiBars(first.http, 'SPY', '1m', { ringOnly: true })).length === 828, 'every minute closed', 30_000);
      const computed = [...minutes, ...await apiBars(first.http, 'SPY', '1s', { ringOnly: true })];
      // Nothing left in memory: what was not written before the outage is on disk (synced).
      await until(async () => (await figure('supernova_persist_buffered')) === 0 && (await figure('supernova_spill_rows_total')) + (await figure('supernova_persist_rows_total')) >= computed.length, 'every bar written or spilled', 10_000);
      const spilled = await figure('supernova_spill_rows_total');
      const written = await figure('supernova_persist_rows_total');
      expect(spilled).toBeGreaterThan(computed.length / 2);
      expect(readdirSync(join(spillDir, 'bars')).filter((n) => n.endsWith('.seg')).length).toBeGreaterThan(1);
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      // It had no chance to release its lock: the next engine takes it over, its process being gone.
      expect(readFileSync(join(spillDir, 'bars', 'LOCK'), 'utf8')).toBe(String(first.pid));

      await pg.startServer();
      const second = await EngineProcess.start({ ...env, SUPERNOVA_FEED: 'none' });
      engines.push(second);
      await until(async () => (await storedCount(pg.url)) === computed.length, 'every bar stored', 30_000);
      const stored = [...await storedBars(pg.url, 'SPY', '1m'), ...await storedBars(pg.url, 'SPY', '1s')];
      expect(stored).toEqual(computed);
      const text = await metricsOf(second.http);
      await until(async () => metric(await metricsOf(second.http), 'supernova_spill_segments', 'table="bars"') === 0, 'the spill to be empty', 10_000);
      expect(metric(text, 'supernova_spill_drained_rows_total', 'table="bars"')).toBeGreaterThanOrEqual(spilled);
      expect(metric(text, 'supernova_spill_corrupt_records_total', 'table="bars"')).toBe(0);
      expect(second.warnings.get('spilled rows of a previous run found: they are written to the database before newer rows')).toBe(1);
      console.info(`crash test: ${computed.length} bars computed, ${written} written before the outage, ${spilled} spilled, all stored once after SIGKILL and restart`);
      await second.stop();
      expect(readdirSync(join(spillDir, 'bars'))).toEqual([]);
    } finally {
      for (const e of engines) if (e.alive) e.child.kill('SIGKILL');
      await pg.stop();
      rmSync(spillDir, { recursive: true, force: true });
    }
  });

  it.runIf(canStartOwn)('a spill directory that cannot be made stops start-up with SUPERNOVA_SPILL_DIR named', { timeout: 60_000 }, async () => {
    const pg = await PrivatePostgres.start();
    const dir = mkdtempSync(join(tmpdir(), 'supernova-spill-'));
    try {
      const file = join(dir, 'a-file');
      writeFileSync(file, 'not a directory');
      const failed = await EngineProcess.start({ SUPERNOVA_DATABASE_URL: pg.url, SUPERNOVA_SPILL_DIR: join(file, 'spill'), SUPERNOVA_FEED: 'none' }).then(
        (e) => { e.child.kill('SIGKILL'); return undefined; },
        (err: Error) => err.message,
      );
      expect(failed).toMatch(/engine exited at start \(1\)/);
      expect(failed).toMatch(/start failed/);
      expect(failed).toMatch(/cannot use the spill directory at .*a-file.* \(SUPERNOVA_SPILL_DIR\): ENOTDIR/);
    } finally {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
