import { CLUSTER_TARGET } from './options.js';
import type { PairPhase, PairRun } from './pair-run.js';
import type { SpreadRun } from './spread-run.js';

/** `bench/results/cluster-<time>/result.json`. */
export interface ClusterResults {
  schema: 'supernova.cluster/1';
  startedAt: string;
  finishedAt: string;
  machine: { cores: number; maxOpenFiles: number; node: string; cpuPlan: string; redis: string; redisLocal: boolean };
  options: Record<string, unknown>;
  /** How the publications enter the nodes. */
  publishVia: string;
  pair?: { single: PairRun; cross: PairRun };
  spread?: { perNode: number[]; supernova: SpreadRun; raw: SpreadRun };
  verdicts: string[];
}

const W = { metric: 40, value: 26, ratio: 16 };

function row(metric: string, a: string, b: string, ratio = ''): string {
  return (metric.padEnd(W.metric) + a.padStart(W.value) + b.padStart(W.value) + ratio.padStart(W.ratio)).trimEnd();
}

function num(v: number | undefined, digits: number): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}x` : '';
}

function mib(kib: number): string {
  return (kib / 1024).toFixed(1);
}

/** The publisher's schedule times the subscribers, whatever the node accepted of it. */
function offered(p: PairPhase): number {
  return p.ratePerChannel * p.subscribers;
}

function phaseRows(name: string, s: PairPhase, c: PairPhase, judge: 'p99' | 'throughput'): string[] {
  const p99Delta = c.p99Ms - s.p99Ms;
  return [
    row(`${name}: ${s.ratePerChannel}/s, offered msgs/s`, num(offered(s), 0), num(offered(c), 0)),
    row('  delivered msgs/s (while publishing)', num(s.deliveredPerS, 0), num(c.deliveredPerS, 0), ratio(c.deliveredPerS, s.deliveredPerS) + (judge === 'throughput' ? ' *' : '')),
    row('  delivered / accepted % (after drain)', num(s.deliveryRatio * 100, 2), num(c.deliveryRatio * 100, 2)),
    row('  publish-to-receipt p50 ms', num(s.p50Ms, 2), num(c.p50Ms, 2), ratio(c.p50Ms, s.p50Ms)),
    row('  publish-to-receipt p99 ms', num(s.p99Ms, 2), num(c.p99Ms, 2), `${p99Delta >= 0 ? '+' : ''}${num(p99Delta, 2)} ms${judge === 'p99' ? ' *' : ''}`),
    row('  POST /api/publish answered p99 ms', num(s.publisher.ackP99Ms, 2), num(c.publisher.ackP99Ms, 2)),
    row('  publications skipped (node busy) / failed', `${s.publisher.skipped} / ${s.publisher.failed}`, `${c.publisher.skipped} / ${c.publisher.failed}`),
    row('  nodes cpu % of a core', num(s.serverCpuPct, 0), `${c.nodeCpuPct.map((p) => num(p, 0)).join(' + ')} = ${num(c.serverCpuPct, 0)}`),
    row('  load + publisher cpu %', num(s.loadCpuPct, 0), num(c.loadCpuPct, 0)),
    row('  redis cpu %', '-', num(c.redisCpuPct, 0)),
    row('  other cpu % (redis, other processes)', num(s.otherCpuPct, 0), num(c.otherCpuPct, 0)),
  ];
}

/** Part (1): single node against cross-node, side by side; `*` marks the figure a target judges. */
export function pairTable(single: PairRun, cross: PairRun): string {
  return [
    row('Metric', 'single node', 'cross-node', 'cross vs single'),
    '-'.repeat(W.metric + 2 * W.value + W.ratio),
    row('subscribers (on node A)', num(single.subscribers, 0), num(cross.subscribers, 0)),
    row('connect + subscribe s', num(single.connectSeconds, 1), num(cross.connectSeconds, 1)),
    ...phaseRows('latency phase', single.latency, cross.latency, 'p99'),
    ...phaseRows('throughput phase', single.throughput, cross.throughput, 'throughput'),
    row('RSS per node after, MiB', single.nodes.map((n) => mib(n.rssKiB)).join(' / '), cross.nodes.map((n) => `${n.role} ${mib(n.rssKiB)}`).join(' / ')),
  ].join('\n');
}

/** Part (2): SuperNova's nodes on Redis against raw uWebSockets.js processes publishing locally. */
export function spreadTable(sn: SpreadRun, raw: SpreadRun): string {
  const per = (r: SpreadRun, pick: (n: SpreadRun['nodes'][number]) => string) => r.nodes.map(pick).join(' / ');
  return [
    row('Metric', 'SuperNova', 'raw uWS', 'SN/raw'),
    '-'.repeat(W.metric + 2 * W.value + W.ratio),
    row('subscribers', num(sn.subscribers, 0), num(raw.subscribers, 0)),
    row('  per process', per(sn, (n) => String(n.connections)), per(raw, (n) => String(n.connections))),
    row('  still open after publishing', num(sn.openAfter, 0), num(raw.openAfter, 0)),
    row('connect + subscribe s', num(sn.connectSeconds, 1), num(raw.connectSeconds, 1), ratio(sn.connectSeconds, raw.connectSeconds)),
    row('publications (per process for raw)', num(sn.phase.published, 0), num(raw.phase.published / Math.max(1, raw.nodes.length), 0)),
    row('delivered / expected % *', num(sn.phase.deliveryRatio * 100, 2), num(raw.phase.deliveryRatio * 100, 2)),
    row('  per process %', per(sn, (n) => num((n.received / n.expected) * 100, 2)), per(raw, (n) => num((n.received / n.expected) * 100, 2))),
    row('delivered msgs/s (while publishing)', num(sn.phase.deliveredPerS, 0), num(raw.phase.deliveredPerS, 0), ratio(sn.phase.deliveredPerS, raw.phase.deliveredPerS)),
    row('publish-to-receipt p50 ms', num(sn.phase.p50Ms, 2), num(raw.phase.p50Ms, 2), ratio(sn.phase.p50Ms, raw.phase.p50Ms)),
    row('publish-to-receipt p99 ms', num(sn.phase.p99Ms, 2), num(raw.phase.p99Ms, 2), ratio(sn.phase.p99Ms, raw.phase.p99Ms)),
    row('  p99 per process ms', per(sn, (n) => num(n.p99Ms, 1)), per(raw, (n) => num(n.p99Ms, 1))),
    row('RSS per process before, MiB', per(sn, (n) => mib(n.baselineKiB)), per(raw, (n) => mib(n.baselineKiB))),
    row('RSS per process idle, MiB', per(sn, (n) => mib(n.idleKiB)), per(raw, (n) => mib(n.idleKiB))),
    row('RSS per process peak publishing, MiB', per(sn, (n) => mib(n.peakKiB)), per(raw, (n) => mib(n.peakKiB))),
    row('servers cpu % of a core', `${per(sn, (n) => num(n.cpuPct, 0))} = ${num(sn.phase.serverCpuPct, 0)}`, `${per(raw, (n) => num(n.cpuPct, 0))} = ${num(raw.phase.serverCpuPct, 0)}`),
    row('load (+ publisher) cpu %', num(sn.phase.loadCpuPct, 0), num(raw.phase.loadCpuPct, 0)),
    row('redis cpu %', num(sn.redisCpuPct, 0), '-'),
    row('other cpu % (redis, other processes)', num(sn.phase.otherCpuPct, 0), num(raw.phase.otherCpuPct, 0)),
  ].join('\n');
}

/** The issue's targets, one sentence each, with how far off a missed one is. */
export function pairVerdicts(single: PairRun, cross: PairRun): string[] {
  const limit = single.latency.p99Ms + CLUSTER_TARGET.p99SlackMs;
  const p99Met = cross.latency.p99Ms <= limit;
  const tRatio = cross.throughput.deliveredPerS / single.throughput.deliveredPerS;
  const tMet = tRatio >= CLUSTER_TARGET.minThroughputRatio;
  return [
    `cross-node p99 <= single-node p99 + ${CLUSTER_TARGET.p99SlackMs} ms (latency phase): ${cross.latency.p99Ms.toFixed(2)} ms against ${single.latency.p99Ms.toFixed(2)} + ${CLUSTER_TARGET.p99SlackMs} = ${limit.toFixed(2)} ms -> ${p99Met ? 'met' : `NOT met, by ${(cross.latency.p99Ms - limit).toFixed(2)} ms`}`,
    `cross-node throughput >= ${CLUSTER_TARGET.minThroughputRatio}x single-node (throughput phase, ${Math.round(offered(single.throughput)).toLocaleString('en-US')} msgs/s offered to both): ${Math.round(cross.throughput.deliveredPerS).toLocaleString('en-US')} against ${Math.round(single.throughput.deliveredPerS).toLocaleString('en-US')} msgs/s = ${tRatio.toFixed(2)}x -> ${tMet ? 'met' : `NOT met, by ${(CLUSTER_TARGET.minThroughputRatio - tRatio).toFixed(2)}x`}`,
  ];
}

export function spreadVerdict(sn: SpreadRun): string {
  const d = sn.phase.deliveryRatio;
  const atSize = sn.subscribers >= CLUSTER_TARGET.spreadSubscribers;
  const met = d >= CLUSTER_TARGET.minDelivered;
  return `${CLUSTER_TARGET.spreadSubscribers.toLocaleString('en-US')} live subscribers over ${sn.nodes.length} nodes, >= ${CLUSTER_TARGET.minDelivered * 100} % delivered: `
    + `${sn.subscribers.toLocaleString('en-US')} subscribers, ${(d * 100).toFixed(2)} % delivered, p99 ${sn.phase.p99Ms.toFixed(1)} ms`
    + ` -> ${!atSize ? `not the target's size (run with --spread-subscribers ${CLUSTER_TARGET.spreadSubscribers})` : met ? 'met' : `NOT met, by ${((CLUSTER_TARGET.minDelivered - d) * 100).toFixed(2)} points`}`;
}
