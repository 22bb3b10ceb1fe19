import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
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
 *
 * In one minute, RSS says little about leaks: its fitted slope went from -18 % to +16 % on the same
 * code (the heap shrinks and regrows in the first 20 s, garbage piles up between full collections,
 * and native memory moves by several MiB), and the bounded stores (history, closed bars) are still
 * filling. So this version shrinks those bounds until they are full within warm-up, and judges
 * the JS heap after a full collection, once warm-up is over and once near the end, both under
 * load: what grows then is kept by something that should not keep it. RSS is printed.
 */
const ENDURANCE_MS = 60_000;
const HEAP_AT_MS = [20_000, 55_000] as const;

let server: BenchChild<ServerRpc>;
let target: LoadTarget;

beforeAll(async () => {
  const { child, ready } = await BenchChild.spawn<ServerRpc, ServerReady>({
    label: 'supernova',
    script: fileURLToPath(new URL('../servers/loadtest-server.ts', import.meta.url)),
    args: { maxLifetimeMs: 5 * 60_000 },
    cpus: undefined,
    tasksetPath: undefined,
    // --expose-gc: the heap readings collect first.
    nodeFlags: ['--import', 'tsx', '--expose-gc'],
    readyTimeoutMs: 30_000,
    env: {
      SUPERNOVA_API_KEY: 'endurance-ci',
      SUPERNOVA_LOG_LEVEL: 'error',
      // Every bounded store small enough to be full by the end of warm-up: what grows after it is a leak.
      SUPERNOVA_BAR_HISTORY: '10',
      SUPERNOVA_NAMESPACES: JSON.stringify([
        { name: 'ticks', historySize: 10, historyTtlMs: 300_000, recoverable: true },
        { name: 'bars', historySize: 10, historyTtlMs: 3_600_000, recoverable: true },
      ]),
    },
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
  it('keeps the heap after a full collection within 5 % after warm-up, with zero errors', async () => {
    const o: ComprehensiveOptions = {
      url: target.wsUrl, client: 'raw', apiKey: undefined, usersPerChannel: 10, rpcRatio: 0.2, requestTimeoutMs: 5000, out: undefined, pin: false,
      phases: ['endurance'], scale: 1, users: 50, ratePerUser: 4,
      loadMs: 0, stressStepMs: 0, stressSteps: 0, stressMaxUsers: 0, enduranceMs: ENDURANCE_MS, leakMs: 0,
    };
    const result = newResult('comprehensive', o, { wsUrl: target.wsUrl, startedBySuite: true, apiKey: undefined }, 'not pinned');
    const heaps = HEAP_AT_MS.map((at) => sleep(at).then(() => server.request('gc', null, 10_000)));
    await runComprehensive(o, { target, signal: new AbortController().signal, progress: silentProgress, log: () => {} }, result);
    const [warm, last] = (await Promise.all(heaps)).map((h) => h.heapUsedBytes / 1_048_576) as [number, number];
    const heapGrowthPct = ((last - warm) / warm) * 100;
    const e = result.endurance;
    console.info(`endurance 60 s: ${e?.run.summary.requests} requests, heap after GC ${warm.toFixed(2)} -> ${last.toFixed(2)} MiB (${heapGrowthPct.toFixed(2)} %), RSS slope ${e?.stability.rssGrowthPct?.toFixed(2)} %, errors ${e?.stability.errors}, p99 drift ${e?.stability.latencyDriftPct?.toFixed(0)} %`);
    expect(e?.run.summary.usersConnected).toBe(50);
    expect(e?.run.summary.requests).toBeGreaterThan(50 * 4 * 40);
    expect(e?.stability.errors).toBe(0);
    expect(e?.stability.rssGrowthPct).toBeDefined();
    expect(heapGrowthPct).toBeLessThan(5);
  }, ENDURANCE_MS + 60_000);
});
