import { LoadFleet } from '../orchestrator/load-fleet.js';
import { runPhase, type PhaseResult, type PhaseSpec, type PhaseTarget } from '../orchestrator/phase.js';
import { rssKiB } from '../orchestrator/proc-stats.js';
import { settledRssKiB, startServer, stopServer, type ServerProcess } from '../orchestrator/server-process.js';
import { LatencyHistogram } from '../shared/latency-histogram.js';
import type { ApiPublisherStats } from '../shared/publisher-protocol.js';
import { CpuOf, quietPhase, withCountedRate, type ClusterContext } from './context.js';
import { CHANNEL, startNode, startPublisher, stopPublisher, type Publisher } from './nodes.js';

export type SpreadKind = 'supernova' | 'raw';

export interface SpreadNode {
  pid: number;
  /** Connections by the node's own count once all were subscribed. */
  connections: number;
  /** RSS before any connection, with every connection idle (both after a collection), and the highest while publishing. */
  baselineKiB: number;
  idleKiB: number;
  peakKiB: number;
  /** Over the phase, in % of one core. */
  cpuPct: number;
  /** Its subscribers' share of the phase (each node's subscribers are one load process). */
  expected: number;
  received: number;
  p50Ms: number;
  p99Ms: number;
}

/** The publish phase, with each process' share and CPU, Redis' CPU, and the publisher's side. */
export interface SpreadPhase extends PhaseResult {
  /** Publications the schedule asked of each publisher (SuperNova's one, each raw process). */
  scheduled: number;
  nodes: SpreadNode[];
  redisCpuPct: number;
  /** The machine's softirq time (loopback TCP), in % of one core. */
  softirqPct: number;
  /** SuperNova: the server API publisher's side. */
  publisher?: ApiPublisherStats;
}

export interface SpreadRun {
  kind: SpreadKind;
  subscribers: number;
  connectSeconds: number;
  /** Connections still open after the phase (none may be lost). */
  openAfter: number;
  phase: SpreadPhase;
  closeCodes: Record<string, number>;
}

const WARMUP_MS = 1000;
/** Longest wait for stragglers after a phase: an overloaded load process runs seconds behind. */
const DRAIN_MAX_MS = 30_000;
const RSS_SAMPLE_MS = 500;

/**
 * Part (2), one kind: P processes on their own ports with M/P subscribers each (one load process
 * per node, under the open-file limit), then publishing on the schedule of the run. SuperNova: P
 * nodes on Redis and one publisher on node 1, so every subscriber gets every publication. Raw
 * uWebSockets.js: P processes that each publish the same schedule locally to their own
 * subscribers, the fan-out without any broker. Everything started here is stopped here.
 */
export async function runSpread(kind: SpreadKind, perNode: number[], ctx: ClusterContext): Promise<SpreadRun> {
  const o = ctx.options;
  const total = perNode.reduce((a, b) => a + b, 0);
  const servers: ServerProcess[] = [];
  let fleet: LoadFleet | undefined;
  let publisher: Publisher | undefined;
  try {
    for (let i = 0; i < perNode.length; i++) {
      servers.push(kind === 'supernova'
        ? await startNode({ redis: ctx.redis, apiKey: ctx.apiKey, cpu: ctx.cpu, maxLifetimeMs: ctx.childLifetimeMs, profileDir: ctx.profileDir, broker: 'redis' }, `spread-node-${i + 1}`)
        : await startServer('raw', ctx.cpu, ctx.childLifetimeMs, {}, `raw-uws-${i + 1}`));
    }
    const baseline = await Promise.all(servers.map((s) => settledRssKiB(s)));
    const ports = servers.map((s) => s.port);
    ctx.log(`    ${servers.length} processes on 127.0.0.1:${ports.join(', ')}; RSS ${baseline.map(mib).join(' / ')} MiB before any connection`);

    // Each load process opens 256 handshakes at a time against its own node: the ramp that
    // bench:scale showed to hold 50,000 connections on these two cores.
    const t0 = performance.now();
    fleet = await LoadFleet.start({
      workers: servers.length, subscribers: total, mode: kind, port: ports[0] as number, workerPorts: ports, channels: [CHANNEL],
      ...ctx.sourceAddressesFor(total), cpu: ctx.cpu, maxLifetimeMs: ctx.childLifetimeMs,
    });
    await fleet.waitAllSubscribed(kind, total, ctx.log);
    const connectSeconds = (performance.now() - t0) / 1000;
    const counts = await Promise.all(servers.map(async (s) => (await s.child.request('counts', null, 10_000)).connections));
    const idle = await Promise.all(servers.map((s) => settledRssKiB(s)));
    ctx.log(`    ${total} subscribed in ${connectSeconds.toFixed(1)} s; connections per process ${counts.join(' / ')}; RSS ${idle.map(mib).join(' / ')} MiB`);

    let target: PhaseTarget;
    if (kind === 'supernova') {
      publisher = await startPublisher(`http://127.0.0.1:${ports[0]}`, ctx.apiKey, o.inFlight, ctx.cpu, ctx.childLifetimeMs);
      target = { servers: [publisher], subscribersOf: () => total, serverPids: servers.map((s) => s.pid) };
    } else {
      target = { servers, subscribersOf: (s) => counts[s] ?? 0 };
    }
    const spec = (durationMs: number): PhaseSpec => ({ ratePerChannel: o.spreadRate, durationMs, channels: [CHANNEL], tickMs: 10, drainMaxMs: DRAIN_MAX_MS });
    await runPhase(target, fleet, spec(WARMUP_MS));

    const measure = async (): Promise<SpreadPhase> => {
      const peak = servers.map(() => 0);
      const sampler = setInterval(() => servers.forEach((s, i) => (peak[i] = Math.max(peak[i] ?? 0, rssKiB(s.pid) || 0))), RSS_SAMPLE_MS);
      const cpu = new CpuOf([...servers.map((s) => s.pid), kind === 'supernova' ? ctx.redis.pid : undefined]);
      let r: PhaseResult;
      try {
        r = withCountedRate(await runPhase(target, fleet as LoadFleet, spec(o.spreadMs)));
      } finally {
        clearInterval(sampler);
      }
      const { pct, softirqPct } = cpu.read();
      const stats = publisher ? await publisher.child.request('stats', null, 10_000) : undefined;
      const perWorker = await (fleet as LoadFleet).snapshots(true);
      // Every SuperNova subscriber expects every publication; a raw subscriber its own process' ones.
      const publicationsPerNode = kind === 'supernova' ? r.published : r.published / servers.length;
      const nodes: SpreadNode[] = servers.map((s, i) => {
        const snap = perWorker[i];
        const h = new LatencyHistogram();
        if (snap) h.merge(snap.histogram);
        return {
          pid: s.pid, connections: counts[i] ?? 0, baselineKiB: baseline[i] ?? Number.NaN, idleKiB: idle[i] ?? Number.NaN, peakKiB: peak[i] ?? Number.NaN, cpuPct: pct[i] ?? Number.NaN,
          expected: publicationsPerNode * (fleet?.subscribersPerWorker[i] ?? 0), received: snap?.received ?? 0, p50Ms: h.percentileUs(50) / 1000, p99Ms: h.percentileUs(99) / 1000,
        };
      });
      ctx.log(`    ${r.receivedTotal.toLocaleString('en-US')} of ${r.expected.toLocaleString('en-US')} delivered (${(r.deliveryRatio * 100).toFixed(2)} %), p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms; peak RSS ${peak.map(mib).join(' / ')} MiB; servers' cpu ${r.serverCpuPct.toFixed(0)} %, load ${r.loadCpuPct.toFixed(0)} %, softirq ${softirqPct.toFixed(0)} %`);
      return { ...r, scheduled: Math.round((o.spreadRate * o.spreadMs) / 1000), redisCpuPct: pct[servers.length] ?? Number.NaN, softirqPct, nodes, ...(stats ? { publisher: stats } : {}) };
    };
    const phase = await quietPhase(`${kind} publish phase`, ctx.log, measure);
    const status = await fleet.status();
    const end = await fleet.snapshot(false);
    return { kind, subscribers: total, connectSeconds, openAfter: status.open, phase, closeCodes: end.closeCodes };
  } finally {
    if (fleet) await fleet.stop().catch(() => fleet?.kill());
    if (publisher) await stopPublisher(publisher);
    await Promise.all(servers.map((s) => stopServer(s)));
  }
}

function mib(kib: number): string {
  return (kib / 1024).toFixed(1);
}
