import { LoadFleet } from '../orchestrator/load-fleet.js';
import { runPhase, type PhaseResult, type PhaseSpec, type PhaseTarget } from '../orchestrator/phase.js';
import { rssKiB } from '../orchestrator/proc-stats.js';
import { stopServer, type ServerProcess } from '../orchestrator/server-process.js';
import type { ApiPublisherStats } from '../shared/publisher-protocol.js';
import { CpuOf, type ClusterContext } from './context.js';
import { CHANNEL, startNode, startPublisher, stopPublisher, type Publisher } from './nodes.js';

export type PairSetup = 'single' | 'cross';

/** A phase with the publisher's side of it, each node's CPU and Redis'. */
export interface PairPhase extends PhaseResult {
  publisher: ApiPublisherStats;
  /** In the order of PairRun.nodes. */
  nodeCpuPct: number[];
  redisCpuPct: number;
}

export interface PairRun {
  setup: PairSetup;
  /** single: [the node]; cross: [A (subscribers), B (publisher)]. */
  nodes: { role: string; pid: number; connections: number; rssKiB: number }[];
  subscribers: number;
  connectSeconds: number;
  latency: PairPhase;
  throughput: PairPhase;
  closeCodes: Record<string, number>;
}

const WARMUP_MS = 1000;

/**
 * Part (1), one setup: the subscribers on one node (A, or the single node), the server API
 * publisher on the other (B) or on the same, then a latency phase and a throughput phase at the
 * same offered load whatever the setup. Everything started here is stopped here.
 */
export async function runPair(setup: PairSetup, ctx: ClusterContext): Promise<PairRun> {
  const o = ctx.options;
  const nodes: ServerProcess[] = [];
  let fleet: LoadFleet | undefined;
  let publisher: Publisher | undefined;
  const base = { redis: ctx.redis, apiKey: ctx.apiKey, cpu: ctx.cpu, maxLifetimeMs: ctx.childLifetimeMs, profileDir: ctx.profileDir };
  try {
    if (setup === 'single') nodes.push(await startNode({ ...base, broker: 'memory' }, 'pair-single'));
    else for (const role of ['A', 'B']) nodes.push(await startNode({ ...base, broker: 'redis' }, `pair-cross-${role}`));
    const subscriberNode = nodes[0] as ServerProcess;
    const publishNode = nodes[nodes.length - 1] as ServerProcess;

    const t0 = performance.now();
    fleet = await LoadFleet.start({
      workers: 1, subscribers: o.pairSubscribers, mode: 'supernova', port: subscriberNode.port, channels: [CHANNEL],
      ...ctx.sourceAddressesFor(o.pairSubscribers), cpu: ctx.cpu, maxLifetimeMs: ctx.childLifetimeMs,
    });
    await fleet.waitAllSubscribed(setup, o.pairSubscribers, ctx.log);
    const connectSeconds = (performance.now() - t0) / 1000;
    publisher = await startPublisher(`http://127.0.0.1:${publishNode.port}`, ctx.apiKey, o.inFlight, ctx.cpu, ctx.childLifetimeMs);
    ctx.log(`    ${o.pairSubscribers} subscribed on ${setup === 'single' ? 'the node' : 'node A'} in ${connectSeconds.toFixed(1)} s; publisher on ${setup === 'single' ? 'the same node' : 'node B'} (POST /api/publish, ${o.inFlight} in flight)`);

    const target: PhaseTarget = { servers: [publisher], subscribersOf: () => o.pairSubscribers, serverPids: nodes.map((n) => n.pid) };
    const spec = (ratePerChannel: number, durationMs: number): PhaseSpec => ({ ratePerChannel, durationMs, channels: [CHANNEL], tickMs: 10, drainMaxMs: 10_000 });
    const phase = async (label: string, s: PhaseSpec): Promise<PairPhase> => {
      const cpu = new CpuOf([...nodes.map((n) => n.pid), setup === 'cross' ? ctx.redis.pid : undefined]);
      const r = await runPhase(target, fleet as LoadFleet, s);
      const pct = cpu.read();
      const stats = await (publisher as Publisher).child.request('stats', null, 10_000);
      const out = { ...r, publisher: stats, nodeCpuPct: pct.slice(0, nodes.length), redisCpuPct: pct[nodes.length] ?? Number.NaN };
      ctx.log(`    ${label}: ${fmtRate(r.deliveredPerS)} msgs/s delivered of ${fmtRate(r.offeredPerS)} offered, ${(r.deliveryRatio * 100).toFixed(2)} % in the end, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms; publish answered p99 ${stats.ackP99Ms.toFixed(2)} ms, ${stats.skipped} skipped, ${stats.failed} failed${stats.problems.length ? ` (${stats.problems[0]})` : ''}; nodes' cpu ${out.nodeCpuPct.map((p) => p.toFixed(0)).join(' + ')} %, redis ${Number.isFinite(out.redisCpuPct) ? out.redisCpuPct.toFixed(0) : '-'} %, load ${r.loadCpuPct.toFixed(0)} %`);
      return out;
    };
    await runPhase(target, fleet, spec(o.pairRate, WARMUP_MS));
    const latency = await phase(`latency phase, ${o.pairRate}/s`, spec(o.pairRate, o.pairMs));
    const throughput = await phase(`throughput phase, ${o.pairMaxRate}/s offered`, spec(o.pairMaxRate, o.pairMaxMs));
    const counts = await Promise.all(nodes.map(async (n) => (await n.child.request('counts', null, 10_000)).connections));
    const end = await fleet.snapshot(false);
    return {
      setup,
      nodes: nodes.map((n, i) => ({ role: setup === 'single' ? 'single' : i === 0 ? 'A' : 'B', pid: n.pid, connections: counts[i] ?? 0, rssKiB: rssKiB(n.pid) })),
      subscribers: o.pairSubscribers,
      connectSeconds,
      latency,
      throughput,
      closeCodes: end.closeCodes,
    };
  } finally {
    if (fleet) await fleet.stop().catch(() => fleet?.kill());
    if (publisher) await stopPublisher(publisher);
    await Promise.all(nodes.map((n) => stopServer(n)));
  }
}

export function fmtRate(perS: number): string {
  return Math.round(perS).toLocaleString('en-US');
}
