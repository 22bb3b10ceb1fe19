import { SERVER_KINDS, type ServerKind } from '../cli/options.js';
import type { PhaseResult } from './phase.js';
import type { SaturationResult, SetupResult } from './scenarios.js';

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  machine: { cores: number; maxOpenFiles: number; node: string; cpuPlan: string; workers: number; sourceAddresses: string[] };
  options: Record<string, unknown>;
  /** Scenario (a) and (b): one channel. */
  single: Partial<Record<ServerKind, SetupResult<{ steady?: PhaseResult; saturation?: SaturationResult }>>>;
  /** Scenario (c): one channel per symbol. */
  multi: Partial<Record<ServerKind, SetupResult<{ steady: PhaseResult }>>>;
}

/** Column and row names of each server. */
export const KIND_LABELS: Record<ServerKind, string> = { supernova: 'SuperNova', raw: 'raw uWS', ws: 'ws', socketio: 'Socket.IO', protobuf: 'SN protobuf' };
const W = { scenario: 40, metric: 22, value: 14, ratio: 13 };

/** The comparison table: one row per metric, SuperNova and one baseline side by side, and their ratio. */
export function summaryTable(r: BenchResults, o: { subscribers: number; rate: number; channels: number }, baseline: Exclude<ServerKind, 'supernova'> = 'raw'): string {
  const KINDS: ServerKind[] = ['supernova', baseline];
  const rows: string[] = [];
  const line = (scenario: string, metric: string, sn: number | undefined, raw: number | undefined, digits: number) => {
    const ratio = sn !== undefined && raw !== undefined && Number.isFinite(sn) && Number.isFinite(raw) && raw !== 0 ? (sn / raw).toFixed(2) : '-';
    rows.push(scenario.padEnd(W.scenario) + metric.padEnd(W.metric) + fmt(sn, digits).padStart(W.value) + fmt(raw, digits).padStart(W.value) + ratio.padStart(W.ratio));
  };
  rows.push('Scenario'.padEnd(W.scenario) + 'Metric'.padEnd(W.metric) + 'SuperNova'.padStart(W.value) + KIND_LABELS[baseline].padStart(W.value) + `SN/${baseline}`.padStart(W.ratio));
  rows.push('-'.repeat(W.scenario + W.metric + 2 * W.value + W.ratio));
  const n = o.subscribers.toLocaleString('en-US');

  const a = (k: ServerKind) => r.single[k]?.result.steady;
  if (KINDS.some((k) => a(k))) {
    const label = `(a) 1 channel, ${n} subs, ${o.rate}/s`;
    line(label, 'delivered msgs/s', a('supernova')?.deliveredPerS, a(baseline)?.deliveredPerS, 0);
    line('', '  of offered msgs/s', a('supernova')?.offeredPerS, a(baseline)?.offeredPerS, 0);
    line('', 'latency p50 ms', a('supernova')?.p50Ms, a(baseline)?.p50Ms, 2);
    line('', 'latency p99 ms', a('supernova')?.p99Ms, a(baseline)?.p99Ms, 2);
  }
  if (KINDS.some((k) => r.single[k])) {
    line(KINDS.some((k) => a(k)) ? '' : `(a/b) 1 channel, ${n} subs`, 'KiB / connection', r.single.supernova?.memory.kibPerConnection, r.single[baseline]?.memory.kibPerConnection, 2);
  }
  const b = (k: ServerKind) => r.single[k]?.result.saturation;
  if (KINDS.some((k) => b(k))) {
    line(`(b) saturation, 1 channel, ${n} subs`, 'max sustained msgs/s', b('supernova')?.maxSustainedPerS, b(baseline)?.maxSustainedPerS, 0);
    line('', '  at publications/s', b('supernova')?.atRatePerChannel, b(baseline)?.atRatePerChannel, 0);
    const held = (k: ServerKind) => b(k)?.steps.find((s) => s.ok && s.ratePerChannel === b(k)?.atRatePerChannel);
    const failedAt = (k: ServerKind) => {
      const failed = b(k)?.steps.filter((s) => !s.ok).map((s) => s.ratePerChannel) ?? [];
      return failed.length > 0 ? Math.min(...failed) : undefined;
    };
    line('', '  p50 ms at that rate', held('supernova')?.p50Ms, held(baseline)?.p50Ms, 2);
    line('', '  p99 ms at that rate', held('supernova')?.p99Ms, held(baseline)?.p99Ms, 2);
    line('', '  lowest failing pubs/s', failedAt('supernova'), failedAt(baseline), 0);
  }
  const c = (k: ServerKind) => r.multi[k]?.result.steady;
  if (KINDS.some((k) => c(k))) {
    const label = `(c) ${o.channels} channels, ${n} subs, ${o.rate}/s/ch`;
    line(label, 'delivered msgs/s', c('supernova')?.deliveredPerS, c(baseline)?.deliveredPerS, 0);
    line('', '  of offered msgs/s', c('supernova')?.offeredPerS, c(baseline)?.offeredPerS, 0);
    line('', 'latency p50 ms', c('supernova')?.p50Ms, c(baseline)?.p50Ms, 2);
    line('', 'latency p99 ms', c('supernova')?.p99Ms, c(baseline)?.p99Ms, 2);
    line('', 'KiB / connection', r.multi.supernova?.memory.kibPerConnection, r.multi[baseline]?.memory.kibPerConnection, 2);
  }
  return rows.join('\n');
}

/** Every measured phase, for reading where the time went (CPU per process and per core). */
export function detailTable(r: BenchResults): string {
  const head = ['server', 'phase', 'R/s/ch', 'offered/s', 'delivered/s', 'deliv/exp', 'total', 'p50 ms', 'p99 ms', 'max ms', 'srv cpu', 'of it sys', 'load cpu', 'of it sys', 'core0', 'core1', 'other', 'disconnects'];
  const widths = [10, 13, 8, 12, 12, 10, 8, 9, 9, 9, 8, 10, 9, 10, 7, 7, 7, 13];
  const rows = [head.map((h, i) => h.padStart(widths[i] ?? 8)).join('')];
  const add = (kind: ServerKind, phase: string, p: PhaseResult) => {
    const cells = [
      KIND_LABELS[kind], `${phase}${p.repeatedAfterNoise ? '*' : ''}`, fmt(p.ratePerChannel, 0), fmt(p.offeredPerS, 0), fmt(p.deliveredPerS, 0),
      pct(p.rateRatio), pct(p.deliveryRatio), fmt(p.p50Ms, 2), fmt(p.p99Ms, 2), fmt(p.maxMs, 1),
      `${fmt(p.serverCpuPct, 0)}%`, `${fmt(p.serverSysPct, 0)}%`, `${fmt(p.loadCpuPct, 0)}%`, `${fmt(p.loadSysPct, 0)}%`, `${fmt(p.corePct[0], 0)}%`, `${fmt(p.corePct[1], 0)}%`, `${fmt(p.otherCpuPct, 0)}%`,
      Object.entries(p.disconnects).map(([c, n]) => `${n}x${c}`).join(',') || '-',
    ];
    rows.push(cells.map((c, i) => c.padStart(widths[i] ?? 8)).join(''));
  };
  for (const k of SERVER_KINDS) {
    const s = r.single[k]?.result;
    if (s?.steady) add(k, '(a)', s.steady);
    for (const step of s?.saturation?.steps ?? []) add(k, `(b)${step.refinement ? '~' : ''} ${step.ok ? 'held' : 'FAILED'}`, step);
  }
  for (const k of SERVER_KINDS) {
    const m = r.multi[k]?.result;
    if (m) add(k, '(c)', m.steady);
  }
  return rows.join('\n');
}

function fmt(v: number | undefined, digits: number): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function pct(v: number): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '-';
}
