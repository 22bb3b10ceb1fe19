import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEngine, type TestEngine } from '../support/engine.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { sharedData } from '../support/shared-data.js';
import { apiBars, metric, metricsOf, storedBars, storedCount, until } from '../support/persisted-bars.js';

const canStartOwn = PrivatePostgres.installed();
const ticks = sharedData('market/spy-2013-10-07/ticks.csv.gz');
const TICKS = 250_601;
const MINUTES = 828;
// The day's ticks span 04:00-20:00 New York, 57,600 s of event time: at 600x the replay takes 96 s.
const SPEED = 600;
const OUTAGE_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

describe.runIf(canStartOwn && ticks.available)('bars persisted through a database outage, spilled to disk meanwhile', () => {
  it('every 1m and 1s bar of the replayed SPY day is stored exactly once and equals the in-memory bar', { timeout: 175_000 }, async () => {
    const pg = await PrivatePostgres.start();
    const spillDir = mkdtempSync(join(tmpdir(), 'supernova-spill-'));
    let t: TestEngine | undefined;
    try {
      t = await startEngine({
        databaseUrl: pg.url, feed: 'replay', replayFile: ticks.file, replaySpeed: SPEED, barHistory: 100_000,
        spillDir, spillSegmentBytes: 256 * 1024, persistFlushMs: 200,
      });
      const http = t.http;
      const started = Date.now();
      const figure = async (name: string) => metric(await metricsOf(http), name, 'table="bars"') ?? 0;
      await until(async () => (await figure('supernova_persist_rows_total')) > 0, 'bars written before the outage', 30_000);
      // 15 s in (06:30 event time), the database goes away for a minute: the whole regular session.
      await sleep(started + 15_000 - Date.now());
      pg.stopServer();
      const down = Date.now();
      await until(async () => (await figure('supernova_spill_rows_total')) > 0, 'rows on disk during the outage', 30_000);
      const report = (await (await fetch(`${http}/performance/metrics/database`)).json()) as { persistence: { bars: { buffered: number; spill: { bytes: number; segments: number; maxBytes: number } } } };
      expect(report.persistence.bars.spill.bytes).toBeGreaterThan(0);
      expect(report.persistence.bars.spill.segments).toBeGreaterThan(0);
      expect(report.persistence.bars.spill.maxBytes).toBe(1024 * 1024 * 1024);
      await sleep(down + OUTAGE_MS - Date.now());
      const spilledWhileDown = await figure('supernova_spill_rows_total');
      const onDiskAtReturn = await figure('supernova_spill_bytes');
      await pg.startServer();

      // The replay ends (every tick in, every minute closed) and the writer drains the spill, then memory.
      await until(async () => metric(await metricsOf(http), 'supernova_pipeline_ticks_in_total', 'pipeline="market"') === TICKS, 'the end of the replay', 120_000, 500);
      await until(async () => (await apiBars(http, 'SPY', '1m')).length === MINUTES, 'every minute closed', 10_000);
      const minutes = await apiBars(http, 'SPY', '1m');
      const seconds = await apiBars(http, 'SPY', '1s');
      await until(async () => (await storedCount(pg.url)) === minutes.length + seconds.length, 'every bar stored', 30_000);
      const text = await metricsOf(http);
      const m = (name: string) => metric(text, name, 'table="bars"');

      // Exactly once: the key is the primary key, so equal counts and equal rows mean each bar once.
      expect(await storedBars(pg.url, 'SPY', '1m')).toEqual(minutes);
      expect(await storedBars(pg.url, 'SPY', '1s')).toEqual(seconds);
      expect(seconds.length).toBeGreaterThan(15_000);
      // The spill was used, for most of the day, and all of it came back.
      expect(spilledWhileDown).toBeGreaterThan(seconds.length / 2);
      expect(onDiskAtReturn).toBeGreaterThan(0);
      await until(async () => (await figure('supernova_spill_segments')) === 0, 'the spill to be empty', 10_000);
      expect(m('supernova_spill_drained_rows_total')).toBe(m('supernova_spill_rows_total'));
      expect(m('supernova_spill_bytes')).toBe(0);
      expect(m('supernova_persist_refused_total')).toBe(0);
      expect(m('supernova_spill_corrupt_records_total')).toBe(0);
      expect(m('supernova_persist_retries_total')).toBeGreaterThan(0);
      console.info(`outage test: ${minutes.length} 1m + ${seconds.length} 1s bars stored once; ${spilledWhileDown} rows spilled during the ${OUTAGE_MS / 1000} s outage (${onDiskAtReturn} bytes on disk at its end), replay took ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
      await t.stop();
      t = undefined;
      // Nothing left behind: no segment, and the lock released.
      expect(readdirSync(join(spillDir, 'bars'))).toEqual([]);
    } finally {
      await t?.stop();
      await pg.stop();
      rmSync(spillDir, { recursive: true, force: true });
    }
  });
});
