import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type TestEngine } from '../../test/support/engine.js';
import { writeReport } from '../report/write-report.js';
import type { QuickOptions } from './options.js';
import { silentProgress } from './progress.js';
import { runQuick } from './quick.js';
import { newResult, RESULT_SCHEMA, type LoadtestResult } from './result.js';
import { targetFromUrl } from './target.js';

let engine: TestEngine;
let dir: string;

beforeAll(async () => {
  // The simulated feed gives market.snapshot something to answer for the RPCs.
  engine = await startEngine({ feed: 'simulated', apiKey: 'test-key' });
  dir = await mkdtemp(join(tmpdir(), 'sn-loadtest-'));
  await new Promise((r) => setTimeout(r, 500));
});

afterAll(async () => {
  await engine.stop();
  await rm(dir, { recursive: true, force: true });
});

function options(o: Partial<QuickOptions>): QuickOptions {
  return { url: engine.url, client: 'sdk', apiKey: undefined, usersPerChannel: 5, rpcRatio: 0.2, requestTimeoutMs: 5000, out: undefined, pin: false, users: 20, durationMs: 3000, rampUpMs: 500, ratePerUser: 5, ...o };
}

async function quick(o: QuickOptions) {
  const target = targetFromUrl(o.url ?? '', o.apiKey);
  const run = await runQuick(o, { target, signal: new AbortController().signal, progress: silentProgress, log: () => {} });
  return run;
}

describe('loadtest quick against an in-process engine', () => {
  it('centrifuge-js users: sane figures, no errors, every publication delivered to its channel', async () => {
    const run = await quick(options({}));
    const s = run.summary;
    expect(s.errorsByKind).toEqual({});
    expect(s.usersConnected).toBe(20);
    // 20 users x 5/s for about 2.5 s after the ramp-up: generous bounds for a loaded machine.
    expect(s.requests).toBeGreaterThan(100);
    expect(s.requests).toBeLessThan(20 * 5 * 3 + 50);
    expect(s.requestsPerS).toBeGreaterThan(30);
    expect(s.response.p50Ms).toBeGreaterThan(0);
    expect(s.response.p50Ms).toBeLessThanOrEqual(s.response.p95Ms);
    expect(s.response.p95Ms).toBeLessThanOrEqual(s.response.p99Ms);
    expect(s.response.p99Ms).toBeLessThan(2000);
    // Each publication reaches the 5 users of its channel (the publisher included).
    const publishes = Math.round(s.requests * 0.8);
    expect(s.delivery.count).toBeGreaterThan(publishes * 5 * 0.85);
    expect(s.delivery.count).toBeLessThanOrEqual((publishes + 2) * 5);
    expect(s.messagesPerS).toBeGreaterThan(s.requestsPerS);
    expect(run.timeline.length).toBeGreaterThanOrEqual(2);
    expect(run.timeline.some((p) => p.serverRssMiB !== undefined && p.serverRssMiB > 10)).toBe(true);
    expect(run.timeline.at(-1)?.serverConnections).toBeGreaterThan(0);
  });

  it('raw users publishing through the server API; the result JSON and report are written', async () => {
    const o = options({ client: 'raw', apiKey: 'test-key', durationMs: 2500 });
    const run = await quick(o);
    expect(run.summary.errorsByKind).toEqual({});
    expect(run.summary.usersConnected).toBe(20);
    expect(run.summary.delivery.count).toBeGreaterThan(0);
    const result: LoadtestResult = { ...newResult('quick', o, { wsUrl: engine.url, startedBySuite: false, apiKey: o.apiKey }, 'not pinned'), load: run, finishedAt: new Date().toISOString() };
    const written = await writeReport(result, dir);
    const json = JSON.parse(await readFile(written.json, 'utf8')) as LoadtestResult;
    expect(json.schema).toBe(RESULT_SCHEMA);
    expect(json.target.publishVia).toBe('server-api');
    expect(JSON.stringify(json)).not.toContain('test-key');
    expect(json.load?.summary.requests).toBe(run.summary.requests);
    expect(await readFile(written.html, 'utf8')).toContain('<svg');
    expect(written.pngs).toHaveLength(5);
  });

  it('stops early on abort and says so', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 800);
    const t0 = Date.now();
    const run = await runQuick(options({ durationMs: 60_000 }), { target: targetFromUrl(engine.url, undefined), signal: ac.signal, progress: silentProgress, log: () => {} });
    expect(run.interrupted).toBe(true);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(run.summary.durationS).toBeLessThan(5);
  });
});
