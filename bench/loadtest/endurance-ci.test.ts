import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { BenchChild } from '../orchestrator/bench-child.js';
import type { ServerReady, ServerRpc } from '../shared/server-protocol.js';
import { runComprehensive } from './comprehensive.js';
import type { ComprehensiveOptions } from './options.js';
import { silentProgress } from './progress.js';
import { newResult } from './result.js';
import { DEFAULT_RPC, type LoadTarget } from './target.js';

/**
 * The endurance target's CI version: one minute of mixed load (client publishes, deliveries,
 * RPCs) against SuperNova in its own process, whose RSS is read from /proc. The full run is
 * `npm run loadtest -- comprehensive --phases endurance --endurance 1800`.
 */
const ENDURANCE_MS = 60_000;

let server: BenchChild<ServerRpc>;
let target: LoadTarget;

beforeAll(async () => {
  const { child, ready } = await BenchChild.spawn<ServerRpc, ServerReady>({
    label: 'supernova',
    script: fileURLToPath(new URL('../servers/loadtest-server.ts', import.meta.url)),
    args: { maxLifetimeMs: 5 * 60_000 },
    cpus: undefined,
    tasksetPath: undefined,
    nodeFlags: ['--import', 'tsx'],
    readyTimeoutMs: 30_000,
    env: { SUPERNOVA_API_KEY: 'endurance-ci', SUPERNOVA_LOG_LEVEL: 'error' },
  });
  server = child;
  const base = `127.0.0.1:${ready.port}`;
  target = { wsUrl: `ws://${base}/connection/websocket`, httpUrl: `http://${base}`, rpc: DEFAULT_RPC, pid: ready.pid };
}, 60_000);

afterAll(async () => {
  await server.request('stop', null, 15_000).catch(() => undefined);
  await server.waitExit(5000);
});

describe('endurance, one minute (the CI version of the 30-minute run)', () => {
  it('keeps RSS growth under 5 % after warm-up, with zero errors', async () => {
    const o: ComprehensiveOptions = {
      url: target.wsUrl, client: 'raw', apiKey: undefined, usersPerChannel: 10, rpcRatio: 0.2, requestTimeoutMs: 5000, out: undefined, pin: false,
      phases: ['endurance'], scale: 1, users: 50, ratePerUser: 4,
      loadMs: 0, stressStepMs: 0, stressSteps: 0, stressMaxUsers: 0, enduranceMs: ENDURANCE_MS, leakMs: 0,
    };
    const result = newResult('comprehensive', o, { wsUrl: target.wsUrl, startedBySuite: true, apiKey: undefined }, 'not pinned');
    await runComprehensive(o, { target, signal: new AbortController().signal, progress: silentProgress, log: () => {} }, result);
    const e = result.endurance;
    console.info(`endurance 60 s: ${e?.run.summary.requests} requests, RSS growth ${e?.stability.rssGrowthPct?.toFixed(2)} %, errors ${e?.stability.errors}, p99 drift ${e?.stability.latencyDriftPct?.toFixed(0)} %`);
    expect(e?.run.summary.usersConnected).toBe(50);
    expect(e?.run.summary.requests).toBeGreaterThan(50 * 4 * 40);
    expect(e?.stability.errors).toBe(0);
    expect(e?.stability.rssGrowthPct).toBeDefined();
    expect(e?.stability.rssGrowthPct ?? Number.POSITIVE_INFINITY).toBeLessThan(5);
  }, ENDURANCE_MS + 60_000);
});
