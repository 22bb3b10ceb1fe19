import { NOISY_PCT } from '../orchestrator/scenarios.js';
import { median } from '../shared/median.js';
import { noiseOf, type OutsideCpu } from './context.js';
import { CLUSTER_TARGET } from './options.js';
import type { PairPhase, PairRun } from './pair-run.js';
import type { SpreadNode, SpreadRun } from './spread-run.js';

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

/** Each process' CPU and their sum, from one meter over the whole phase. */
function cpuSum(pcts: number[]): string {
  const each = pcts.map((p) => num(p, 0));
  return pcts.length === 1 ? (each[0] ?? '-') : `${each.join(' + ')} = ${num(pcts.reduce((a, b) => a + b, 0), 0)}`;
}

function noiseText(p: OutsideCpu & { repeatedAfterNoise?: boolean }): string {
  return `${p.repeatedAfterNoise ? '(2nd try) ' : ''}${num(noiseOf(p), 0)}`;
}

/** Phases that other processes still disturbed after their second try: the figures to compare with care. */
export function noiseWarnings(r: ClusterResults): string[] {
  const phases: [string, OutsideCpu][] = [];
  if (r.pair) for (const run of [r.pair.single, r.pair.cross]) phases.push([`${run.setup} latency phases (median)`, medianPhase(run.latency)], [`${run.setup} throughput phase`, run.throughput]);
  if (r.spread) for (const run of [r.spread.supernova, r.spread.raw]) phases.push([`${run.kind} spread phase`, run.phase]);
  return phases.filter(([, p]) => noiseOf(p) > NOISY_PCT).map(([name, p]) => `${name}: ${noiseOf(p).toFixed(0)} % of a core went to other processes`);
}

/**
 * The latency rounds of one setup as one phase: the median of each figure over the rounds
 * (counts of skipped and failed publications summed), so one disturbed round does not decide.
 */
export function medianPhase(rounds: readonly PairPhase[]): PairPhase {
  const first = rounds[0];
  if (!first) throw new Error('no latency round was measured');
  const m = (pick: (p: PairPhase) => number) => median(rounds.map(pick));
  return {
    ...first,
    deliveredPerS: m((p) => p.deliveredPerS), deliveryRatio: m((p) => p.deliveryRatio), p50Ms: m((p) => p.p50Ms), p99Ms: m((p) => p.p99Ms),
    loadCpuPct: m((p) => p.loadCpuPct), otherCpuPct: m((p) => p.otherCpuPct), redisCpuPct: m((p) => p.redisCpuPct), softirqPct: m((p) => p.softirqPct),
    nodeCpuPct: first.nodeCpuPct.map((_, i) => m((p) => p.nodeCpuPct[i] ?? Number.NaN)),
    publisher: { ...first.publisher, ackP99Ms: m((p) => p.publisher.ackP99Ms), skipped: rounds.reduce((a, p) => a + p.publisher.skipped, 0), failed: rounds.reduce((a, p) => a + p.publisher.failed, 0) },
    repeatedAfterNoise: false,
  };
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
    row('  nodes cpu % of a core', cpuSum(s.nodeCpuPct), cpuSum(c.nodeCpuPct)),
    row('  load + publisher cpu %', num(s.loadCpuPct, 0), num(c.loadCpuPct, 0)),
    row('  redis cpu %', '-', num(c.redisCpuPct, 0)),
    row('  softirq cpu % (loopback TCP)', num(s.softirqPct, 0), num(c.softirqPct, 0)),
    row('  other processes cpu % (noise)', noiseText(s), noiseText(c)),
  ];
}

/** Part (1): single node against cross-node, side by side; `*` marks the figure a target judges. */
export function pairTable(single: PairRun, cross: PairRun): string {
  const rounds = (r: PairRun) => r.latency.map((p) => num(p.p99Ms, 1)).join(' ');
  return [
    row('Metric', 'single node', 'cross-node', 'cross vs single'),
    '-'.repeat(W.metric + 2 * W.value + W.ratio),
    row('subscribers (on node A)', num(single.subscribers, 0), num(cross.subscribers, 0)),
    row('connect + subscribe s', num(single.connectSeconds, 1), num(cross.connectSeconds, 1)),
    ...phaseRows(`latency, median of ${single.latency.length}`, medianPhase(single.latency), medianPhase(cross.latency), 'p99'),
    row('  p99 of each round ms', rounds(single), rounds(cross)),
    ...phaseRows('throughput phase', single.throughput, cross.throughput, 'throughput'),
    row('RSS per node after, MiB', single.nodes.map((n) => mib(n.rssKiB)).join(' / '), cross.nodes.map((n) => `${n.role} ${mib(n.rssKiB)}`).join(' / ')),
  ].join('\n');
}

/** Part (2): SuperNova's nodes on Redis against raw uWebSockets.js processes publishing locally. */
export function spreadTable(sn: SpreadRun, raw: SpreadRun): string {
  const per = (r: SpreadRun, pick: (n: SpreadNode) => string) => r.phase.nodes.map(pick).join(' / ');
  return [
    row('Metric', 'SuperNova', 'raw uWS', 'SN/raw'),
    '-'.repeat(W.metric + 2 * W.value + W.ratio),
    row('subscribers', num(sn.subscribers, 0), num(raw.subscribers, 0)),
    row('  per process', per(sn, (n) => String(n.connections)), per(raw, (n) => String(n.connections))),
    row('  still open after publishing', num(sn.openAfter, 0), num(raw.openAfter, 0)),
    row('connect + subscribe s', num(sn.connectSeconds, 1), num(raw.connectSeconds, 1), ratio(sn.connectSeconds, raw.connectSeconds)),
    row('publications accepted of scheduled', `${num(sn.phase.published, 0)} of ${num(sn.phase.scheduled, 0)}`, `${num(raw.phase.published / Math.max(1, raw.phase.nodes.length), 0)} of ${num(raw.phase.scheduled, 0)} each`),
    row('delivered / expected % *', num(sn.phase.deliveryRatio * 100, 2), num(raw.phase.deliveryRatio * 100, 2)),
    row('  per process %', per(sn, (n) => num((n.received / n.expected) * 100, 2)), per(raw, (n) => num((n.received / n.expected) * 100, 2))),
    row('delivered msgs/s (while publishing)', num(sn.phase.deliveredPerS, 0), num(raw.phase.deliveredPerS, 0), ratio(sn.phase.deliveredPerS, raw.phase.deliveredPerS)),
    row('publish-to-receipt p50 ms', num(sn.phase.p50Ms, 2), num(raw.phase.p50Ms, 2), ratio(sn.phase.p50Ms, raw.phase.p50Ms)),
    row('publish-to-receipt p99 ms', num(sn.phase.p99Ms, 2), num(raw.phase.p99Ms, 2), ratio(sn.phase.p99Ms, raw.phase.p99Ms)),
    row('  p99 per process ms', per(sn, (n) => num(n.p99Ms, 1)), per(raw, (n) => num(n.p99Ms, 1))),
    row('RSS per process before, MiB', per(sn, (n) => mib(n.baselineKiB)), per(raw, (n) => mib(n.baselineKiB))),
    row('RSS per process idle, MiB', per(sn, (n) => mib(n.idleKiB)), per(raw, (n) => mib(n.idleKiB))),
    row('RSS per process peak publishing, MiB', per(sn, (n) => mib(n.peakKiB)), per(raw, (n) => mib(n.peakKiB))),
    row('servers cpu % of a core', cpuSum(sn.phase.nodes.map((n) => n.cpuPct)), cpuSum(raw.phase.nodes.map((n) => n.cpuPct))),
    row('load (+ publisher) cpu %', num(sn.phase.loadCpuPct, 0), num(raw.phase.loadCpuPct, 0)),
    row('redis cpu %', num(sn.phase.redisCpuPct, 0), '-'),
    row('softirq cpu % (loopback TCP)', num(sn.phase.softirqPct, 0), num(raw.phase.softirqPct, 0)),
    row('other processes cpu % (noise)', noiseText(sn.phase), noiseText(raw.phase)),
  ].join('\n');
}

/** The issue's targets, one sentence each, with how far off a missed one is. */
export function pairVerdicts(single: PairRun, cross: PairRun): string[] {
  const s = medianPhase(single.latency);
  const c = medianPhase(cross.latency);
  const limit = s.p99Ms + CLUSTER_TARGET.p99SlackMs;
  const p99Met = c.p99Ms <= limit;
  const tRatio = cross.throughput.deliveredPerS / single.throughput.deliveredPerS;
  const tMet = tRatio >= CLUSTER_TARGET.minThroughputRatio;
  return [
    `cross-node p99 <= single-node p99 + ${CLUSTER_TARGET.p99SlackMs} ms (median of ${single.latency.length} latency rounds each, ${offered(s).toLocaleString('en-US')} msgs/s offered): ${c.p99Ms.toFixed(2)} ms against ${s.p99Ms.toFixed(2)} + ${CLUSTER_TARGET.p99SlackMs} = ${limit.toFixed(2)} ms -> ${p99Met ? 'met' : `NOT met, by ${(c.p99Ms - limit).toFixed(2)} ms`}`,
    `cross-node throughput >= ${CLUSTER_TARGET.minThroughputRatio}x single-node (throughput phase, ${Math.round(offered(single.throughput)).toLocaleString('en-US')} msgs/s offered to both): ${Math.round(cross.throughput.deliveredPerS).toLocaleString('en-US')} against ${Math.round(single.throughput.deliveredPerS).toLocaleString('en-US')} msgs/s = ${tRatio.toFixed(2)}x -> ${tMet ? 'met' : `NOT met, by ${(CLUSTER_TARGET.minThroughputRatio - tRatio).toFixed(2)}x`}`,
  ];
}

export function spreadVerdict(sn: SpreadRun): string {
  const d = sn.phase.deliveryRatio;
  const atSize = sn.subscribers >= CLUSTER_TARGET.spreadSubscribers;
  const met = d >= CLUSTER_TARGET.minDelivered;
  return `${CLUSTER_TARGET.spreadSubscribers.toLocaleString('en-US')} live subscribers over ${sn.phase.nodes.length} nodes, >= ${CLUSTER_TARGET.minDelivered * 100} % delivered: `
    + `${sn.subscribers.toLocaleString('en-US')} subscribers, ${(d * 100).toFixed(2)} % delivered, p99 ${sn.phase.p99Ms.toFixed(1)} ms`
    + (sn.openAfter < sn.subscribers ? `, ${sn.openAfter.toLocaleString('en-US')} still connected (closed by the nodes: ${Object.entries(sn.closeCodes).map(([code, n]) => `${n} with ${code}`).join(', ') || 'no code'})` : '')
    + ` -> ${!atSize ? `not the target's size (run with --spread-subscribers ${CLUSTER_TARGET.spreadSubscribers})` : met ? 'met' : `NOT met, by ${((CLUSTER_TARGET.minDelivered - d) * 100).toFixed(2)} points`}`;
}
