import { LoadFleet } from '../orchestrator/load-fleet.js';
import { runPhase, type PhaseResult, type PhaseSpec, type PhaseTarget } from '../orchestrator/phase.js';
import { rssKiB } from '../orchestrator/proc-stats.js';
import { stopServer, type ServerProcess } from '../orchestrator/server-process.js';
import type { ApiPublisherStats } from '../shared/publisher-protocol.js';
import { CpuOf, noiseOf, quietPhase, withCountedRate, type ClusterContext } from './context.js';
import { CHANNEL, startNode, startPublisher, stopPublisher, type Publisher } from './nodes.js';

export type PairSetup = 'single' | 'cross';

/** A phase with the publisher's side of it, each node's CPU and Redis'. */
export interface PairPhase extends PhaseResult {
  publisher: ApiPublisherStats;
  /** In the order of PairRun.nodes. */
  nodeCpuPct: number[];
  redisCpuPct: number;
  /** The machine's softirq time (loopback TCP), in % of one core. */
  softirqPct: number;
}

export interface PairRun {
  setup: PairSetup;
  /** single: [the node]; cross: [A (subscribers), B (publisher)]. */
  nodes: { role: string; pid: number; connections: number; rssKiB: number }[];
  subscribers: number;
  connectSeconds: number;
  /** The latency rounds, in the order they ran (alternating with the other setup's). */
  latency: PairPhase[];
  throughput: PairPhase;
  closeCodes: Record<string, number>;
}

/** One setup, live for the whole part: its nodes, its subscribers and its publisher. */
interface Side {
  setup: PairSetup;
  nodes: ServerProcess[];
  fleet: LoadFleet | undefined;
  publisher: Publisher | undefined;
  connectSeconds: number;
}

const WARMUP_MS = 1000;
/** Longest wait for stragglers after a phase: an overloaded load process runs seconds behind. */
const DRAIN_MAX_MS = 30_000;

/**
 * Part (1). Both setups are started side by side and stay up: the single node (memory broker)
 * with its subscribers and publisher, and nodes A and B (Redis broker) with the subscribers on A
 * and the publisher on B. Only one setup publishes at a time; the other's subscribers sit idle.
 * The latency rounds alternate between the setups (ABBA order), so both see the same machine
 * over time and the comparison is of medians; then each setup's throughput phase at the same
 * offered load. Everything started here is stopped here.
 */
export async function runPairs(ctx: ClusterContext): Promise<{ single: PairRun; cross: PairRun }> {
  const o = ctx.options;
  const sides: Side[] = [];
  try {
    const base = { redis: ctx.redis, apiKey: ctx.apiKey, cpu: ctx.cpu, maxLifetimeMs: ctx.childLifetimeMs, profileDir: ctx.profileDir };
    sides.push({ setup: 'single', nodes: [await startNode({ ...base, broker: 'memory' }, 'pair-single')], fleet: undefined, publisher: undefined, connectSeconds: 0 });
    const cross: ServerProcess[] = [];
    for (const role of ['A', 'B']) cross.push(await startNode({ ...base, broker: 'redis' }, `pair-cross-${role}`));
    sides.push({ setup: 'cross', nodes: cross, fleet: undefined, publisher: undefined, connectSeconds: 0 });
    for (const side of sides) await connect(side, ctx);

    const spec = (ratePerChannel: number, durationMs: number): PhaseSpec => ({ ratePerChannel, durationMs, channels: [CHANNEL], tickMs: 10, drainMaxMs: DRAIN_MAX_MS });
    for (const side of sides) await runPhase(targetOf(side, o.pairSubscribers), side.fleet as LoadFleet, spec(o.pairRate, WARMUP_MS));
    const latency = new Map<PairSetup, PairPhase[]>(sides.map((s) => [s.setup, []]));
    for (let round = 0; round < o.pairRounds; round++) {
      // ABBA: neither setup always runs first (after the other's drain, or right after a pause).
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) latency.get(side.setup)?.push(await measure(side, `round ${round + 1}/${o.pairRounds}, ${side.setup}, latency phase ${o.pairRate}/s`, spec(o.pairRate, o.pairMs), ctx));
    }
    const throughput = new Map<PairSetup, PairPhase>();
    for (const side of sides) {
      const label = `${side.setup}, throughput phase ${o.pairMaxRate}/s offered`;
      throughput.set(side.setup, await quietPhase(label, ctx.log, () => measure(side, label, spec(o.pairMaxRate, o.pairMaxMs), ctx)));
    }

    const runs = await Promise.all(sides.map(async (side): Promise<PairRun> => {
      const counts = await Promise.all(side.nodes.map(async (n) => (await n.child.request('counts', null, 10_000)).connections));
      const end = await (side.fleet as LoadFleet).snapshot(false);
      return {
        setup: side.setup,
        nodes: side.nodes.map((n, i) => ({ role: side.setup === 'single' ? 'single' : i === 0 ? 'A' : 'B', pid: n.pid, connections: counts[i] ?? 0, rssKiB: rssKiB(n.pid) })),
        subscribers: o.pairSubscribers,
        connectSeconds: side.connectSeconds,
        latency: latency.get(side.setup) ?? [],
        throughput: throughput.get(side.setup) as PairPhase,
        closeCodes: end.closeCodes,
      };
    }));
    return { single: runs[0] as PairRun, cross: runs[1] as PairRun };
  } finally {
    for (const side of sides) {
      const fleet = side.fleet;
      if (fleet) await fleet.stop().catch(() => fleet.kill());
      if (side.publisher) await stopPublisher(side.publisher);
      await Promise.all(side.nodes.map((n) => stopServer(n)));
    }
  }
}

/** Subscribers on the side's first node (A, or the single node), its publisher on its last (B, or the same). */
async function connect(side: Side, ctx: ClusterContext): Promise<void> {
  const o = ctx.options;
  const subscriberNode = side.nodes[0] as ServerProcess;
  const publishNode = side.nodes[side.nodes.length - 1] as ServerProcess;
  const t0 = performance.now();
  side.fleet = await LoadFleet.start({
    workers: 1, subscribers: o.pairSubscribers, mode: 'supernova', port: subscriberNode.port, channels: [CHANNEL],
    ...ctx.sourceAddressesFor(o.pairSubscribers), cpu: ctx.cpu, maxLifetimeMs: ctx.childLifetimeMs,
  });
  await side.fleet.waitAllSubscribed(side.setup, o.pairSubscribers, ctx.log);
  side.connectSeconds = (performance.now() - t0) / 1000;
  side.publisher = await startPublisher(`http://127.0.0.1:${publishNode.port}`, ctx.apiKey, o.inFlight, ctx.cpu, ctx.childLifetimeMs);
  const single = side.setup === 'single';
  ctx.log(`    ${side.setup}: ${o.pairSubscribers} subscribed on ${single ? 'the node' : 'node A'} in ${side.connectSeconds.toFixed(1)} s; publisher on ${single ? 'the same node' : 'node B'} (POST /api/publish, ${o.inFlight} in flight)`);
}

function targetOf(side: Side, subscribers: number): PhaseTarget {
  return { servers: [side.publisher as Publisher], subscribersOf: () => subscribers, serverPids: side.nodes.map((n) => n.pid) };
}

async function measure(side: Side, label: string, spec: PhaseSpec, ctx: ClusterContext): Promise<PairPhase> {
  const cpu = new CpuOf([...side.nodes.map((n) => n.pid), side.setup === 'cross' ? ctx.redis.pid : undefined]);
  const r = withCountedRate(await runPhase(targetOf(side, ctx.options.pairSubscribers), side.fleet as LoadFleet, spec));
  const { pct, softirqPct } = cpu.read();
  const stats = await (side.publisher as Publisher).child.request('stats', null, 10_000);
  const out: PairPhase = { ...r, publisher: stats, nodeCpuPct: pct.slice(0, side.nodes.length), redisCpuPct: pct[side.nodes.length] ?? Number.NaN, softirqPct };
  ctx.log(`    ${label}: ${fmtRate(r.deliveredPerS)} msgs/s delivered of ${fmtRate(r.offeredPerS)} accepted, ${(r.deliveryRatio * 100).toFixed(2)} % in the end, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms; `
    + `publish answered p99 ${stats.ackP99Ms.toFixed(2)} ms, ${stats.skipped} skipped, ${stats.failed} failed${stats.problems.length ? ` (${stats.problems[0]})` : ''}; `
    + `nodes' cpu ${out.nodeCpuPct.map((p) => p.toFixed(0)).join(' + ')} %, redis ${Number.isFinite(out.redisCpuPct) ? out.redisCpuPct.toFixed(0) : '-'} %, load ${r.loadCpuPct.toFixed(0)} %, softirq ${softirqPct.toFixed(0)} %, other processes ${noiseOf(out).toFixed(0)} %`);
  return out;
}

function fmtRate(perS: number): string {
  return Math.round(perS).toLocaleString('en-US');
}
