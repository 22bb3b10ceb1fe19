import { BenchChild } from '../orchestrator/bench-child.js';
import type { CpuPlan } from '../orchestrator/cpu-plan.js';
import { findExecutable } from '../orchestrator/host-limits.js';
import { childScripts } from '../orchestrator/paths.js';
import type { HttpServerArgs, HttpServerReady, HttpServerRpc } from '../shared/http-protocol.js';
import { runAutocannon } from './autocannon-load.js';
import type { HttpLoadResult } from './load-result.js';
import { medianRound } from './median-round.js';
import { runWrk } from './wrk.js';

export type HttpServerKind = 'supernova' | 'fastify' | 'node' | 'uws';
export const HTTP_SERVERS: readonly HttpServerKind[] = ['supernova', 'fastify', 'node', 'uws'];

export interface HttpBenchOptions {
  connections: number;
  durationS: number;
  warmupS: number;
  /** Route to measure; undefined tries the cached market snapshot, then /performance/health. */
  path: string | undefined;
  tool: 'auto' | 'wrk' | 'autocannon';
  servers: HttpServerKind[];
  /** Each server is measured this many times, in rotating order; the median round is reported. */
  rounds: number;
}

export interface HttpBenchResult {
  startedAt: string;
  finishedAt: string;
  route: string;
  responseBytes: number;
  tool: 'wrk' | 'autocannon';
  cpuPlan: string;
  options: HttpBenchOptions;
  /** The median round of each server (by req/s; its p99 is the median p99 of the rounds). */
  servers: Partial<Record<HttpServerKind, HttpLoadResult>>;
  /** Every round of each server, in the order measured. */
  rounds: Partial<Record<HttpServerKind, HttpLoadResult[]>>;
}

/** The cached market snapshot first; a build without that route falls back to the health route. */
export const DEFAULT_ROUTES = ['/api/v1/market/AAPL', '/performance/health'];

const SCRIPTS: Record<HttpServerKind, string> = { supernova: childScripts.httpSupernova, fastify: childScripts.httpFastify, node: childScripts.httpNode, uws: childScripts.httpUws };

async function startHttpServer(kind: HttpServerKind, args: HttpServerArgs, cpu: CpuPlan): Promise<{ child: BenchChild<HttpServerRpc>; port: number }> {
  const { child, ready } = await BenchChild.spawn<HttpServerRpc, HttpServerReady>({
    label: `http-${kind}`, script: SCRIPTS[kind], args, cpus: cpu.serverCpus, tasksetPath: cpu.tasksetPath, nodeFlags: [], readyTimeoutMs: 20_000,
  });
  return { child, port: ready.port };
}

async function stopHttpServer(child: BenchChild<HttpServerRpc>): Promise<void> {
  await child.request('stop', null, 10_000).catch(() => undefined);
  await child.waitExit(5000);
}

/** The first route SuperNova answers with 200, with its bytes: what the peers will serve too. */
async function pickRoute(port: number, candidates: string[]): Promise<{ path: string; body: string; contentType: string }> {
  for (const path of candidates) {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    if (res?.status === 200) return { path, body: await res.text(), contentType: res.headers.get('content-type') ?? 'application/json' };
  }
  throw new Error(`SuperNova answers none of ${candidates.join(', ')} with 200`);
}

/**
 * SuperNova's route against the same route on Fastify 5 and node:http, one server at a time on
 * the server core, loaded by wrk (one thread) or autocannon on the load core. The peers answer
 * with SuperNova's own response bytes, so every server sends the same payload.
 */
export async function runHttpBench(o: HttpBenchOptions, cpu: CpuPlan, log: (line: string) => void): Promise<HttpBenchResult> {
  const wrkPath = o.tool === 'autocannon' ? undefined : findExecutable('wrk');
  if (o.tool === 'wrk' && !wrkPath) throw new Error('--tool wrk: wrk is not installed (Debian: apt-get install wrk)');
  const tool = wrkPath ? 'wrk' : 'autocannon';
  const lifetime = (o.durationS + o.warmupS + 60) * 1000 * 2 * o.rounds;
  const startedAt = new Date().toISOString();
  const load = (url: string, seconds: number) => wrkPath
    ? runWrk({ wrkPath, url, connections: o.connections, durationS: seconds, threads: 1, taskset: cpu.tasksetPath && cpu.loadCpus ? { path: cpu.tasksetPath, cpus: cpu.loadCpus } : undefined })
    : runAutocannon(url, o.connections, seconds);

  // SuperNova is started first to learn the route and its bytes.
  const probe = await startHttpServer('supernova', { maxLifetimeMs: lifetime, path: '/', body: '', contentType: '' }, cpu);
  let route: { path: string; body: string; contentType: string };
  try {
    await new Promise((r) => setTimeout(r, 1500)); // the simulated feed's first ticks make the snapshot
    route = await pickRoute(probe.port, o.path ? [o.path] : DEFAULT_ROUTES);
  } finally {
    await stopHttpServer(probe.child);
  }
  log(`http: route ${route.path} (${Buffer.byteLength(route.body)} bytes), ${o.connections} connections, ${o.durationS} s each, load by ${tool}`);

  const rounds: Partial<Record<HttpServerKind, HttpLoadResult[]>> = {};
  for (let round = 0; round < o.rounds; round++) {
    // This machine's speed drifts over minutes: rotating the order spreads the drift over every
    // server instead of handing it to whichever always runs last.
    const order = o.servers.map((_, i) => o.servers[(i + round) % o.servers.length] as HttpServerKind);
    for (const kind of order) {
      const { child, port } = await startHttpServer(kind, { maxLifetimeMs: lifetime, ...route }, cpu);
      try {
        const url = `http://127.0.0.1:${port}${route.path}`;
        if (o.warmupS > 0) await load(url, o.warmupS);
        const r = await load(url, o.durationS);
        (rounds[kind] ??= []).push(r);
        log(`  ${o.rounds > 1 ? `round ${round + 1}/${o.rounds} ` : ''}${kind.padEnd(9)} ${Math.round(r.requestsPerS).toLocaleString('en-US')} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, ${r.errors} errors`);
      } finally {
        await stopHttpServer(child);
      }
    }
  }
  const servers: Partial<Record<HttpServerKind, HttpLoadResult>> = {};
  for (const kind of o.servers) {
    const measured = rounds[kind];
    if (measured?.length) servers[kind] = medianRound(measured);
  }
  return { startedAt, finishedAt: new Date().toISOString(), route: route.path, responseBytes: Buffer.byteLength(route.body), tool, cpuPlan: cpu.description, options: o, servers, rounds };
}
